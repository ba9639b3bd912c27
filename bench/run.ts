// Benchmark runner: `bun run bench [name…]` imports every bench/*.bench.ts (or the named ones),
// runs them one after another and prints one table. Each bench exports
// `run(): Promise<Array<{ name, value, unit, note? }>>`.
import { existsSync } from "node:fs";
import { basename, join } from "node:path";

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

interface BenchModule {
  run: () => Promise<BenchRow[]>;
}

const ROOT = join(import.meta.dir, "..");

export function benchFiles(dir: string, only: string[]): string[] {
  const all = [...new Bun.Glob("*.bench.ts").scanSync({ cwd: dir })].sort();
  if (only.length === 0) return all;
  const unknown = only.filter((name) => !all.includes(`${name}.bench.ts`));
  if (unknown.length > 0) {
    const known = all.map((file) => basename(file, ".bench.ts")).join(", ");
    throw new Error(`unknown bench: ${unknown.join(", ")} (known: ${known})`);
  }
  return all.filter((file) => only.includes(basename(file, ".bench.ts")));
}

export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(2);
}

/** A plain-text table: name left-aligned, value right-aligned, then unit and note. */
export function formatTable(rows: BenchRow[]): string {
  const header = { name: "name", value: "value", unit: "unit", note: "note" };
  const cells = rows.map((row) => ({
    name: row.name,
    value: formatValue(row.value),
    unit: row.unit,
    note: row.note ?? "",
  }));
  const all = [header, ...cells];
  const width = (key: keyof typeof header) => Math.max(...all.map((cell) => [...cell[key]].length));
  const [name, value, unit] = [width("name"), width("value"), width("unit")];
  const pad = (text: string, size: number) => text + " ".repeat(Math.max(0, size - [...text].length));
  const line = (cell: typeof header) =>
    `${pad(cell.name, name)}  ${" ".repeat(Math.max(0, value - cell.value.length))}${cell.value}  ${pad(cell.unit, unit)}  ${cell.note}`.trimEnd();
  const rule = "-".repeat(name + value + unit + 6 + Math.max(...all.map((cell) => cell.note.length)));
  return [line(header), rule, ...cells.map(line)].join("\n");
}

function ensureKpmBinary(): void {
  if (existsSync(join(ROOT, "dist/kpm"))) return;
  console.error("dist/kpm missing: bun run build");
  const built = Bun.spawnSync([process.execPath, "run", "build"], {
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  });
  if (built.exitCode !== 0) throw new Error("bun run build failed");
}

async function main(argv: string[]): Promise<number> {
  const dir = import.meta.dir;
  let files: string[];
  try {
    files = benchFiles(dir, argv);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  ensureKpmBinary();
  const rows: BenchRow[] = [];
  let failed = 0;
  for (const file of files) {
    const started = performance.now();
    console.error(`▶ ${file}`);
    try {
      const module = (await import(join(dir, file))) as BenchModule;
      rows.push(...(await module.run()));
      console.error(`  done in ${((performance.now() - started) / 1000).toFixed(1)}s`);
    } catch (error) {
      failed++;
      const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
      console.error(`  failed: ${message}`);
      rows.push({
        name: `${basename(file, ".bench.ts")}: FAILED`,
        value: Number.NaN,
        unit: "",
        note: message,
      });
    }
  }
  console.log(formatTable(rows));
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
