// Session tokens exactly as AgentKMS issues them (wire §2.3): base64url(claims) "." base64url(HMAC-SHA256),
// bound to the client certificate's fingerprint, signed with a key that lives only as long as the process.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import * as z from "zod/mini";

export interface TokenClaims {
  jti: string;
  sub: string;
  team: string;
  role: string;
  spiffe?: string;
  cfp: string;
  scp?: string[];
  iat: number;
  exp: number;
}

export interface TokenSubject {
  callerId: string;
  teamId: string;
  role: string;
  spiffeId: string;
  certFingerprint: string;
}

// Go's json.Unmarshal into the claims struct: unknown fields ignored, wrong types rejected.
const claimsSchema = z.object({
  jti: z.optional(z.string()),
  sub: z.optional(z.string()),
  team: z.optional(z.string()),
  role: z.optional(z.string()),
  spiffe: z.optional(z.string()),
  cfp: z.optional(z.string()),
  scp: z.optional(z.nullable(z.array(z.string()))),
  iat: z.optional(z.int()),
  exp: z.optional(z.int()),
});

const BASE64URL_NOPAD = /^[A-Za-z0-9_-]*$/;

function decodeBase64Url(text: string): Buffer | null {
  // Go's RawURLEncoding is strict: no padding, no foreign characters, no dangling single char.
  if (!BASE64URL_NOPAD.test(text) || text.length % 4 === 1) return null;
  return Buffer.from(text, "base64url");
}

export class TokenService {
  readonly ttlSeconds: number;
  readonly #key: Uint8Array;
  // jti → exp (unix seconds); entries are useless after exp, so they are pruned then.
  readonly #revoked = new Map<string, number>();

  constructor(ttlSeconds: number, key: Uint8Array = randomBytes(32)) {
    this.ttlSeconds = ttlSeconds;
    this.#key = key;
  }

  issue(subject: TokenSubject, nowSeconds: number): { token: string; claims: TokenClaims } {
    // Key order is the Go struct order; spiffe is omitempty, scp only exists on delegated tokens.
    const claims: TokenClaims = {
      jti: randomUUID(),
      sub: subject.callerId,
      team: subject.teamId,
      role: subject.role,
      ...(subject.spiffeId ? { spiffe: subject.spiffeId } : {}),
      cfp: subject.certFingerprint,
      iat: nowSeconds,
      exp: nowSeconds + this.ttlSeconds,
    };
    const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
    return { token: `${payload}.${this.#sign(payload).toString("base64url")}`, claims };
  }

  /** The claims of a valid, unexpired, unrevoked token; null for anything else (reasons are not told apart). */
  validate(token: string, nowSeconds: number): TokenClaims | null {
    const dot = token.lastIndexOf(".");
    if (dot < 0) return null;
    const payload = token.slice(0, dot);
    const mac = decodeBase64Url(token.slice(dot + 1));
    if (mac === null) return null;
    const expected = this.#sign(payload);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return null;
    const json = decodeBase64Url(payload);
    if (json === null) return null;
    let raw: unknown;
    try {
      raw = JSON.parse(json.toString("utf8"));
    } catch {
      return null;
    }
    const parsed = claimsSchema.safeParse(raw);
    if (!parsed.success) return null;
    const c = parsed.data;
    if (!c.jti || !c.sub || !c.cfp || !c.team) return null;
    const exp = c.exp ?? 0;
    if (nowSeconds > exp) return null;
    if (this.isRevoked(c.jti, nowSeconds)) return null;
    return {
      jti: c.jti,
      sub: c.sub,
      team: c.team,
      role: c.role ?? "",
      ...(c.spiffe ? { spiffe: c.spiffe } : {}),
      cfp: c.cfp,
      ...(c.scp ? { scp: c.scp } : {}),
      iat: c.iat ?? 0,
      exp,
    };
  }

  revoke(jti: string, exp: number): void {
    this.#revoked.set(jti, exp);
  }

  isRevoked(jti: string, nowSeconds: number): boolean {
    for (const [id, exp] of this.#revoked) if (exp < nowSeconds) this.#revoked.delete(id);
    return this.#revoked.has(jti);
  }

  #sign(payload: string): Buffer {
    return createHmac("sha256", this.#key).update(payload).digest();
  }
}
