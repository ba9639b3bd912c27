import { expect, test } from "bun:test";
import { Semaphore } from "../src/semaphore.ts";

test("a semaphore admits up to its limit and hands slots to waiters in order", async () => {
  const slots = new Semaphore(2);
  const order: string[] = [];
  const first = await slots.acquire();
  const second = await slots.acquire();
  const third = slots.acquire().then((release) => {
    order.push("third");
    return release;
  });
  const fourth = slots.acquire().then((release) => {
    order.push("fourth");
    return release;
  });
  await Promise.resolve();
  expect(order).toEqual([]);
  first();
  const releaseThird = await third;
  expect(order).toEqual(["third"]);
  second();
  const releaseFourth = await fourth;
  expect(order).toEqual(["third", "fourth"]);
  releaseThird();
  releaseFourth();
  // All free again: two immediate acquisitions succeed.
  const again = await Promise.all([slots.acquire(), slots.acquire()]);
  expect(again).toHaveLength(2);
});

test("releasing twice frees only one slot", async () => {
  const slots = new Semaphore(1);
  const release = await slots.acquire();
  release();
  release();
  await slots.acquire();
  let admitted = false;
  slots.acquire().then(() => {
    admitted = true;
  });
  await Bun.sleep(0);
  expect(admitted).toBe(false);
});

test("tryAcquire takes a free slot synchronously and declines when none is free", () => {
  const slots = new Semaphore(1);
  const release = slots.tryAcquire();
  expect(release).toBeDefined();
  expect(slots.tryAcquire()).toBeUndefined();
  release?.();
  release?.(); // a second call frees nothing more
  const again = slots.tryAcquire();
  expect(again).toBeDefined();
  expect(slots.tryAcquire()).toBeUndefined();
});

test("tryAcquire never jumps ahead of a waiter: a released slot goes to the waiter", async () => {
  const slots = new Semaphore(1);
  const first = slots.tryAcquire();
  const waiter = slots.acquire();
  first?.();
  expect(slots.tryAcquire()).toBeUndefined();
  (await waiter)();
  expect(slots.tryAcquire()).toBeDefined();
});
