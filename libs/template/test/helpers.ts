// Test fixtures: real files in a fresh temporary directory per call, removed after the test
// file that created them.

import { afterAll, expect } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ProfileValues, TemplateContext } from "../src/index.ts";

export type Fixture = (files?: Record<string, string | Uint8Array>) => string;

/**
 * A `fixture` factory whose directories are removed after the calling test file. Call it at
 * the top level of each test file: bun test evaluates this module once for all files, so a
 * hook registered here at import time would belong to the first file alone.
 */
export function useFixtures(): { fixture: Fixture } {
  const created: string[] = [];
  afterAll(() => {
    for (const dir of created) rmSync(dir, { recursive: true, force: true });
    expect(created.filter((dir) => existsSync(dir))).toEqual([]);
  });
  /** Creates `files` (relative path → content) under a new temp dir and returns its real path. */
  const fixture: Fixture = (files = {}) => {
    const root = realpathSync(mkdtempSync(join(tmpdir(), "kpm-template-")));
    created.push(root);
    for (const [path, content] of Object.entries(files)) write(root, path, content);
    return root;
  };
  return { fixture };
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
