// Test fixtures: real files in a fresh temporary directory per call.

import { afterAll } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ProfileValues, TemplateContext } from "../src/index.ts";

const created: string[] = [];

afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

/** Creates `files` (relative path → content) under a new temp dir and returns its real path. */
export function fixture(files: Record<string, string | Uint8Array> = {}): string {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "kpm-template-")));
  created.push(root);
  for (const [path, content] of Object.entries(files)) write(root, path, content);
  return root;
}

export function write(root: string, path: string, content: string | Uint8Array): string {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, content);
  return full;
}

export function profileOf(values: Record<string, string>, source = "/test/config.yaml"): ProfileValues {
  return new Map(Object.entries(values).map(([key, value]) => [key, { value, source }]));
}

/** Project dir `<root>/.kpm/templates`, user dir `<root>/user`. */
export function contextFor(root: string, profile: ProfileValues = new Map()): TemplateContext {
  return { cwd: root, templatesDir: join(root, "user"), profile };
}

/** The error thrown by `run`, failing the test when nothing is thrown. */
export function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error, nothing was thrown");
}
