import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { httpError, redirectError } from "../src/http-error.ts";

describe("httpError", () => {
  test("a JSON error with a code reads `<op>: <error> (<code>)`", () => {
    const error = httpError("write a/b", 400, '{"error":"invalid JSON body","code":"invalid_request"}\n');
    expect(error.message).toBe("write a/b: invalid JSON body (invalid_request)");
    expect(error.serverCode).toBe("invalid_request");
    expect(error.notFound).toBe(false);
  });

  test("a JSON error without a code reads `<op>: <error>`", () => {
    const error = httpError("authenticate", 401, '{"error":"client certificate required"}');
    expect(error.message).toBe("authenticate: client certificate required");
    expect(error.serverCode).toBeUndefined();
  });

  test("a JSON 404 is not found, even with an empty error", () => {
    expect(httpError("request", 404, '{"error":"secret not found","code":"key_not_found"}').notFound).toBe(
      true,
    );
    const bare = httpError("request", 404, "{}");
    expect(bare.notFound).toBe(true);
    expect(bare.message).toBe("request: not found (404)");
  });

  test("a non-object JSON body is treated as text", () => {
    expect(httpError("request", 404, "[1]").notFound).toBe(false);
    expect(httpError("request", 404, "null").notFound).toBe(false);
  });

  test("non-string error fields fall back to the status text", () => {
    expect(httpError("request", 500, '{"error":5,"code":7}').message).toBe(
      "request: server error (500) — check server logs",
    );
  });

  test("a redirect names its status", () => {
    const error = redirectError("request", 308);
    expect(error.message).toBe("request: unexpected redirect (308); kpm does not follow redirects");
    expect(error.status).toBe(308);
  });

  test("any body maps to a message with the op prefix; notFound only for a JSON 404; denied only for 403", () => {
    fc.assert(
      fc.property(fc.integer({ min: 400, max: 599 }), fc.oneof(fc.string(), fc.json()), (status, body) => {
        const error = httpError("op", status, body);
        expect(error.message.startsWith("op: ")).toBe(true);
        expect(error.status).toBe(status);
        expect(error.denied).toBe(status === 403);
        if (error.notFound) {
          expect(status).toBe(404);
          const parsed: unknown = JSON.parse(body);
          expect(typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)).toBe(true);
        }
      }),
    );
  });
});
