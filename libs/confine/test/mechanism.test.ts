// Mechanism detection and its one-phrase description, the rule transfer codec and the macOS profile.
import { describe, expect, test } from "bun:test";
import {
  decodeRules,
  describeMechanism,
  detectMechanism,
  encodeRules,
  SANDBOX_EXEC,
  sandboxProfile,
  seatbeltString,
} from "@kpm/confine";
import fc from "fast-check";

const probe = (overrides: Partial<Parameters<typeof detectMechanism>[0]>) =>
  detectMechanism({
    platform: "linux",
    landlockAbi: () => ({ ok: true, value: 7 }),
    exists: () => true,
    ...overrides,
  });

describe("detectMechanism", () => {
  test("Landlock with its ABI on Linux, or the kernel's reason", () => {
    expect(probe({})).toEqual({ kind: "landlock", abi: 7 });
    expect(
      probe({ landlockAbi: () => ({ ok: false, reason: "Landlock is disabled on this kernel" }) }),
    ).toEqual({
      kind: "none",
      reason: "Landlock is disabled on this kernel",
    });
    expect(probe({ simulateNoLandlock: true })).toEqual({
      kind: "none",
      reason: "Landlock not supported by this kernel",
    });
  });

  test("sandbox-exec on macOS where it exists; none elsewhere", () => {
    expect(probe({ platform: "darwin" })).toEqual({ kind: "sandbox-exec", path: SANDBOX_EXEC });
    expect(probe({ platform: "darwin", exists: () => false })).toEqual({
      kind: "none",
      reason: `${SANDBOX_EXEC} not found`,
    });
    expect(probe({ platform: "win32" })).toEqual({
      kind: "none",
      reason: "no confinement mechanism on win32",
    });
  });

  test("describes each kind in one phrase", () => {
    expect(describeMechanism({ kind: "landlock", abi: 7 })).toBe("landlock (ABI 7)");
    expect(describeMechanism({ kind: "sandbox-exec", path: SANDBOX_EXEC })).toBe("sandbox-exec");
    expect(describeMechanism({ kind: "none", reason: "x" })).toBe("none (x)");
  });
});

describe("rule transfer", () => {
  test("round-trips any rules", () => {
    const path = fc
      .string({ minLength: 1 })
      .filter((text) => !text.includes("\0"))
      .map((text) => `/${text}`);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 99 }),
        fc.array(fc.record({ path, access: fc.constantFrom("full" as const, "list" as const) })),
        (abi, rules) => {
          expect(decodeRules(encodeRules(abi, rules))).toEqual({ abi, rules });
        },
      ),
    );
  });

  test("refuses cut-off or malformed bytes and NUL in a path", () => {
    const bytes = encodeRules(7, [{ path: "/a", access: "full" }]);
    expect(decodeRules(bytes.subarray(0, bytes.length - 1))).toBeNull();
    const text = (value: string) => new TextEncoder().encode(value);
    expect(decodeRules(text("0\0"))).toBeNull();
    expect(decodeRules(text("7\0X/a\0"))).toBeNull();
    expect(decodeRules(text("7\0Frelative\0"))).toBeNull();
    expect(() => encodeRules(7, [{ path: "/a\0b", access: "full" }])).toThrow("NUL");
  });
});

describe("sandboxProfile", () => {
  test("allows by default and denies reading and writing beneath each path", () => {
    expect(sandboxProfile(["/Users/u/.config/kpm", '/Users/u/we"ird\\dir'])).toBe(
      [
        "(version 1)",
        "(allow default)",
        "(deny file-read* file-write*",
        '  (subpath "/Users/u/.config/kpm")',
        '  (subpath "/Users/u/we\\"ird\\\\dir")',
        ")",
        "",
      ].join("\n"),
    );
    expect(sandboxProfile([])).toBe("(version 1)\n(allow default)\n");
  });

  test("refuses a path with a control character rather than mis-quote it", () => {
    expect(() => seatbeltString("/a\nb")).toThrow("control character");
  });
});
