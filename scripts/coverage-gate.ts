// Coverage gate (spec §16.3): every library source file must have ≥ 90 % of its lines covered.
// bunfig's per-file thresholds fail without naming the file, so CI runs this over lcov.info instead.
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";

export const DEFAULT_THRESHOLD = 90;

export interface FileCoverage {
  /** Repository-relative path with forward slashes. */
  path: string;
  linesFound: number;
  linesHit: number;
}

export interface GateRow {
  path: string;
  /** null when no test loaded the file at all. */
  percent: number | null;
  passed: boolean;
}

/** Reads the SF/LF/LH records of an lcov report; DA lines count when LF/LH are absent. */
export function parseLcov(text: string, root: string): FileCoverage[] {
  const files: FileCoverage[] = [];
  let current: { path: string; found?: number; hit?: number; daFound: number; daHit: number } | null = null;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line.startsWith("SF:")) {
      const source = line.slice(3);
      const path = isAbsolute(source) ? relative(root, source) : source;
      current = { path: path.replaceAll("\\", "/"), daFound: 0, daHit: 0 };
      continue;
    }
    // Lines outside an SF…end_of_record block (TN:, blank) carry nothing per file.
    if (current === null) continue;
    if (line.startsWith("LF:")) {
      current.found = Number(line.slice(3));
    } else if (line.startsWith("LH:")) {
      current.hit = Number(line.slice(3));
    } else if (line.startsWith("DA:")) {
      const count = Number(line.slice(3).split(",")[1]);
      current.daFound++;
      if (count > 0) current.daHit++;
    } else if (line === "end_of_record") {
      files.push({
        path: current.path,
        linesFound: current.found ?? current.daFound,
        linesHit: current.hit ?? current.daHit,
      });
      current = null;
    }
  }
  return files;
}

/** Library sources the gate applies to: `libs/<name>/src/**` (TypeScript, not declarations). */
export function isGatedPath(path: string): boolean {
  return /^libs\/[^/]+\/src\/.+\.tsx?$/.test(path) && !path.endsWith(".d.ts");
}

/**
 * One row per gated file: measured ones from the report, plus every file in `expected` that no
 * test loaded (it has no record, and 0 % covered is what that means).
 */
export function evaluate(files: FileCoverage[], expected: string[], threshold: number): GateRow[] {
  const byPath = new Map<string, FileCoverage>();
  for (const file of files) {
    if (!isGatedPath(file.path)) continue;
    // A file loaded by several test processes may appear twice: keep the better record.
    const known = byPath.get(file.path);
    if (!known || file.linesHit * known.linesFound > known.linesHit * file.linesFound)
      byPath.set(file.path, file);
  }
  const paths = new Set([...byPath.keys(), ...expected.filter(isGatedPath)]);
  return [...paths].sort().map((path) => {
    const file = byPath.get(path);
    if (!file) return { path, percent: null, passed: false };
    // A file with no executable lines (types only) cannot be under-tested.
    const percent = file.linesFound === 0 ? 100 : (file.linesHit / file.linesFound) * 100;
    return { path, percent, passed: percent >= threshold };
  });
}

export function formatRow(row: GateRow): string {
  const value = row.percent === null ? "not loaded by any test" : `${row.percent.toFixed(2)} %`;
  return `${row.passed ? "ok  " : "FAIL"}  ${row.path}  ${value}`;
}

/** Library source files on disk, so a file no test imports still counts. */
export function librarySources(root: string): string[] {
  const glob = new Bun.Glob("libs/*/src/**/*.{ts,tsx}");
  return [...glob.scanSync({ cwd: root })].map((path) => path.replaceAll("\\", "/")).filter(isGatedPath);
}

/** Files that only declare types have no lines to run: a test can never "load" them. */
export function isTypeOnlySource(text: string): boolean {
  const code = text
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/.*$/gm, "")
    .trim();
  if (code.length === 0) return true;
  const withoutTypes = code
    .replace(/^\s*import\s+type\b[^;]*;/gm, "")
    .replace(/^\s*export\s+type\s*\{[^}]*\}\s*from\s*[^;]+;/gm, "")
    .replace(/^\s*(export\s+)?(declare\s+)?interface\s+\w+[^{]*\{[\s\S]*?^\}/gm, "")
    .replace(/^\s*(export\s+)?(declare\s+)?type\s+\w+[\s\S]*?;\s*$/gm, "")
    .trim();
  return withoutTypes.length === 0;
}

export function runGate(root: string, lcovPath: string, threshold: number): { lines: string[]; ok: boolean } {
  if (!existsSync(lcovPath)) {
    return {
      lines: [`coverage gate: ${lcovPath} not found (run bun test --coverage-reporter=lcov)`],
      ok: false,
    };
  }
  const files = parseLcov(readFileSync(lcovPath, "utf8"), root);
  const expected = librarySources(root).filter(
    (path) => !isTypeOnlySource(readFileSync(join(root, path), "utf8")),
  );
  const rows = evaluate(files, expected, threshold);
  const failed = rows.filter((row) => !row.passed);
  const lines = rows.map(formatRow);
  lines.push(
    failed.length === 0
      ? `coverage gate: all ${rows.length} library files ≥ ${threshold} % lines`
      : `coverage gate: ${failed.length} of ${rows.length} library files below ${threshold} % lines`,
  );
  return { lines, ok: failed.length === 0 && rows.length > 0 };
}

if (import.meta.main) {
  const root = join(import.meta.dir, "..");
  const argv = process.argv.slice(2);
  const lcovPath = argv.find((arg) => !arg.startsWith("--")) ?? join(root, "coverage/lcov.info");
  const thresholdFlag = argv.find((arg) => arg.startsWith("--threshold="));
  const threshold = thresholdFlag ? Number(thresholdFlag.slice("--threshold=".length)) : DEFAULT_THRESHOLD;
  const { lines, ok } = runGate(root, lcovPath, threshold);
  for (const line of lines) console.error(line);
  process.exit(ok ? 0 : 1);
}
