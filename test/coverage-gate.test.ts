// The CI coverage gate (scripts/coverage-gate.ts): lcov parsing (property: records round-trip),
// the ≥ 90 % rule per library file, files no test loaded, type-only files, and the script's
// exit code and per-file lines on a real report.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import {
  evaluate,
  type FileCoverage,
  isTypeOnlySource,
  parseLcov,
  runGate,
} from "../scripts/coverage-gate.ts";

function lcovRecord(file: FileCoverage, withTotals = true): string {
  const lines = ["TN:", `SF:${file.path}`, "FNF:0", "FNH:0"];
  for (let line = 1; line <= file.linesFound; line++)
    lines.push(`DA:${line},${line <= file.linesHit ? 3 : 0}`);
  if (withTotals) lines.push(`LF:${file.linesFound}`, `LH:${file.linesHit}`);
  lines.push("end_of_record");
  return lines.join("\n");
}

const fileArb = fc
  .record({
    name: fc.stringMatching(/^[a-z][a-z-]{0,8}$/),
    found: fc.nat({ max: 40 }),
    hitShare: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ name, found, hitShare }) => ({
    path: `libs/${name}/src/${name}.ts`,
    linesFound: found,
    linesHit: Math.floor(found * hitShare),
  }));

describe("parseLcov", () => {
  test("recovers every record, from LF/LH totals or from DA lines alone", () => {
    fc.assert(
      fc.property(fc.array(fileArb, { maxLength: 6 }), fc.boolean(), (files, withTotals) => {
        const text = files.map((file) => lcovRecord(file, withTotals)).join("\n");
        expect(parseLcov(text, "/repo")).toEqual(files);
      }),
    );
  });

  test("absolute SF paths become repository-relative", () => {
    const text = "SF:/repo/libs/a/src/x.ts\nLF:2\nLH:1\nend_of_record\n";
    expect(parseLcov(text, "/repo")).toEqual([{ path: "libs/a/src/x.ts", linesFound: 2, linesHit: 1 }]);
  });
});

describe("evaluate", () => {
  test("gates only libs/*/src files; 90 % passes, just below fails; unloaded files fail", () => {
    const rows = evaluate(
      [
        { path: "libs/a/src/ok.ts", linesFound: 10, linesHit: 9 },
        { path: "libs/a/src/low.ts", linesFound: 1000, linesHit: 899 },
        { path: "libs/a/src/types.ts", linesFound: 0, linesHit: 0 },
        { path: "apps/kpm/src/main.ts", linesFound: 10, linesHit: 0 },
        { path: "libs/a/test/helper.ts", linesFound: 10, linesHit: 0 },
      ],
      ["libs/a/src/ok.ts", "libs/a/src/never.ts", "libs/a/src/types.d.ts"],
      90,
    );
    expect(rows).toEqual([
      { path: "libs/a/src/low.ts", percent: 89.9, passed: false },
      { path: "libs/a/src/never.ts", percent: null, passed: false },
      { path: "libs/a/src/ok.ts", percent: 90, passed: true },
      { path: "libs/a/src/types.ts", percent: 100, passed: true },
    ]);
  });

  test("a file reported twice keeps its better record", () => {
    const rows = evaluate(
      [
        { path: "libs/a/src/x.ts", linesFound: 10, linesHit: 2 },
        { path: "libs/a/src/x.ts", linesFound: 10, linesHit: 10 },
        { path: "libs/a/src/x.ts", linesFound: 10, linesHit: 5 },
      ],
      [],
      90,
    );
    expect(rows).toEqual([{ path: "libs/a/src/x.ts", percent: 100, passed: true }]);
  });
});

describe("isTypeOnlySource", () => {
  test("interfaces, type aliases, type imports and comments only → true; any value → false", () => {
    expect(
      isTypeOnlySource(`// role
import type { A } from "./a.ts";
export type B = { ok: true } | { ok: false; message: string };
export interface C {
  /** doc */
  run(a: A): Promise<B>;
}
`),
    ).toBe(true);
    expect(isTypeOnlySource("export type X = number;\nexport const y = 1;\n")).toBe(false);
    expect(isTypeOnlySource('export { x } from "./x.ts";\n')).toBe(false);
  });
});

describe("runGate on a real report", () => {
  let root: string;
  beforeAll(() => {
    // A miniature repository: one library with a well-tested and a half-tested file, a real
    // `bun test --coverage` run producing lcov.info.
    root = mkdtempSync(join(tmpdir(), "kpm-gate-"));
    mkdirSync(join(root, "libs/demo/src"), { recursive: true });
    mkdirSync(join(root, "libs/demo/test"), { recursive: true });
    writeFileSync(join(root, "libs/demo/src/full.ts"), "export function one(): number {\n  return 1;\n}\n");
    writeFileSync(
      join(root, "libs/demo/src/half.ts"),
      [
        "export function pick(flag: boolean): number {",
        "  if (flag) {",
        "    return 1;",
        "  }",
        "  const a = 2;",
        "  const b = 3;",
        "  const c = a + b;",
        "  return c;",
        "}",
        "",
      ].join("\n"),
    );
    writeFileSync(join(root, "libs/demo/src/unloaded.ts"), "export const never = 1;\n");
    writeFileSync(
      join(root, "libs/demo/test/demo.test.ts"),
      `import { expect, test } from "bun:test";
import { one } from "../src/full.ts";
import { pick } from "../src/half.ts";
test("runs", () => { expect(one()).toBe(1); expect(pick(true)).toBe(1); });
`,
    );
    const run = Bun.spawnSync(
      [process.execPath, "test", "--coverage", "--coverage-reporter=lcov", "--coverage-dir=coverage"],
      { cwd: root, stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
    );
    if (run.exitCode !== 0) throw new Error(run.stderr.toString());
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("names each file with its percentage and fails for the under-tested and the unloaded", () => {
    const { lines, ok } = runGate(root, join(root, "coverage/lcov.info"), 90);
    expect(ok).toBe(false);
    expect(lines).toContain("ok    libs/demo/src/full.ts  100.00 %");
    expect(lines.find((line) => line.includes("libs/demo/src/half.ts"))).toMatch(/^FAIL {2}.* \d+\.\d\d %$/);
    expect(lines).toContain("FAIL  libs/demo/src/unloaded.ts  not loaded by any test");
    expect(lines.at(-1)).toBe("coverage gate: 2 of 3 library files below 90 % lines");
  });

  test("the script exits 1 and prints the rows; a missing report fails too", () => {
    const script = join(import.meta.dir, "../scripts/coverage-gate.ts");
    const failing = Bun.spawnSync([
      process.execPath,
      script,
      join(root, "coverage/lcov.info"),
      "--threshold=90",
    ]);
    expect(failing.exitCode).toBe(1);
    expect(runGate(root, join(root, "missing.info"), 90).ok).toBe(false);
  });
});
