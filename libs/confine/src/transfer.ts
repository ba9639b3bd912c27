// The plan as kpm hands it to its exec step over a pipe: "<abi>\0" then "F<path>\0" (full access
// beneath) or "L<path>\0" (listing only) per rule. Paths are the only data, and NUL cannot occur in one.
import type { LandlockRule } from "@kpm/libc";

const encoder = new TextEncoder();

export interface RuleTransfer {
  abi: number;
  rules: LandlockRule[];
}

export function encodeRules(abi: number, rules: readonly LandlockRule[]): Uint8Array {
  const fields = [String(abi), ...rules.map((rule) => `${rule.access === "full" ? "F" : "L"}${rule.path}`)];
  if (fields.some((field) => field.includes("\0")))
    throw new Error("confinement rule path contains a NUL byte");
  return encoder.encode(`${fields.join("\0")}\0`);
}

/** The transfer, or null when the bytes are cut off or malformed. */
export function decodeRules(bytes: Uint8Array): RuleTransfer | null {
  const text = new TextDecoder().decode(bytes);
  if (!text.endsWith("\0")) return null;
  const [head, ...fields] = text.slice(0, -1).split("\0");
  const abi = Number(head);
  if (!Number.isInteger(abi) || abi < 1) return null;
  const rules: LandlockRule[] = [];
  for (const field of fields) {
    const kind = field[0];
    const path = field.slice(1);
    if ((kind !== "F" && kind !== "L") || !path.startsWith("/")) return null;
    rules.push({ path, access: kind === "F" ? "full" : "list" });
  }
  return { abi, rules };
}
