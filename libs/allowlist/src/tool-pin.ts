// Tool pinning (docs/security.md, "Tool pinning"): the executable `kpm run --secure` is about to
// start must be the file the allow-list names (`path:`, compared after resolving every link on both
// sides) and/or have its content digest (`sha256:`). The caller then executes the real path it got
// back, so a link swapped after the check is not followed.

import { closeSync, openSync, readSync, realpathSync } from "node:fs";
import type { Allowlist } from "./parse-allowlist.ts";
import type { ToolSettings } from "./tool-settings.ts";

export type ToolPin = Pick<ToolSettings, "path" | "sha256">;

export type ToolPinCheck = { ok: true; realPath: string } | { ok: false; problem: string };

/** The pins of every list that names the tool (the chosen list's, and those bounding it). */
export function toolPins(lists: readonly Allowlist[], tool: string): ToolPin[] {
  const pins: ToolPin[] = [];
  for (const list of lists) {
    const settings = list.get(tool)?.settings;
    if (settings?.path !== undefined || settings?.sha256 !== undefined)
      pins.push({ path: settings.path, sha256: settings.sha256 });
  }
  return pins;
}

const CHUNK = 1 << 20;

/** The lower-case hex SHA-256 of a file's content, read in 1 MiB chunks. */
export function fileSha256(path: string): string {
  const hasher = new Bun.CryptoHasher("sha256");
  const fd = openSync(path, "r");
  try {
    const buffer = new Uint8Array(CHUNK);
    for (;;) {
      const read = readSync(fd, buffer, 0, CHUNK, null);
      if (read === 0) break;
      hasher.update(buffer.subarray(0, read));
    }
  } finally {
    closeSync(fd);
  }
  return hasher.digest("hex");
}

function realPathOf(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/**
 * Checks `executable` (as found on PATH, or as typed) against every pin. `problem` completes
 * `kpm: --secure: <tool>: …` and never holds more than paths and digests.
 */
export function checkToolPins(pins: readonly ToolPin[], executable: string): ToolPinCheck {
  const realPath = realPathOf(executable);
  if (realPath === null) return { ok: false, problem: `cannot resolve ${executable}` };
  let digest: string | undefined;
  for (const pin of pins) {
    if (pin.path !== undefined) {
      const pinned = realPathOf(pin.path);
      if (pinned === null)
        return { ok: false, problem: `the allow-list pins ${pin.path}, which does not exist; not started` };
      if (pinned !== realPath) {
        const shown = realPath === executable ? executable : `${executable} (${realPath})`;
        return { ok: false, problem: `${shown} is not the pinned ${pin.path}; not started` };
      }
    }
    if (pin.sha256 !== undefined) {
      try {
        digest ??= fileSha256(realPath);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? "error";
        return { ok: false, problem: `cannot read ${realPath} to check its sha256 (${code}); not started` };
      }
      if (digest !== pin.sha256)
        return {
          ok: false,
          problem: `${realPath} has sha256 ${digest}, the allow-list pins ${pin.sha256}; not started`,
        };
    }
  }
  return { ok: true, realPath };
}
