// Property tests for the byte-level codecs: base64 into bytes, the stdin start document and
// issued-reference matching.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { encodeBase64 } from "../src/base64.ts";
import { IssuedRefs } from "../src/issued-refs.ts";
import { encodeStartMessage, parseStartMessage } from "../src/start-message.ts";

const sessionId = fc.stringMatching(/^s[0-9a-f]{8}$/);
const ref = fc.record({
  Type: fc.string(),
  Path: fc.string(),
  Key: fc.string(),
  Default: fc.option(fc.string(), { nil: null }),
});

describe("encodeBase64", () => {
  test("matches standard padded base64 for any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(new TextDecoder().decode(encodeBase64(bytes))).toBe(Buffer.from(bytes).toString("base64"));
      }),
    );
  });
});

describe("start document", () => {
  test("a default-mode document round-trips and carries the key only as base64", () => {
    fc.assert(
      fc.property(
        sessionId,
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 1, max: 1e9 }),
        fc.option(
          fc.record({ pid: fc.integer({ min: 1, max: 2 ** 22 }), start_time: fc.option(fc.string()) }),
        ),
        fc.boolean(),
        (sid, key, ttl, owner, replaceable) => {
          const bytes = encodeStartMessage(
            { mode: "default", sessionId: sid, ttlSeconds: ttl, sessionKey: key, owner, replaceable },
            `/r/${sid}.sock`,
          );
          const parsed = parseStartMessage(JSON.parse(new TextDecoder().decode(bytes)));
          expect(parsed).toEqual({
            v: 1,
            mode: "default",
            session: sid,
            socket: `/r/${sid}.sock`,
            ttl,
            owner,
            replaceable,
            session_key: Buffer.from(key).toString("base64"),
          });
        },
      ),
    );
  });

  test("a strict-mode document round-trips its issued references", () => {
    fc.assert(
      fc.property(fc.array(ref, { maxLength: 5 }), fc.string(), (refs, server) => {
        const bytes = encodeStartMessage(
          {
            mode: "strict",
            sessionId: "strict-00ff00ff",
            idleTimeoutSeconds: 60,
            server,
            clientCert: "/c",
            clientKey: "/k",
            ca: "/ca",
            refs,
          },
          "/r/x.sock",
        );
        const parsed = parseStartMessage(JSON.parse(new TextDecoder().decode(bytes)));
        expect(parsed?.mode === "strict" ? parsed.refs : null).toEqual(refs);
      }),
    );
  });

  test("rejects documents of another version, mode or with non-positive timers", () => {
    const base = {
      v: 1,
      mode: "default",
      session: "s00000000",
      socket: "/x",
      ttl: 5,
      session_key: "A".repeat(43) + "=",
    };
    expect(parseStartMessage(base)).not.toBeNull();
    expect(parseStartMessage({ ...base, v: 2 })).toBeNull();
    expect(parseStartMessage({ ...base, mode: "other" })).toBeNull();
    expect(parseStartMessage({ ...base, ttl: 0 })).toBeNull();
    expect(parseStartMessage({ ...base, session: "../x" })).toBeNull();
    expect(parseStartMessage({ ...base, session_key: "B".repeat(43) + "=" })).toBeNull();
  });
});

describe("IssuedRefs", () => {
  test("finds exactly the issued references, with null defaults matching an empty default", () => {
    fc.assert(
      fc.property(fc.array(ref, { maxLength: 8 }), ref, (issued, probe) => {
        const set = new IssuedRefs(issued);
        const blobRef = { ...probe, Default: probe.Default ?? "" };
        const expected =
          issued.find(
            (r) =>
              r.Type === blobRef.Type &&
              r.Path === blobRef.Path &&
              r.Key === blobRef.Key &&
              r.Default === blobRef.Default,
          ) ??
          (blobRef.Default === ""
            ? issued.find(
                (r) =>
                  r.Type === blobRef.Type &&
                  r.Path === blobRef.Path &&
                  r.Key === blobRef.Key &&
                  r.Default === null,
              )
            : undefined) ??
          null;
        expect(set.find(blobRef)).toEqual(expected);
        for (const r of issued) expect(set.find({ ...r, Default: r.Default ?? "" })).not.toBeNull();
      }),
    );
  });
});
