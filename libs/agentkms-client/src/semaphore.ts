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
    const free = this.tryAcquire();
    if (free) return free;
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
    return this.#releaser();
  }

  /**
   * A slot now, or undefined when none is free. Synchronous, so a caller can start its request in
   * the same tick (createClient's early authentication must leave before the PEM check runs).
   */
  tryAcquire(): (() => void) | undefined {
    if (this.#active >= this.#limit) return undefined;
    this.#active += 1;
    return this.#releaser();
  }

  #releaser(): () => void {
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
