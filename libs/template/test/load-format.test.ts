import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { loadTemplate, TemplateError } from "../src/index.ts";
import { contextFor, profileOf, thrown, useFixtures } from "./helpers.ts";

const { fixture } = useFixtures();

/** Loads `content` as <root>/t.template and returns the entries. */
function load(content: string | Uint8Array, profile: Record<string, string> = {}) {
  const root = fixture({ "t.template": content });
  return loadTemplate("t.template", contextFor(root, profileOf(profile)));
}

/** Loads `content` expecting a TemplateError; returns it with `<file>` replaced by FILE. */
function failure(content: string | Uint8Array, profile: Record<string, string> = {}) {
  const root = fixture({ "t.template": content });
  const error = thrown(() => loadTemplate("t.template", contextFor(root, profileOf(profile))));
  if (!(error instanceof TemplateError)) throw error;
  return { code: error.code, message: error.message.replaceAll(join(root, "t.template"), "FILE") };
}

function plain(entries: ReturnType<typeof load>) {
  return entries.map((entry) => (entry.kind === "plain" ? [entry.key, entry.value] : [entry.key, entry.raw]));
}

describe("§5.1 file format", () => {
  test("entries keep file order and carry absolute file and line", () => {
    const root = fixture({ "t.template": "# comment\n\nA=1\nB=2\n" });
    expect(loadTemplate("t.template", contextFor(root))).toStrictEqual([
      { kind: "plain", key: "A", value: "1", file: join(root, "t.template"), line: 3 },
      { kind: "plain", key: "B", value: "2", file: join(root, "t.template"), line: 4 },
    ]);
  });

  test("an absolute template path is used as is", () => {
    const root = fixture({ "t.template": "A=1\n" });
    const [entry] = loadTemplate(join(root, "t.template"), contextFor("/"));
    expect(entry?.file).toBe(join(root, "t.template"));
  });

  test("a leading UTF-8 BOM is ignored", () => {
    expect(plain(load("\uFEFFA=1\n"))).toEqual([["A", "1"]]);
  });

  test("CRLF and LF line ends are both accepted, and a last line without newline counts", () => {
    expect(plain(load("A=1\r\nB=2\nC=3"))).toEqual([
      ["A", "1"],
      ["B", "2"],
      ["C", "3"],
    ]);
  });

  test("an empty file has no entries", () => {
    expect(load("")).toEqual([]);
  });

  test("surrounding whitespace is trimmed from lines, keys and values", () => {
    expect(plain(load("  \tA = spaced value \t\n"))).toEqual([["A", "spaced value"]]);
  });

  test("whole-line comments are ignored, even indented", () => {
    expect(plain(load("# x\n   # y=1\nA=1\n"))).toEqual([["A", "1"]]);
  });

  test("a '#' later in a line is part of the value", () => {
    expect(plain(load("A=value # not a comment\n"))).toEqual([["A", "value # not a comment"]]);
  });

  test("'export KEY=v' defines KEY", () => {
    expect(plain(load("export KEY=v\nexport\t  OTHER = w\n"))).toEqual([
      ["KEY", "v"],
      ["OTHER", "w"],
    ]);
  });

  test("a key named 'export' is just a key", () => {
    expect(plain(load("export=1\n"))).toEqual([["export", "1"]]);
  });

  test("the value is everything after the first '='", () => {
    expect(plain(load("A=b=c\n"))).toEqual([["A", "b=c"]]);
  });

  test("an empty value is allowed", () => {
    expect(plain(load("A=\nB=''\n"))).toEqual([
      ["A", ""],
      ["B", ""],
    ]);
  });

  test("one pair of matching quotes is stripped", () => {
    expect(plain(load(`A="x y"\nB='x'\nC="'q'"\n`))).toEqual([
      ["A", "x y"],
      ["B", "x"],
      ["C", "'q'"],
    ]);
  });

  test("quotes stay when the value is too short or they do not match", () => {
    expect(plain(load(`A="\nB='x"\nC="x\nD=x"\n`))).toEqual([
      ["A", '"'],
      ["B", `'x"`],
      ["C", '"x'],
      ["D", 'x"'],
    ]);
  });

  test("there is no escape processing", () => {
    expect(plain(load("A=a\\nb\\$c\n"))).toEqual([["A", "a\\nb\\$c"]]);
  });

  test("a line without '=' is an error that does not echo the line", () => {
    expect(failure("A=1\nsk-live-secret\n")).toEqual({
      code: "parse",
      message: "FILE:2: no '=' found (expected KEY=VALUE, a comment, or an include directive)",
    });
  });

  test("an empty key is an error", () => {
    expect(failure(" = x\n")).toEqual({ code: "parse", message: "FILE:1: empty variable name" });
  });

  test("'export' followed only by whitespace leaves an empty key name 'export'", () => {
    expect(plain(load("export =1\n"))).toEqual([["export", "1"]]);
  });

  for (const key of ["1A", "A-B", "A B", "Ä", "A.B", "export A B"]) {
    test(`invalid variable name "${key}" is an error`, () => {
      const expected = key.startsWith("export ") ? key.slice(7) : key;
      expect(failure(`${key}=1\n`)).toEqual({
        code: "parse",
        message: `FILE:1: invalid variable name "${expected}"`,
      });
    });
  }

  test("underscores and digits are fine in names", () => {
    expect(plain(load("_A1_b=1\n"))).toEqual([["_A1_b", "1"]]);
  });

  test("a line longer than 65,536 bytes is an error; exactly 65,536 is fine", () => {
    const ok = `A=${"x".repeat(65536 - 2)}`;
    expect(load(`${ok}\n`)[0]).toMatchObject({ key: "A" });
    expect(failure(`B=1\n${ok}x\n`)).toEqual({
      code: "parse",
      message: "FILE:2: line too long (max 65536 bytes)",
    });
  });

  test("line length counts bytes, not characters", () => {
    const value = "é".repeat(32767); // 65,534 bytes + "A=" = 65,536: fits
    expect(load(`A=${value}\n`)[0]).toMatchObject({ kind: "plain", value });
    expect(failure(`A=${value}é\n`).message).toBe("FILE:1: line too long (max 65536 bytes)");
  });

  test("invalid UTF-8 is an error at its line", () => {
    const bytes = new Uint8Array([...Buffer.from("A=1\nB="), 0xc3, 0x28, 0x0a]);
    expect(failure(bytes)).toEqual({ code: "parse", message: "FILE:2: invalid UTF-8" });
  });

  test("a NUL byte is an error at its line", () => {
    expect(failure("A=1\nB=2\nC=x\u0000y\n")).toEqual({ code: "parse", message: "FILE:3: NUL byte" });
  });

  test("errors are reported in line order", () => {
    const bytes = new Uint8Array([...Buffer.from("A=1\nnope\nB="), 0xff, 0x0a]);
    expect(failure(bytes).message).toBe(
      "FILE:2: no '=' found (expected KEY=VALUE, a comment, or an include directive)",
    );
  });

  test("a file over 1 MiB is rejected; exactly 1 MiB is read", () => {
    const line = `A=${"x".repeat(1000)}\n`;
    const exact = line.repeat(Math.floor((1024 * 1024) / line.length));
    const padded = exact + "#".repeat(1024 * 1024 - exact.length);
    expect(Buffer.byteLength(padded)).toBe(1024 * 1024);
    expect(load(padded)).toHaveLength(1);
    expect(failure(`${padded}\n`)).toEqual({
      code: "parse",
      message: "FILE: template too large (max 1 MiB)",
    });
  });

  test("duplicate keys keep the first position and the last value", () => {
    const entries = load("A=1\nB=2\nA=3\n");
    expect(plain(entries)).toEqual([
      ["A", "3"],
      ["B", "2"],
    ]);
    expect(entries[0]?.line).toBe(3);
  });

  test("a duplicate may change the kind of an entry", () => {
    expect(load("A=${kms:kv/x}\nA=plain\n")).toMatchObject([{ kind: "plain", key: "A", value: "plain" }]);
  });
});

describe("§5.1 rule 4 classification and §5.2 references in templates", () => {
  test("a value starting with ${kms: is a KMS entry", () => {
    expect(load("DB=${kms:kv/db/prod#password}\n")).toMatchObject([
      {
        kind: "kms",
        key: "DB",
        ref: { type: "kv", path: "db/prod", key: "password" },
        raw: "${kms:kv/db/prod#password}",
      },
    ]);
  });

  test("a quoted reference is a KMS entry", () => {
    expect(load(`A="\${kms:llm/openai}"\n`)).toMatchObject([
      { kind: "kms", ref: { type: "llm", path: "openai" } },
    ]);
  });

  test("defaults survive, including the empty default", () => {
    expect(load("A=${kms:kv/x#k:-}\nB=${kms:kv/x#k:-a}b}\n")).toMatchObject([
      { ref: { default: "" } },
      { ref: { default: "a}b" } },
    ]);
  });

  test("a reference that is not the entire value is an error", () => {
    expect(failure("A=prefix-${kms:kv/x#k}\n")).toEqual({
      code: "parse",
      message: 'FILE:1: "A": a ${kms:…} reference must be the entire value',
    });
  });

  for (const value of ["${kms:kv/}", "${kms:Kv/x}", "${kms:kv}", "${kms:kv/x", "${kms:kv/x} trailing"]) {
    test(`malformed reference ${value} is an invalid reference error`, () => {
      expect(failure(`A=ok\nSECRET=${value}\n`)).toEqual({
        code: "parse",
        message: 'FILE:2: invalid reference in "SECRET": expected ${kms:<type>/<path>[#key][:-default]}',
      });
    });
  }

  const badPaths: [string, string, string][] = [
    ["${kms:kv/#k}", "#k", "path segment starts or ends with '#'"],
    ["${kms:kv/a#}", "a#", "path segment starts or ends with '#'"],
    ["${kms:kv/a//b}", "a//b", "empty path segment"],
    ["${kms:kv/../etc}", "../etc", 'path segment ".." is not allowed'],
    ["${kms:kv/a/.}", "a/.", 'path segment "." is not allowed'],
    ["${kms:kv/a\tb}", "a\tb", "path contains a control character"],
    [`\${kms:kv/${"0".repeat(64)}}`, "0".repeat(64), "path contains a run of 64 or more hex digits"],
  ];
  for (const [value, path, reason] of badPaths) {
    test(`${JSON.stringify(value)} is an invalid path (${reason})`, () => {
      expect(failure(`A=${value}\n`)).toEqual({
        code: "parse",
        message: `FILE:1: invalid reference path "${path}": ${reason}`,
      });
    });
  }

  test("profile variables inside a reference are expanded before parsing", () => {
    expect(load("A=${kms:kv/db/{{profile:env:-dev}}#password}\n")).toMatchObject([
      { kind: "kms", ref: { type: "kv", path: "db/dev", key: "password" }, raw: "${kms:kv/db/dev#password}" },
    ]);
    expect(load("A=${kms:kv/db/{{profile:env:-dev}}#password}\n", { env: "prod" })).toMatchObject([
      { ref: { path: "db/prod" } },
    ]);
  });

  test("a profile value can supply the type and the default", () => {
    expect(load("A=${kms:{{profile:svc}}/x:-{{profile:d:-}}}\n", { svc: "stripe" })).toMatchObject([
      { kind: "kms", ref: { type: "stripe", path: "x", default: "" } },
    ]);
  });

  test("plain values get profile expansion but never become references", () => {
    expect(load("A={{profile:ref}}\nB=x-{{profile:env}}\n", { ref: "${kms:kv/x}", env: "prod" })).toEqual([
      expect.objectContaining({ kind: "plain", key: "A", value: "${kms:kv/x}" }),
      expect.objectContaining({ kind: "plain", key: "B", value: "x-prod" }),
    ]);
  });

  test("a profile value that breaks the reference grammar is an invalid reference", () => {
    expect(failure("A=${kms:{{profile:svc}}/x}\n", { svc: "Bad" }).message).toBe(
      'FILE:1: invalid reference in "A": expected ${kms:<type>/<path>[#key][:-default]}',
    );
  });

  test("a profile value cannot turn an entry into an include", () => {
    expect(failure("A=${kms:{{profile:t}}/x}\n", { t: "include" })).toEqual({
      code: "parse",
      message: 'FILE:1: "A": ${kms:include/…} is only allowed as an include directive',
    });
  });

  test("profile errors name file, line and entry", () => {
    expect(failure("A=1\nB=${kms:kv/{{profile:env}}}\n")).toEqual({
      code: "profile",
      message:
        'error resolving profile variables: FILE:2: entry "B": profile variable "env" not found (checked .kpm/config.yaml up to root + global config)',
    });
  });

  test("an unterminated profile variable in a plain value is a profile error", () => {
    expect(failure("A=x{{profile:env\n")).toEqual({
      code: "profile",
      message:
        'error resolving profile variables: FILE:1: entry "A": unterminated profile variable in "x{{profile:env"',
    });
  });

  test("the 32-round limit applies per value", () => {
    const ok = `A=${"{{profile:a}}".repeat(32)}\nB=${"{{profile:a}}".repeat(32)}\n`;
    expect(load(ok, { a: "x" })).toHaveLength(2);
    expect(failure(`A=${"{{profile:a}}".repeat(33)}\n`, { a: "x" }).message).toContain(
      "profile variable expansion exceeded 32 rounds",
    );
  });
});

describe("unreadable templates", () => {
  test("a missing file is an io error naming the path", () => {
    const root = fixture();
    expect(thrown(() => loadTemplate("none.template", contextFor(root)))).toMatchObject({
      code: "io",
      message: `open template ${join(root, "none.template")}: no such file or directory`,
    });
  });

  test("a directory is an io error", () => {
    const root = fixture({ "dir.template/x": "" });
    expect(thrown(() => loadTemplate("dir.template", contextFor(root)))).toMatchObject({
      code: "io",
      message: `open template ${join(root, "dir.template")}: is a directory`,
    });
  });

  test("a path through a file is an io error", () => {
    const root = fixture({ file: "" });
    expect(thrown(() => loadTemplate("file/t.template", contextFor(root)))).toMatchObject({
      code: "io",
      message: `open template ${join(root, "file/t.template")}: not a directory`,
    });
  });
});
