import { expect, test } from "bun:test";
import { generateSessionId, generateSessionKey, generateStrictSessionId } from "../src/index.ts";

test("session keys are 32 bytes and differ across calls", () => {
  const keys = Array.from({ length: 64 }, () => Buffer.from(generateSessionKey()).toString("hex"));
  expect(keys.every((key) => key.length === 64)).toBe(true);
  expect(new Set(keys).size).toBe(64);
});

test("session ids are s + 8 lowercase hex and differ across calls", () => {
  const ids = Array.from({ length: 64 }, generateSessionId);
  for (const id of ids) expect(id).toMatch(/^s[0-9a-f]{8}$/);
  expect(new Set(ids).size).toBe(64);
});

test("strict session ids are strict- + 8 lowercase hex and differ across calls", () => {
  const ids = Array.from({ length: 64 }, generateStrictSessionId);
  for (const id of ids) expect(id).toMatch(/^strict-[0-9a-f]{8}$/);
  expect(new Set(ids).size).toBe(64);
});

test("a session id is not derived from the key generated just before it", () => {
  // v0.2.1 used the first 4 key bytes as the id; 64 independent draws make a chance match negligible.
  let derived = 0;
  for (let i = 0; i < 64; i++) {
    const key = generateSessionKey();
    const id = generateSessionId();
    if (id === "s" + Buffer.from(key.subarray(0, 4)).toString("hex")) derived++;
  }
  expect(derived).toBe(0);
});
