// A subclass of CodedError is a real Error carrying its code, message and own name.
import { describe, expect, test } from "bun:test";
import { CodedError } from "@kpm/coded-error";

type ProbeCode = "first" | "second";

class ProbeError extends CodedError<ProbeCode> {
  override readonly name = "ProbeError";
}

describe("CodedError", () => {
  test("a subclass keeps its code, message and name, and is an Error of both classes", () => {
    const error = new ProbeError("second", "kpm: probe failed");
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(CodedError);
    expect(error).toBeInstanceOf(ProbeError);
    expect({ code: error.code, message: error.message, name: error.name }).toEqual({
      code: "second",
      message: "kpm: probe failed",
      name: "ProbeError",
    });
    expect(String(error)).toBe("ProbeError: kpm: probe failed");
  });
});
