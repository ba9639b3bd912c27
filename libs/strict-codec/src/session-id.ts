// Session keys and ids (§7.1). Ids come from their own random bytes so that an id seen in a
// shell or a socket path reveals nothing about the key (v0.2.1 embedded 4 key bytes). Web Crypto's
// CSPRNG is a global: no node:crypto import on the startup path.

export const SESSION_KEY_BYTES = 32;

export function generateSessionKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(SESSION_KEY_BYTES));
}

function randomHex8(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(4))).toString("hex");
}

export function generateSessionId(): string {
  return "s" + randomHex8();
}

export function generateStrictSessionId(): string {
  return "strict-" + randomHex8();
}
