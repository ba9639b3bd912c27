import { expect, test } from "bun:test";
import { DevError, ioError, systemErrorCode } from "../src/errors.ts";

test("DevError carries a stable code, a message and the cause", () => {
  const cause = new Error("inner");
  const error = new DevError("store_locked", "store is locked by PID 1 (f)", { cause });
  expect(error).toBeInstanceOf(Error);
  expect(error.name).toBe("DevError");
  expect(error.code).toBe("store_locked");
  expect(error.message).toBe("store is locked by PID 1 (f)");
  expect(error.cause).toBe(cause);
});

test("ioError prefixes the failed operation and keeps an existing DevError as it is", () => {
  expect(ioError("write f", new Error("EACCES: denied")).message).toBe("write f: EACCES: denied");
  // A system error in kpm's one fs-error wording, without Node's "EACCES: …, open '<path>'".
  const denied = Object.assign(new Error("EACCES: permission denied, open '/d/f'"), { code: "EACCES" });
  expect(ioError("write /d/f", denied).message).toBe("write /d/f: permission denied");
  // Crypto and other library codes are not errno names: their message stays.
  const crypto = Object.assign(new Error("unsupported key"), { code: "ERR_OSSL_UNSUPPORTED" });
  expect(ioError("read key", crypto).message).toBe("read key: unsupported key");
  expect(ioError("write f", "odd").code).toBe("io");
  const original = new DevError("no_pki", "no PKI");
  expect(ioError("write f", original)).toBe(original);
});

test("systemErrorCode reads Node system error codes only", () => {
  expect(systemErrorCode(Object.assign(new Error("x"), { code: "ENOENT" }))).toBe("ENOENT");
  expect(systemErrorCode(new Error("x"))).toBeUndefined();
  expect(systemErrorCode({ code: 42 })).toBeUndefined();
  expect(systemErrorCode(null)).toBeUndefined();
});
