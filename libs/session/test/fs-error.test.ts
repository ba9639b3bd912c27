// Error descriptions used in messages: the errno code when there is one, never more.
import { expect, test } from "bun:test";
import { describeFsError, errorCode } from "../src/fs-error.ts";

test("describes errno errors by code, other errors by message, and non-errors as text", () => {
  const errno = Object.assign(new Error("ENOENT: no such file, open '/secret/path'"), { code: "ENOENT" });
  expect(describeFsError(errno)).toBe("ENOENT");
  expect(describeFsError(new Error("plain"))).toBe("plain");
  expect(describeFsError("text")).toBe("text");
  expect(errorCode(errno)).toBe("ENOENT");
  expect(errorCode("ENOENT")).toBeUndefined();
});
