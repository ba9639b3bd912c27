// The agent's memory of vended values: each kept until the earlier of the server's expiry (when the
// answer names one) and agent_cache_ttl, never written anywhere. A request for a value already on
// its way joins that request, so a burst of callers costs AgentKMS one vend.

interface Entry {
  value: Promise<unknown>;
  /** ms since the epoch; Infinity while the request is in flight. */
  expiresAt: number;
}

export class VendCache {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(ttlMs: number, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  get size(): number {
    this.#prune();
    return this.#entries.size;
  }

  /** The cached value for `key`, or `fetch()`'s — kept when it succeeds, forgotten when it fails. */
  get(key: string, fetch: () => Promise<unknown>): Promise<unknown> {
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.expiresAt > this.#now()) return entry.value;
    const fresh: Entry = { value: fetch(), expiresAt: Number.POSITIVE_INFINITY };
    this.#entries.set(key, fresh);
    fresh.value.then(
      (value) => {
        fresh.expiresAt = Math.min(this.#now() + this.#ttlMs, serverExpiry(value));
      },
      () => {
        if (this.#entries.get(key) === fresh) this.#entries.delete(key);
      },
    );
    return fresh.value;
  }

  /** Forgets every value (`kpm agent flush`, a write through kpm, shutdown). */
  clear(): void {
    this.#entries.clear();
  }

  #prune(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }
}

/** An `expires_at` the answer carries (RFC 3339), as ms; Infinity when there is none. */
export function serverExpiry(value: unknown): number {
  if (typeof value !== "object" || value === null) return Number.POSITIVE_INFINITY;
  const expiresAt = (value as { expires_at?: unknown }).expires_at;
  if (typeof expiresAt !== "string") return Number.POSITIVE_INFINITY;
  const ms = Date.parse(expiresAt);
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}
