// loadAllowlist's project-trust hook: the gate sees the exact bytes that are parsed, and a refusal
// stops the load before parsing (nothing from the file is used).
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AllowlistError, loadAllowlist } from "../src/index.ts";

const root = mkdtempSync(join(tmpdir(), "kpm-allowlist-trust-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("the gate is asked with the file's bytes; true parses them", () => {
  const path = join(root, "ok.yaml");
  writeFileSync(path, 'claude: ["*"]\n');
  const asked: string[] = [];
  const list = loadAllowlist(path, (file, bytes) => {
    asked.push(`${file}:${new TextDecoder().decode(bytes)}`);
    return true;
  });
  expect(asked).toEqual([`${path}:claude: ["*"]\n`]);
  expect(list.get("claude")?.patterns).toEqual(["*"]);
});

test('a refused file is an "untrusted" error, even when it would not parse', () => {
  const path = join(root, "hostile.yaml");
  writeFileSync(path, "[not yaml");
  let error: unknown;
  try {
    loadAllowlist(path, () => false);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(AllowlistError);
  expect(error).toMatchObject({ code: "untrusted", message: `kpm: untrusted allow-list ${path}` });
});
