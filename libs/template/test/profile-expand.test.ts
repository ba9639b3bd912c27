import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { expandProfile, TemplateError } from "../src/index.ts";
import { profileOf, thrown } from "./helpers.ts";

describe("expandProfile (§5.3)", () => {
  test("replaces a known key with its value", () => {
    expect(expandProfile("db-{{profile:env}}", profileOf({ env: "prod" }))).toBe("db-prod");
  });

  test("uses the default when the key is missing", () => {
    expect(expandProfile("db-{{profile:env:-dev}}", profileOf({}))).toBe("db-dev");
  });

  test("prefers the profile value over the default", () => {
    expect(expandProfile("{{profile:env:-dev}}", profileOf({ env: "prod" }))).toBe("prod");
  });

  test("allows an empty default", () => {
    expect(expandProfile("a{{profile:env:-}}b", profileOf({}))).toBe("ab");
  });

  test("splits key and default at the first ':-'", () => {
    expect(expandProfile("{{profile:k:-a:-b}}", profileOf({}))).toBe("a:-b");
  });

  test("expands several variables", () => {
    expect(expandProfile("{{profile:a}}/{{profile:b}}", profileOf({ a: "1", b: "2" }))).toBe("1/2");
  });

  test("text without variables is returned unchanged", () => {
    expect(expandProfile("${kms:kv/x#k:-d}", profileOf({}))).toBe("${kms:kv/x#k:-d}");
  });

  test("inserts values verbatim and rescans them", () => {
    const profile = profileOf({ outer: "{{profile:inner}}", inner: "x#y}" });
    expect(expandProfile("v={{profile:outer}}", profile)).toBe("v=x#y}");
  });

  test("a missing key without default names the key and where it looked", () => {
    const error = thrown(() => expandProfile("{{profile:region}}", profileOf({})));
    expect(error).toBeInstanceOf(TemplateError);
    expect(error).toMatchObject({
      code: "profile",
      message: 'profile variable "region" not found (checked .kpm/config.yaml up to root + global config)',
    });
  });

  test("an unterminated variable is an error quoting the text", () => {
    expect(thrown(() => expandProfile("a{{profile:env", profileOf({ env: "x" })))).toMatchObject({
      code: "profile",
      message: 'unterminated profile variable in "a{{profile:env"',
    });
  });

  test("a single '}' does not terminate a variable", () => {
    expect(thrown(() => expandProfile("{{profile:env}", profileOf({})))).toMatchObject({
      message: 'unterminated profile variable in "{{profile:env}"',
    });
  });

  test("exactly 32 substitutions are allowed", () => {
    const text = "{{profile:a}}".repeat(32);
    expect(expandProfile(text, profileOf({ a: "x" }))).toBe("x".repeat(32));
  });

  test("a 33rd substitution fails", () => {
    const text = "{{profile:a}}".repeat(33);
    expect(thrown(() => expandProfile(text, profileOf({ a: "x" })))).toMatchObject({
      code: "profile",
      message: `profile variable expansion exceeded 32 rounds in "${text}" (self-referential profile value?)`,
    });
  });

  test("a self-referential value stops after 32 rounds instead of looping", () => {
    expect(
      thrown(() => expandProfile("{{profile:loop}}", profileOf({ loop: "<{{profile:loop}}>" }))),
    ).toMatchObject({
      message:
        'profile variable expansion exceeded 32 rounds in "{{profile:loop}}" (self-referential profile value?)',
    });
  });

  test("property: only TemplateError escapes, and success leaves no complete variable", () => {
    const piece = fc.constantFrom("{{profile:", "}}", ":-", "a", "b", "{", "}", "x", "{{profile:a}}");
    const text = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(""));
    const value = fc.array(piece, { maxLength: 4 }).map((parts) => parts.join(""));
    fc.assert(
      fc.property(text, value, (input, a) => {
        try {
          const output = expandProfile(input, profileOf({ a }));
          expect(
            output.includes("{{profile:") && output.indexOf("}}", output.indexOf("{{profile:")) !== -1,
          ).toBe(false);
        } catch (error) {
          expect(error).toBeInstanceOf(TemplateError);
        }
      }),
    );
  });
});
