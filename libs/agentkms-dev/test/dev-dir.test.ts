import { expect, test } from "bun:test";
import { resolveDevDir } from "../src/dev-dir.ts";

test("--dir wins over $AGENTKMS_DIR and the default", () => {
  expect(resolveDevDir({ dir: "/flag", env: { AGENTKMS_DIR: "/env" }, home: "/home/u" })).toBe("/flag");
});

test("$AGENTKMS_DIR is used when --dir is absent", () => {
  expect(resolveDevDir({ env: { AGENTKMS_DIR: "/env" }, home: "/home/u" })).toBe("/env");
});

test("an empty $AGENTKMS_DIR falls back to ~/.agentkms/dev", () => {
  expect(resolveDevDir({ env: { AGENTKMS_DIR: "" }, home: "/home/u" })).toBe("/home/u/.agentkms/dev");
  expect(resolveDevDir({ env: {}, home: "/home/u" })).toBe("/home/u/.agentkms/dev");
});
