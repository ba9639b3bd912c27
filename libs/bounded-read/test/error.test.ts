// The one wording of filesystem and socket errors, through the light `@kpm/bounded-read/error` entry.
import { expect, test } from "bun:test";
import { BoundedReadError, describeFsError, errorCode } from "@kpm/bounded-read/error";

const errno = (code: string) => Object.assign(new Error(`${code}: boom, open '/secret/path'`), { code });

test("errno codes get the strerror words Go's kpm prints, never the raw message", () => {
  expect(describeFsError(errno("ENOENT"))).toBe("no such file or directory");
  expect(describeFsError(errno("EACCES"))).toBe("permission denied");
  expect(describeFsError(errno("ELOOP"))).toBe("too many levels of symbolic links");
  expect(describeFsError(errno("ECONNREFUSED"))).toBe("connection refused");
  expect(describeFsError(errno("EPIPE"))).toBe("broken pipe");
  expect(describeFsError({ code: "EMFILE" })).toBe("too many open files");
  expect(describeFsError(errno("EADDRNOTAVAIL"))).toBe("cannot assign requested address");
});

test("the reader's own errors keep their words", () => {
  expect(describeFsError(BoundedReadError.tooLarge("file", 1024 * 1024))).toBe("file too large (max 1 MiB)");
  expect(describeFsError(new BoundedReadError("not_regular", "not a regular file", 1))).toBe(
    "not a regular file",
  );
});

test("an unknown code is lower-cased; without a code, an Error's first line, else unknown error", () => {
  expect(describeFsError(errno("EWEIRD"))).toBe("eweird");
  expect(describeFsError(new Error("first\nsecond"))).toBe("first");
  expect(describeFsError(new Error(""))).toBe("unknown error");
  expect(describeFsError("text")).toBe("unknown error");
  expect(describeFsError(null)).toBe("unknown error");
});

test("errorCode reads a string code only", () => {
  expect(errorCode(errno("ENOENT"))).toBe("ENOENT");
  expect(errorCode("ENOENT")).toBeUndefined();
  expect(errorCode({ code: 42 })).toBeUndefined();
});
