// The session token (kpm-cli.md §6.1): created lazily by the first call that needs one, shared by
// concurrent calls (single flight), and renewed once when the server answers 401 (tokens expire after
// 15 minutes and die with a server restart). A long-lived client (the per-user agent) also renews a
// token shortly before the `expires_in` the server announced, so no request waits on a 401 first.
import { decode } from "./decode.ts";
import { httpError } from "./http-error.ts";
import { checkSession } from "./response-checks.ts";
import type { Answer, Call, Transport } from "./transport.ts";

export class SessionAuth {
  readonly #transport: Transport;
  #token: string | undefined;
  /** When the current token expires (ms since the epoch), if the server said (`expires_in`). */
  #expiresAt: number | undefined;
  #lifetimeMs = 0;
  #inFlight: Promise<string> | undefined;
  /** The authentication openClient started, joined by the first call that needs a session. */
  #early: Promise<string> | undefined;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /** Starts authenticating now, for openClient; a failure surfaces at the first call, not here. */
  startEarly(): void {
    this.#early = this.start();
    this.#early.catch(() => {});
  }

  /** A new session (joining the early one or one already in flight); resolves with its token. */
  start(): Promise<string> {
    if (this.#early !== undefined) {
      const early = this.#early;
      this.#early = undefined;
      return early;
    }
    if (this.#inFlight !== undefined) return this.#inFlight;
    const attempt: Promise<string> = (async () => {
      const call: Call = { op: "authenticate", method: "POST", route: "/auth/session", ok: [200] };
      const answer = await this.#transport.send(call);
      if (answer.status !== 200) throw httpError(call.op, answer.status, answer.text);
      const created = await decode(call.op, answer.text, (all) => all.sessionSchema, checkSession);
      this.#token = created.token;
      this.#lifetimeMs = expiresInMs(answer.text);
      this.#expiresAt = this.#lifetimeMs > 0 ? Date.now() + this.#lifetimeMs : undefined;
      return created.token;
    })().finally(() => {
      if (this.#inFlight === attempt) this.#inFlight = undefined;
    });
    this.#inFlight = attempt;
    return attempt;
  }

  /** When the session token expires (ms since the epoch); undefined before a session or when unknown. */
  get expiresAt(): number | undefined {
    return this.#expiresAt;
  }

  /** Within the last tenth of the token's life (at most a minute): renew before using it. */
  #nearExpiry(): boolean {
    if (this.#expiresAt === undefined) return false;
    return Date.now() >= this.#expiresAt - Math.min(60_000, this.#lifetimeMs / 10);
  }

  /** An API call with the session's bearer token; a status outside `call.ok` is an error. */
  async call(call: Call): Promise<Answer> {
    const first = this.#token !== undefined && !this.#nearExpiry() ? this.#token : await this.start();
    let answer = await this.#transport.send(call, first);
    if (answer.status === 401) {
      // Renew once, unless another call already did.
      const token = this.#token;
      const renewed = token !== undefined && token !== first ? token : await this.start();
      answer = await this.#transport.send(call, renewed);
    }
    if (!call.ok.includes(answer.status)) throw httpError(call.op, answer.status, answer.text);
    return answer;
  }
}

/** The session's `expires_in` (seconds) in ms, or 0 when the body does not give a positive number. */
function expiresInMs(text: string): number {
  try {
    const seconds = (JSON.parse(text) as { expires_in?: unknown }).expires_in;
    return typeof seconds === "number" && seconds > 0 ? seconds * 1000 : 0;
  } catch {
    return 0;
  }
}
