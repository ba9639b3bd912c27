// Reads a template file and splits it into lines (spec §5.1 byte-level rules): size cap,
// BOM, CRLF/LF, line length, NUL and UTF-8 checks. Errors name file and line only.

import { BoundedReadError, readFileBounded } from "@kpm/bounded-read";
import { TemplateError } from "./error.ts";

export const maxTemplateBytes = 1024 * 1024;
export const maxLineBytes = 65536;

export interface TemplateLine {
  /** 1-based line number. */
  number: number;
  /** Decoded line, line terminator removed, not trimmed. */
  text: string;
}

/**
 * The file's raw bytes, at most 1 MiB; a larger file (or endless stream such as /dev/zero) is
 * rejected without reading it all. FIFOs are allowed: `--from <(…)` is a FIFO.
 */
export function readTemplateBytes(file: string): Uint8Array {
  try {
    return readFileBounded(file, maxTemplateBytes);
  } catch (error) {
    if (error instanceof BoundedReadError && error.code === "too_large") {
      throw new TemplateError("parse", `${file}: template too large (max 1 MiB)`);
    }
    throw new TemplateError("io", `open template ${file}: ${(error as Error).message}`);
  }
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
