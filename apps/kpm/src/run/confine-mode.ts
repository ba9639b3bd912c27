// The confinement modes of `kpm run --secure` (--confine, config `confine:`). Kept apart from
// confinement.ts, which loads node:path and @kpm/confine: `kpm run` checks the flag on every run.
import { UsageError } from "../cli/errors.ts";

export const CONFINE_MODES = ["auto", "required", "off"] as const;
export type ConfineMode = (typeof CONFINE_MODES)[number];

export function isConfineMode(value: string): value is ConfineMode {
  return (CONFINE_MODES as readonly string[]).includes(value);
}

/** The --confine flag's mode (undefined when not given); usage errors for a bad value or no --secure. */
export function parseConfineMode(flag: string | undefined, secure: boolean): ConfineMode | undefined {
  if (flag === undefined) return undefined;
  if (!isConfineMode(flag))
    throw new UsageError(`kpm: --confine must be auto, required or off (got "${flag}")`);
  if (!secure) throw new UsageError("kpm: --confine applies only with --secure");
  return flag;
}
