// The wire under the client (kpm-cli.md §6.1, §6.5): one keep-alive Bun.FetchSession, TLS 1.3 only, no
// proxy, no redirects, at most N requests in flight, a timeout per request, and transport failures
// mapped to kpm's reasons. Until a handshake succeeds it also decides whether the PEM files are bad.
import { HandshakeCheck } from "./handshake-check.ts";
import { redirectError } from "./http-error.ts";
import { Semaphore } from "./semaphore.ts";
import { caCertificateBlocks, type TlsFiles } from "./tls-material.ts";
import { isUnreachable, transportError } from "./transport-error.ts";

/**
 * SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_TLSv1_2 (BoringSSL's values, checked against
 * node:crypto's constants by a test): importing node:crypto for three numbers costs ~2 ms of startup.
 */
export const TLS_1_3_ONLY = 0x04000000 | 0x10000000 | 0x08000000;

export interface Call {
  op: string;
  method: "GET" | "POST" | "DELETE";
  /** Route plus encoded path and fixed query, e.g. `/metadata?include_deleted=true`. */
  route: string;
  body?: Uint8Array;
  /** Statuses that count as success. */
  ok: readonly number[];
  /** Answer status 0 instead of throwing when nothing listens or nothing answers (health probes). */
  unreachableIsAnswer?: boolean;
}

export interface Answer {
  status: number;
  text: string;
}

export interface TransportOptions {
  /** Normalized base URL and its hostname. */
  server: string;
  host: string;
  /** The CA file's path, for error messages. */
  caPath: string;
  timeoutMs: number;
  userAgent: string;
  maxInFlight: number;
  files: TlsFiles;
  /** "now": check the PEM files before any connection; "on-failure": let the first handshake prove them. */
  check: "now" | "on-failure";
}

export class Transport {
  readonly #options: TransportOptions;
  readonly #slots: Semaphore;
  readonly #files: HandshakeCheck;
  /** The trust anchors the session was opened with. */
  #trusted: string;
  #session: Bun.FetchSession;
  #answeredBefore = false;
  #recheck: Promise<void> | undefined;

  /** Throws the §4.3 file error at once when `check` is "now" or the CA file has no certificate block. */
  constructor(options: TransportOptions) {
    this.#options = options;
    this.#slots = new Semaphore(options.maxInFlight);
    this.#files = new HandshakeCheck(options.files);
    // Every certificate block of the CA file, or after a failed connection only the blocks that
    // parse (as Go's AppendCertsFromPEM keeps them; Bun refuses a file with a bad block).
    this.#trusted = caCertificateBlocks(options.files.caPem);
    // A file without a single certificate block is refused before any session exists: an empty CA
    // list must never reach the TLS layer, whatever it would make of it.
    if (options.check === "now" || this.#trusted === "") this.#trusted = this.#files.verify().ca;
    // Bun copies the PEMs here and parses them when the first connection opens.
    this.#session = this.#open(this.#trusted);
    if (options.check === "now") this.#files.markUsable();
  }

  /** Settles with the PEM files' verdict (see HandshakeCheck). */
  get filesChecked(): Promise<void> {
    return this.#files.settled;
  }

  #open(ca: string): Bun.FetchSession {
    const { files } = this.#options;
    return new Bun.FetchSession({
      tls: { ca, cert: files.certPem, key: files.key, secureOptions: TLS_1_3_ONLY },
      proxy: false,
    });
  }

  /** After a failed connection: the §4.3 error when the files are bad, else a session on the parsable CA blocks. */
  #checkAfterFailure(): Promise<void> {
    this.#recheck ??= (async () => {
      const material = this.#files.verify();
      if (material.ca !== this.#trusted) {
        this.#trusted = material.ca;
        this.#session.close();
        this.#session = this.#open(this.#trusted);
      }
      this.#files.markUsable();
    })();
    return this.#recheck;
  }

  /** One request; a 3xx is an error (no redirects are followed), any other status is the caller's. */
  async send(call: Call, bearer?: string): Promise<Answer> {
    const { server, host, caPath, timeoutMs, userAgent } = this.#options;
    const headers: Record<string, string> = { "User-Agent": userAgent };
    if (bearer !== undefined) headers.Authorization = `Bearer ${bearer}`;
    if (call.body !== undefined) headers["Content-Type"] = "application/json";
    const used = this.#session;
    let answer: Answer | undefined;
    let failure: unknown;
    // No await when a slot is free: openClient's first request leaves before it returns.
    const release = this.#slots.tryAcquire() ?? (await this.#slots.acquire());
    try {
      const response = await used.fetch(server + call.route, {
        method: call.method,
        headers,
        body: call.body,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      answer = { status: response.status, text: await response.text() };
      this.#answeredBefore = true;
    } catch (error) {
      failure = error;
    } finally {
      release();
    }
    if (answer === undefined) {
      if (!this.#files.usable) {
        await this.#checkAfterFailure();
        // Rebuilt on the CA blocks that parse: the failed attempt never got past its handshake.
        if (this.#session !== used) return this.send(call, bearer);
      }
      if (call.unreachableIsAnswer && isUnreachable(failure)) return { status: 0, text: "" };
      throw transportError(call.op, failure, {
        server,
        host,
        caPath,
        timeoutMs,
        answeredBefore: this.#answeredBefore,
      });
    }
    this.#files.markUsable();
    if (answer.status >= 300 && answer.status < 400) throw redirectError(call.op, answer.status);
    return answer;
  }

  /** Closes idle connections. */
  close(): void {
    this.#session.close();
    this.#files.discard();
  }
}
