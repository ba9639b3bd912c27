// Secret-type detection (spec §11.6): every rule with examples at its edges, the first-match
// order, and properties over generated values.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { detectSecretType } from "../src/secret-type.ts";

const KEY_MARKERS = [
  "-----BEGIN OPENSSH PRIVATE KEY-----",
  "-----BEGIN RSA PRIVATE KEY-----",
  "-----BEGIN EC PRIVATE KEY-----",
  "-----BEGIN PRIVATE KEY-----",
  "-----BEGIN DSA PRIVATE KEY-----",
  "-----BEGIN ENCRYPTED PRIVATE KEY-----",
];
const CERT_MARKERS = ["-----BEGIN CERTIFICATE-----", "-----BEGIN TRUSTED CERTIFICATE-----"];
const SCHEMES = [
  "postgres://",
  "postgresql://",
  "mongodb://",
  "mongodb+srv://",
  "mysql://",
  "mysql+ssl://",
  "redis://",
  "rediss://",
  "amqp://",
  "amqps://",
  "sqlserver://",
  "mssql://",
  "oracle://",
  "clickhouse://",
];
const TOKEN_PREFIXES = [
  "sk-",
  "sk_test_",
  "sk_live_",
  "pk_test_",
  "pk_live_",
  "rk_test_",
  "rk_live_",
  "sg-",
  "SG.",
  "Bearer ",
  "token_",
  "key-",
  "api_",
];

/** Non-empty: "Bearer " alone trims to "Bearer", which is generic. */
const alnum = fc.stringMatching(/^[A-Za-z0-9]{1,40}$/);
const hexOf = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-fA-F]{${length}}$`));

describe("rule 1: private keys are ssh-key", () => {
  test.each(KEY_MARKERS)("%s anywhere in the value", (marker) => {
    expect(detectSecretType(`${marker}\nAAAA\n-----END-----\n`)).toBe("ssh-key");
    expect(detectSecretType(`comment line\n${marker}\n`)).toBe("ssh-key");
  });

  test("a key marker wins over a certificate marker (a PEM bundle)", () => {
    expect(detectSecretType(`${CERT_MARKERS[0]}\nMII\n${KEY_MARKERS[3]}\nMII\n`)).toBe("ssh-key");
  });

  test("a public key is not a private key", () => {
    expect(detectSecretType("-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----")).toBe("generic");
  });
});

describe("rule 2: certificates", () => {
  test.each(CERT_MARKERS)("%s is a certificate", (marker) => {
    expect(detectSecretType(`${marker}\nMIIB\n-----END CERTIFICATE-----`)).toBe("certificate");
  });
});

describe("rule 3: connection strings", () => {
  test.each(SCHEMES)("%s… is a connection-string", (scheme) => {
    expect(detectSecretType(`${scheme}user:pw@host:1/db`)).toBe("connection-string");
  });

  test("the scheme must start the value and match case", () => {
    expect(detectSecretType("url=postgres://h/db")).toBe("generic");
    expect(detectSecretType("POSTGRES://h/db")).toBe("generic");
    expect(detectSecretType("https://example.invalid/x")).toBe("generic");
  });
});

describe("rule 4: JWT", () => {
  test("three base64url parts starting with eyJ", () => {
    expect(detectSecretType("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-_nature")).toBe("jwt");
  });

  test("two parts, padding or an empty part are not a JWT", () => {
    expect(detectSecretType("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0")).toBe("generic");
    expect(detectSecretType("eyJhbGci.eyJz.c2ln=")).toBe("generic");
    expect(detectSecretType("eyJhbGci..c2ln")).toBe("generic");
  });
});

describe("rule 5: token patterns", () => {
  test.each([
    ["GitHub", `ghp_${"a".repeat(36)}`],
    ["GitHub server", `ghs_${"A1".repeat(20)}`],
    ["Stripe-style (sk_)", "sk_live_abcdefghijklmnop"],
    ["Stripe-style (rk_test)", "rk_test_ABCDEFGHIJKLMNOP"],
    ["Slack", "xoxb-1234567890-abc"],
    ["AWS access key", "AKIAABCDEFGHIJKLMNOP"],
  ])("%s → api-token", (_name, value) => {
    expect(detectSecretType(value)).toBe("api-token");
  });

  test("just short of a pattern is generic", () => {
    expect(detectSecretType(`ghp_${"a".repeat(35)}`)).toBe("generic");
    expect(detectSecretType("xoxq-1234567890")).toBe("generic");
    expect(detectSecretType("AKIAabcdefghijklmnop")).toBe("generic");
    expect(detectSecretType("AKIAABCDEFGHIJKLMNO")).toBe("generic");
  });
});

describe("rule 6: token prefixes", () => {
  test.each(TOKEN_PREFIXES)("%p… is an api-token", (prefix) => {
    expect(detectSecretType(`${prefix}x`)).toBe("api-token");
  });

  test("an Anthropic key is an api-token", () => {
    expect(detectSecretType("sk-ant-api03-abc")).toBe("api-token");
  });

  test("a bare prefix that trims to nothing after it is not a token", () => {
    expect(detectSecretType("Bearer ")).toBe("generic");
  });
});

describe("rule 7: bare hex of a hash length", () => {
  test.each([32, 40, 64])("%i hex digits → api-token", (length) => {
    expect(detectSecretType("aB".repeat(length / 2))).toBe("api-token");
  });

  test.each([31, 33, 48, 63, 65])("%i hex digits → generic", (length) => {
    expect(detectSecretType("f".repeat(length))).toBe("generic");
  });
});

describe("rule 8 and trimming", () => {
  test("anything else is generic, including the empty string", () => {
    expect(detectSecretType("just words")).toBe("generic");
    expect(detectSecretType("")).toBe("generic");
    expect(detectSecretType("  \n")).toBe("generic");
  });

  test("detection runs on the trimmed value", () => {
    expect(detectSecretType("  sk-abc\n")).toBe("api-token");
    expect(detectSecretType(`\n${"0".repeat(40)}\n\n`)).toBe("api-token");
    expect(detectSecretType("\tpostgres://h/db  ")).toBe("connection-string");
  });
});

describe("properties", () => {
  test("surrounding whitespace never changes the type", () => {
    const whitespace = fc.stringMatching(/^[ \t\r\n]{0,4}$/);
    fc.assert(
      fc.property(whitespace, fc.string(), whitespace, (before, value, after) => {
        expect(detectSecretType(`${before}${value}${after}`)).toBe(detectSecretType(value));
      }),
    );
  });

  test("a private-key marker anywhere makes ssh-key, whatever surrounds it", () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom(...KEY_MARKERS), fc.string(), (before, marker, after) => {
        expect(detectSecretType(`${before}${marker}${after}`)).toBe("ssh-key");
      }),
    );
  });

  test("a known scheme or token prefix decides the type for alphanumeric remainders", () => {
    fc.assert(
      fc.property(fc.constantFrom(...SCHEMES), alnum, (scheme, rest) => {
        expect(detectSecretType(`${scheme}${rest}`)).toBe("connection-string");
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...TOKEN_PREFIXES), alnum, (prefix, rest) => {
        expect(detectSecretType(`${prefix}${rest}`)).toBe("api-token");
      }),
    );
  });

  test("hex is an api-token exactly at 32, 40 and 64 digits", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }).chain((length) => hexOf(length)),
        (hex) => {
          const expected = [32, 40, 64].includes(hex.length) ? "api-token" : "generic";
          expect(detectSecretType(hex)).toBe(expected);
        },
      ),
    );
  });

  test("the result is always one of the six types", () => {
    const types = ["ssh-key", "certificate", "connection-string", "jwt", "api-token", "generic"];
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (value) => {
        expect(types).toContain(detectSecretType(value));
      }),
    );
  });
});
