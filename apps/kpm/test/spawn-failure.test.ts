// `kpm run`'s last line of defence: a spawn the runtime refuses is reported with a fixed text.
// The plan already leaves out what canPassInEnvironment refuses; this holds if something slips.
import { describe, expect, test } from "bun:test";
import { CliError } from "../src/cli/errors.ts";
import { createLogger } from "../src/cli/logger.ts";
import { KpmContext } from "../src/context.ts";
import { spawnChild, spawnFailure } from "../src/run/spawn.ts";

const MARKER = "MARKER_7f3a9c";

describe("spawnChild refused by the runtime", () => {
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", SLIPPED: `${MARKER}\0tail` };

  test("without the wrapper Bun.spawn's error quotes the value", () => {
    expect(() => Bun.spawn(["true"], { env })).toThrow(MARKER);
  });

  test("kpm's error names the command and the code, never the value", async () => {
    const ctx = new KpmContext("run", { verbose: true } as never, env, process.cwd(), createLogger(false));
    const failure = await spawnChild(ctx, {
      command: "true",
      args: [],
      plan: { env, secrets: [], injected: 0 },
      mask: "off",
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CliError);
    expect((failure as CliError).lines).toEqual([
      "error: run true: cannot start the command (ERR_INVALID_ARG_VALUE)",
    ]);
    expect((failure as CliError).exitCode).toBe(126);
  });
});

describe("spawnFailure", () => {
  test("E2BIG reads as the kernel's reason; other codes are named; anything else is generic", () => {
    expect(spawnFailure("E2BIG")).toBe("argument list too long (E2BIG)");
    expect(spawnFailure("ENOEXEC")).toBe("cannot start the command (ENOEXEC)");
    expect(spawnFailure(undefined)).toBe("cannot start the command");
    expect(spawnFailure(`${MARKER} lowercase`)).toBe("cannot start the command");
  });
});
