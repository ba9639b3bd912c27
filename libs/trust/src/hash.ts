// SHA-256 of the exact bytes kpm is about to use. Bun's native hasher: node:crypto costs ~2 ms to
// load, and this runs whenever a project file is met.

export function sha256Hex(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}
