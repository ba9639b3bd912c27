import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AllowlistError, loadAllowlist } from "../src/index.ts";

const root = mkdtempSync(join(tmpdir(), "kpm-allowlist-load-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function loadFailure(path: string): AllowlistError {
  try {
    loadAllowlist(path);
  } catch (error) {
    if (error instanceof AllowlistError) return error;
    throw error;
  }
  throw new Error("expected an AllowlistError");
}

test("loads and parses a real file", () => {
  const path = join(root, "ok.yaml");
  writeFileSync(path, "claude: [ANTHROPIC_API_KEY]\n");
  expect(loadAllowlist(path)).toEqual(
    new Map([["claude", { patterns: ["ANTHROPIC_API_KEY"], pins: new Map() }]]),
  );
});

test("a 5 MB file is refused by its size before it is parsed", () => {
  const path = join(root, "big.yaml");
  // Invalid YAML throughout: had it been parsed, the error would be a syntax error instead.
  writeFileSync(path, "[".repeat(5_000_000));
  const error = loadFailure(path);
  expect(error.code).toBe("parse");
  expect(error.message).toBe(`kpm: parse secure-allowlist.yaml: ${path}: file too large (max 1 MiB)`);
});

test("a file of exactly 1 MiB is accepted", () => {
  const path = join(root, "limit.yaml");
  const head = "claude: [A]\n";
  writeFileSync(path, head + "#".repeat((1 << 20) - head.length));
  expect(loadAllowlist(path).get("claude")?.patterns).toEqual(["A"]);
});

test("a missing file, a directory and an unreadable file are parse errors with the reason", () => {
  expect(loadFailure(join(root, "missing.yaml")).message).toBe(
    `kpm: parse secure-allowlist.yaml: ${join(root, "missing.yaml")}: cannot read file (ENOENT: no such file or directory)`,
  );
  const dir = join(root, "dir.yaml");
  mkdirSync(dir);
  expect(loadFailure(dir).message).toBe(`kpm: parse secure-allowlist.yaml: ${dir}: not a regular file`);
});

test("a symlink to /dev/zero or /dev/urandom, or a FIFO, is refused at once, never read", () => {
  const fifo = join(root, "fifo.yaml");
  expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
  for (const target of ["/dev/zero", "/dev/urandom"]) {
    const link = join(root, `link-${target.slice(5)}.yaml`);
    symlinkSync(target, link);
    const started = performance.now();
    expect(loadFailure(link).message).toBe(`kpm: parse secure-allowlist.yaml: ${link}: not a regular file`);
    expect(performance.now() - started).toBeLessThan(1000);
  }
  // No writer: a blocking open would never return.
  expect(loadFailure(fifo).message).toBe(`kpm: parse secure-allowlist.yaml: ${fifo}: not a regular file`);
});

test("a file the user may not read is reported as permission denied", () => {
  const path = join(root, "private.yaml");
  writeFileSync(path, "a: [A]\n");
  chmodSync(path, 0o000);
  chmodSync(root, 0o755);
  // CI runs as root, who can read anything: ask the same question as nobody.
  const script = `import { loadAllowlist } from ${JSON.stringify(join(import.meta.dir, "../src/index.ts"))};
try { loadAllowlist(${JSON.stringify(path)}); } catch (e) { console.log(e.code + "|" + e.message); }`;
  const run = Bun.spawnSync(
    ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", script],
    {
      cwd: "/",
    },
  );
  expect(run.stdout.toString().trim()).toBe(
    `parse|kpm: parse secure-allowlist.yaml: ${path}: cannot read file (EACCES: permission denied)`,
  );
});

test("a syntax error carries the file path and line", () => {
  const path = join(root, "bad.yaml");
  writeFileSync(path, "claude: [A]\ncursor: OPENAI\n");
  expect(loadFailure(path).message).toBe(
    `kpm: parse secure-allowlist.yaml: ${path}:2: tool "cursor" must map to a list of variable names`,
  );
});
