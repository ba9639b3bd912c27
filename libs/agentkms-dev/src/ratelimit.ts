// The vend interval of `--rate-limit N` (wire §6.1): at most one successful vend per key every N seconds.
// Keys are "<CN>:<provider>" for LLM vends and "<CN>:generic:<raw path>" for generic ones.

export class VendRateLimiter {
  readonly #intervalMs: number;
  readonly #lastVend = new Map<string, number>();

  constructor(intervalSeconds: number) {
    this.#intervalMs = Math.max(0, intervalSeconds) * 1000;
  }

  get enabled(): boolean {
    return this.#intervalMs > 0;
  }

  /** True when a vend for this key would be too soon after the last successful one. */
  isLimited(key: string, nowMs: number): boolean {
    if (!this.enabled) return false;
    const last = this.#lastVend.get(key);
    return last !== undefined && nowMs - last < this.#intervalMs;
  }

  /** Only successful vends count, so a failed attempt never locks the caller out. */
  recordVend(key: string, nowMs: number): void {
    if (!this.enabled) return;
    this.#lastVend.set(key, nowMs);
    // Keep the map bounded by the live window: stale entries can never limit anything again.
    if (this.#lastVend.size > 4096) {
      for (const [k, t] of this.#lastVend) if (nowMs - t >= this.#intervalMs) this.#lastVend.delete(k);
    }
  }
}
