// The flag pairs `kpm env`/`kpm export` and `kpm run` refuse together, and the one wording of
// each refusal. A refusal is a usage error (exit 2) with the `--help` hint; --listener with
// --plaintext is the exception: exit 2 without a hint, as it always printed.
import { CliError, UsageError } from "./errors.ts";

export type ExclusivePair =
  | "strict/plaintext"
  | "secure/plaintext"
  | "mask/no-masking"
  | "listener/plaintext";

const REFUSALS: Record<ExclusivePair, string> = {
  "strict/plaintext": "kpm: --strict and --plaintext are mutually exclusive: cannot use both flags together",
  "secure/plaintext": "kpm: --secure and --plaintext are mutually exclusive",
  "mask/no-masking": "kpm: --mask and --no-masking are mutually exclusive",
  "listener/plaintext": "kpm: --listener and --plaintext are mutually exclusive",
};

/** Throws the refusal of the first pair in `pairs` whose two flags are both set. */
export function refuseExclusiveFlags(args: Record<string, unknown>, pairs: readonly ExclusivePair[]): void {
  for (const pair of pairs) {
    const [first, second] = pair.split("/") as [string, string];
    if (args[first] !== true || args[second] !== true) continue;
    const message = REFUSALS[pair];
    throw pair === "listener/plaintext" ? new CliError(message, 2) : new UsageError(message);
  }
}
