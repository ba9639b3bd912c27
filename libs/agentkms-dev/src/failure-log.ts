// Rate-limited logging of connection failures: a peer that floods the port with garbage handshakes
// must not be able to flood the log (and the disk behind it) as well. Per (message, address) at most
// one line per window; each line carries `count`, the failures it stands for. A window of 0 logs
// every failure (the defence switched off).
import type { LogFn, LogLevel } from "./server-log.ts";

/** Distinct (message, address) keys tracked at once; beyond it, new addresses share the key "*". */
const MAX_KEYS = 1024;

interface Bucket {
  level: LogLevel;
  msg: string;
  address: string;
  error: string;
  count: number;
  timer: ReturnType<typeof setTimeout>;
}

export class FailureLog {
  readonly #log: LogFn;
  readonly #windowMs: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(log: LogFn, windowMs: number) {
    this.#log = log;
    this.#windowMs = windowMs;
  }

  /**
   * Logs the first failure of a window at once (count=1); later failures in the same window are
   * counted and written as one line when the window ends.
   */
  record(level: LogLevel, msg: string, address: string, error: string): void {
    if (this.#windowMs <= 0) {
      this.#write(level, msg, address, error, 1);
      return;
    }
    let key = `${msg}\u0000${address}`;
    if (!this.#buckets.has(key) && this.#buckets.size >= MAX_KEYS) {
      address = "*";
      key = `${msg}\u0000*`;
    }
    const bucket = this.#buckets.get(key);
    if (bucket) {
      bucket.count++;
      bucket.error = error;
      return;
    }
    this.#write(level, msg, address, error, 1);
    this.#buckets.set(key, { level, msg, address, error, count: 0, timer: this.#arm(key) });
  }

  /** Writes what is still counted and stops all timers (server shutdown). */
  close(): void {
    for (const [key, bucket] of this.#buckets) {
      clearTimeout(bucket.timer);
      this.#buckets.delete(key);
      if (bucket.count > 0) this.#write(bucket.level, bucket.msg, bucket.address, bucket.error, bucket.count);
    }
  }

  #arm(key: string): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => this.#flush(key), this.#windowMs);
    timer.unref();
    return timer;
  }

  /** End of a window: one line for what it counted, and a new window, so a steady flood stays at 1/s. */
  #flush(key: string): void {
    const bucket = this.#buckets.get(key);
    if (!bucket) return;
    if (bucket.count === 0) {
      this.#buckets.delete(key);
      return;
    }
    this.#write(bucket.level, bucket.msg, bucket.address, bucket.error, bucket.count);
    bucket.count = 0;
    bucket.timer = this.#arm(key);
  }

  #write(level: LogLevel, msg: string, address: string, error: string, count: number): void {
    this.#log(level, msg, { remote: address, error, count });
  }
}
