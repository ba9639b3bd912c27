// Caps concurrent requests (kpm-cli.md §6.1: at most 8 in flight) without a dependency.

export class Semaphore {
  readonly #limit: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Resolves once a slot is free; call the returned function exactly once to free it. */
  async acquire(): Promise<() => void> {
    if (this.#active >= this.#limit) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#active += 1;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so #active only drops when nobody waits.
      if (next) next();
      else this.#active -= 1;
    };
  }
}
