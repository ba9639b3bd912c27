// Session keys and ids (§7.1). Ids come from their own random bytes so that an id seen in a
// shell or a socket path reveals nothing about the key (v0.2.1 embedded 4 key bytes).

import { randomBytes } from "node:crypto";

export const SESSION_KEY_BYTES = 32;

export function generateSessionKey(): Uint8Array {
  return new Uint8Array(randomBytes(SESSION_KEY_BYTES));
}

function randomHex8(): string {
  return randomBytes(4).toString("hex");
}

export function generateSessionId(): string {
  return "s" + randomHex8();
}

export function generateStrictSessionId(): string {
  return "strict-" + randomHex8();
}
