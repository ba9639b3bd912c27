import { expect, test } from "bun:test";
import { type CliError, UsageError } from "../src/cli/errors.ts";
import { refuseExclusiveFlags } from "../src/cli/exclusive-flags.ts";

function refusal(
  args: Record<string, unknown>,
  pairs: Parameters<typeof refuseExclusiveFlags>[1],
): CliError | null {
  try {
    refuseExclusiveFlags(args, pairs);
    return null;
  } catch (error) {
    return error as CliError;
  }
}

test("each refused pair has one wording, a usage error (exit 2, --help hint)", () => {
  const strict = refusal({ strict: true, plaintext: true }, ["strict/plaintext"]);
  expect(strict).toBeInstanceOf(UsageError);
  expect(strict?.lines).toEqual([
    "kpm: --strict and --plaintext are mutually exclusive: cannot use both flags together",
  ]);
  expect(refusal({ secure: true, plaintext: true }, ["secure/plaintext"])?.message).toBe(
    "kpm: --secure and --plaintext are mutually exclusive",
  );
  expect(refusal({ mask: true, "no-masking": true }, ["mask/no-masking"])?.message).toBe(
    "kpm: --mask and --no-masking are mutually exclusive",
  );
});

test("--listener with --plaintext exits 2 without the usage hint", () => {
  const listener = refusal({ listener: true, plaintext: true }, ["listener/plaintext"]);
  expect(listener).not.toBeInstanceOf(UsageError);
  expect(listener?.exitCode).toBe(2);
  expect(listener?.lines).toEqual(["kpm: --listener and --plaintext are mutually exclusive"]);
});

test("the first pair set wins; one flag alone or a pair not asked about is no refusal", () => {
  const both = { secure: true, strict: true, plaintext: true };
  expect(refusal(both, ["secure/plaintext", "strict/plaintext"])?.message).toContain("--secure");
  expect(refusal({ strict: true }, ["strict/plaintext"])).toBeNull();
  expect(refusal({ mask: true, "no-masking": true }, ["strict/plaintext"])).toBeNull();
});
