// The flat config reader (config.ts): a fast path that must agree exactly with the YAML parser
// and the schema on every file it accepts, and decline everything else. Differential property
// test against the real `yaml` package, plus loadConfig on real files.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { parse as parseYaml } from "yaml";
import { loadConfig, parseFlatConfig } from "../src/config.ts";
import { configYaml } from "../src/quickstart/demo-data.ts";

const dir = mkdtempSync(join(tmpdir(), "kpm-config-flat-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Values of every type a flat file can hold for the keys kpm knows, and some it does not. */
const flatValue = fc.oneof(
  fc.constantFrom("https://h", "/abs/client.crt", "~/ca.crt", ".env.template", "true", "false", "True"),
  fc.integer({ min: -5, max: 100_000 }).map(String),
);
const flatFile = fc
  .dictionary(
    fc.constantFrom(
      "server",
      "cert",
      "default_template",
      "session_key_ttl",
      "secure_mode",
      "profile",
      "other",
    ),
    flatValue,
    { maxKeys: 5 },
  )
  .map((entries) =>
    Object.entries(entries)
      .map(([key, value]) => `${key}: ${value}\n`)
      .join(""),
  );

describe("parseFlatConfig", () => {
  test("whenever it accepts a file, it types what the YAML parser reads as the schema does", () => {
    let accepted = 0;
    fc.assert(
      fc.property(flatFile, (source) => {
        const flat = parseFlatConfig(source);
        if (!flat) return;
        accepted++;
        const raw = parseYaml(source) ?? {};
        expect(flat.values).toEqual(raw);
        for (const [key, value] of Object.entries(flat.data)) {
          const original = (raw as Record<string, unknown>)[key];
          if (typeof value === "number")
            expect(value).toBe((original as number) > 0 ? (original as number) : 3600);
          else expect(value).toBe(original as string);
        }
      }),
      { numRuns: 1000 },
    );
    expect(accepted).toBeGreaterThan(50);
  });

  test("secure_mode: true|false is the one boolean the fast path reads", () => {
    expect(parseFlatConfig("server: https://h\nsecure_mode: false\nsession_key_ttl: 3600\n")).toEqual({
      data: { server: "https://h", secure_mode: false, session_key_ttl: 3600 },
      values: { server: "https://h", secure_mode: false, session_key_ttl: 3600 },
    });
    expect(parseFlatConfig("secure_mode: true\n")?.data).toEqual({ secure_mode: true });
    // quickstart's real file (it writes secure_mode: false) no longer falls back to YAML and zod.
    expect(parseFlatConfig(configYaml("127.0.0.1:8443", "/home/u/.local/share/kpm/certs"))).toBeDefined();
  });

  test("the files init and quickstart write are read by the fast path", () => {
    const flat = parseFlatConfig(
      "# kpm config\nserver: https://127.0.0.1:8443\ncert: ~/.local/share/kpm/certs/client.crt\n" +
        "key: ~/.local/share/kpm/certs/client.key\nca: ~/.local/share/kpm/certs/ca.crt\nsession_key_ttl: 600\n",
    );
    expect(flat?.data).toEqual({
      server: "https://127.0.0.1:8443",
      cert: "~/.local/share/kpm/certs/client.crt",
      key: "~/.local/share/kpm/certs/client.key",
      ca: "~/.local/share/kpm/certs/ca.crt",
      session_key_ttl: 600,
    });
  });

  test.each([
    ["a boolean for another key", "server: true\n"],
    ["a capitalised boolean", "secure_mode: True\n"],
    ["a profile mapping", "profile:\n  env: prod\n"],
    ["a quoted value", 'server: "https://h"\n'],
    ["a trailing comment", "server: https://h # main\n"],
    ["a number where a path belongs", "cert: 42\n"],
    ["a path where a number belongs", "session_key_ttl: soon\n"],
    ["a duplicate key", "server: https://a\nserver: https://b\n"],
    ["CRLF line ends", "server: https://h\r\n"],
    ["an empty value", "server:\n"],
  ])("declines %s (the YAML parser and schema decide)", (_name, source) => {
    expect(parseFlatConfig(source)).toBeUndefined();
  });
});

describe("loadConfig", () => {
  test("a flat file and its quoted YAML twin load to the same config", () => {
    const flat = writeConfig(
      "flat.yaml",
      "server: https://127.0.0.1:8443\ncert: certs/c.crt\nkey: ~/k.pem\nca: /etc/ca.crt\nstrict_idle_timeout: -5\nextra: x\n",
    );
    const quoted = writeConfig(
      "quoted.yaml",
      "server: 'https://127.0.0.1:8443'\ncert: \"certs/c.crt\"\nkey: '~/k.pem'\nca: /etc/ca.crt # trust\n" +
        "strict_idle_timeout: -5\nextra: 'x'\n",
    );
    const fromFlat = loadConfig(flat, "/home/u");
    const fromYaml = loadConfig(quoted, "/home/u");
    expect({ ...fromFlat, path: "", exists: true }).toEqual({ ...fromYaml, path: "", exists: true });
    expect(fromFlat).toMatchObject({
      server: "https://127.0.0.1:8443",
      cert: join(dir, "certs/c.crt"),
      key: "/home/u/k.pem",
      ca: "/etc/ca.crt",
      strictIdleTimeout: 3600,
      sessionKeyTtl: 3600,
      unknownKeys: ["extra"],
    });
  });

  test("a file the fast path declines still fails with the schema's text", () => {
    const path = writeConfig("bad.yaml", "session_key_ttl: soon\n");
    expect(() => loadConfig(path, "/home/u")).toThrow(
      `error: config parse error: parse config ${path}: session_key_ttl: `,
    );
  });

  test("a secure_mode boolean and a profile mapping load through YAML", () => {
    const path = writeConfig("full.yaml", "server: https://h\nsecure_mode: false\nprofile:\n  env: prod\n");
    expect(loadConfig(path, "/home/u")).toMatchObject({ server: "https://h", unknownKeys: [] });
  });
});

describe("loadConfig edge cases", () => {
  test("a missing, empty or null file is an empty config with defaults", () => {
    for (const [name, body] of [
      ["empty.yaml", ""],
      ["blank.yaml", "  \n"],
      ["null.yaml", "~\n"],
    ] as const) {
      const path = writeConfig(name, body);
      expect(loadConfig(path, "/home/u")).toMatchObject({
        exists: true,
        sessionKeyTtl: 3600,
        unknownKeys: [],
      });
    }
    expect(loadConfig(join(dir, "absent.yaml"), "/home/u")).toMatchObject({
      exists: false,
      defaultTemplate: ".env.template",
    });
  });

  test("YAML syntax errors and non-mapping documents are parse errors", () => {
    const broken = writeConfig("broken.yaml", "server: [unclosed\n");
    expect(() => loadConfig(broken, "/h")).toThrow(`error: config parse error: parse config ${broken}: `);
    const scalar = writeConfig("scalar.yaml", "just text\n");
    expect(() => loadConfig(scalar, "/h")).toThrow(
      `error: config parse error: parse config ${scalar}: top level must be a mapping`,
    );
  });

  test("a config path that is a directory names the reason", () => {
    expect(() => loadConfig(dir, "/h")).toThrow(
      `error: config parse error: parse config ${dir}: is a directory`,
    );
  });
});
