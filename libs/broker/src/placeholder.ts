// The stand-in a tool receives for a brokered secret: recognisable, random, worthless elsewhere.

export const PLACEHOLDER_PREFIX = "kpm-broker-";

/** `kpm-broker-` and 32 hex digits (128 random bits). */
export function newPlaceholder(): string {
  return PLACEHOLDER_PREFIX + Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
}
