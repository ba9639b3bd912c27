// Reads a template file and splits it into lines (spec §5.1 byte-level rules): size cap,
// BOM, CRLF/LF, line length, NUL and UTF-8 checks. Errors name file and line only.

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { TemplateError } from "./error.ts";
import { describeFsError } from "./fs-reason.ts";

export const maxTemplateBytes = 1024 * 1024;
export const maxLineBytes = 65536;

export interface TemplateLine {
  /** 1-based line number. */
  number: number;
  /** Decoded line, line terminator removed, not trimmed. */
  text: string;
}

/** Reads at most 1 MiB; a larger file (or endless stream) is rejected without reading it all. */
export function readTemplateBytes(file: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    throw new TemplateError("io", `open template ${file}: ${describeFsError(error)}`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new TemplateError("io", `open template ${file}: is a directory`);
    if (stat.size > maxTemplateBytes) throw tooLarge(file);
    // One byte of headroom tells "exactly 1 MiB" apart from "more".
    const buffer = new Uint8Array(maxTemplateBytes + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > maxTemplateBytes) throw tooLarge(file);
    }
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof TemplateError) throw error;
    throw new TemplateError("io", `open template ${file}: ${describeFsError(error)}`);
  } finally {
    closeSync(fd);
  }
}

function tooLarge(file: string): TemplateError {
  return new TemplateError("parse", `${file}: template too large (max 1 MiB)`);
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Yields lines in order and throws when it reaches a bad one, so a parse error on line 3
 * is reported before invalid UTF-8 on line 10, as a line-by-line reader would.
 */
export function* splitTemplateLines(bytes: Uint8Array, file: string): Generator<TemplateLine> {
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let number = 0;
  while (start < bytes.length) {
    number++;
    let end = bytes.indexOf(0x0a, start);
    const next = end === -1 ? bytes.length : end + 1;
    if (end === -1) end = bytes.length;
    if (end > start && bytes[end - 1] === 0x0d) end--;
    const line = bytes.subarray(start, end);
    if (line.length > maxLineBytes) {
      throw new TemplateError("parse", `${file}:${number}: line too long (max ${maxLineBytes} bytes)`);
    }
    if (line.indexOf(0) !== -1) throw new TemplateError("parse", `${file}:${number}: NUL byte`);
    let text: string;
    try {
      text = utf8.decode(line);
    } catch {
      throw new TemplateError("parse", `${file}:${number}: invalid UTF-8`);
    }
    yield { number, text };
    start = next;
  }
}
