// Tool pins against real files: a path pin compares real paths (links resolved on both sides), a
// sha256 pin the content; a copy elsewhere, a changed file or a missing pin target is refused.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkToolPins, fileSha256, parseAllowlist, toolPins } from "../src/index.ts";

let dir: string;
let tool: string;
let digest: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kpm-tool-pin-"));
  tool = join(dir, "claude");
  writeFileSync(tool, "#!/bin/sh\necho hi\n");
  chmodSync(tool, 0o755);
  digest = new Bun.CryptoHasher("sha256").update("#!/bin/sh\necho hi\n").digest("hex");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("checkToolPins", () => {
  test("the pinned file passes, through a link on either side, and its real path is returned", () => {
    const link = join(dir, "claude-link");
    symlinkSync(tool, link);
    expect(checkToolPins([{ path: tool }], link)).toEqual({ ok: true, realPath: tool });
    expect(checkToolPins([{ path: link, sha256: digest }], tool)).toEqual({ ok: true, realPath: tool });
    expect(checkToolPins([], link)).toEqual({ ok: true, realPath: tool });
  });

  test("a copy of the tool elsewhere is refused by a path pin", () => {
    const copy = join(dir, "copy");
    copyFileSync(tool, copy);
    expect(checkToolPins([{ path: tool }], copy)).toEqual({
      ok: false,
      problem: `${copy} is not the pinned ${tool}; not started`,
    });
    // …and passes a digest pin alone, which pins content, not place.
    expect(checkToolPins([{ sha256: digest }], copy).ok).toBe(true);
  });

  test("a different content is refused by a sha256 pin; every pin must hold", () => {
    const other = join(dir, "other");
    writeFileSync(other, "#!/bin/sh\necho evil\n");
    const otherDigest = fileSha256(other);
    expect(checkToolPins([{ sha256: digest }], other)).toEqual({
      ok: false,
      problem: `${other} has sha256 ${otherDigest}, the allow-list pins ${digest}; not started`,
    });
    expect(checkToolPins([{ path: other }, { sha256: digest }], other).ok).toBe(false);
  });

  test("a missing executable or pin target, and an unreadable file, are refused with a reason", () => {
    expect(checkToolPins([{ path: tool }], join(dir, "nope"))).toEqual({
      ok: false,
      problem: `cannot resolve ${join(dir, "nope")}`,
    });
    expect(checkToolPins([{ path: join(dir, "gone") }], tool)).toEqual({
      ok: false,
      problem: `the allow-list pins ${join(dir, "gone")}, which does not exist; not started`,
    });
    const check = checkToolPins([{ sha256: digest }], dir);
    expect(check).toEqual({
      ok: false,
      problem: `cannot read ${dir} to check its sha256 (EISDIR); not started`,
    });
  });
});

test("fileSha256 hashes files larger than one read chunk", () => {
  const big = join(dir, "big");
  const bytes = new Uint8Array((1 << 20) + 17).fill(7);
  writeFileSync(big, bytes);
  expect(fileSha256(big)).toBe(new Bun.CryptoHasher("sha256").update(bytes).digest("hex"));
});

test("toolPins collects the pins of every list naming the tool", () => {
  const project = parseAllowlist(`claude: {path: /usr/bin/claude}\ncodex: [A]\n`, "/p");
  const user = parseAllowlist(`claude: {sha256: ${"c".repeat(64)}, inherit: [A]}\n`, "/u");
  expect(toolPins([project, user], "claude")).toEqual([
    { path: "/usr/bin/claude", sha256: undefined },
    { path: undefined, sha256: "c".repeat(64) },
  ]);
  expect(toolPins([project, user], "codex")).toEqual([]);
});
