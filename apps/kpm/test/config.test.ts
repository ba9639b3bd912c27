// config.yaml loading (spec §4.3) from real files: defaults with and without a file, TTL rules,
// the exact parse-error text, path expansion relative to the file, and unknown keys.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { CliError } from "../src/cli/errors.ts";
import { loadConfig } from "../src/config.ts";

let root: string;
let home: string;
let dir: string;
let path: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "kpm-config-"));
  home = join(root, "home");
  dir = join(root, "conf");
  mkdirSync(home);
  mkdirSync(dir);
  path = join(dir, "config.yaml");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function loadText(text: string) {
  writeFileSync(path, text);
  return loadConfig(path, home);
}

function parseFailure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof CliError) {
      expect(error.exitCode).toBe(1);
      return error.lines.join("\n");
    }
    throw error;
  }
  throw new Error("expected a CliError");
}

const DEFAULTS = {
  defaultTemplate: ".env.template",
  sessionKeyTtl: 3600,
  strictIdleTimeout: 3600,
  agent: true,
  agentIdleTimeout: 900,
  agentCacheTtl: 600,
  unknownKeys: [],
};

describe("defaults", () => {
  test("a missing file is an empty config with every default applied", () => {
    expect(loadConfig(path, home)).toEqual({ path, exists: false, ...DEFAULTS });
  });

  for (const [label, text] of [
    ["an empty file", ""],
    ["a whitespace-only file", "  \n\n"],
    ["a comment-only file", "# nothing here\n"],
    ["an explicit null document", "~\n"],
  ] as const) {
    test(`${label} exists and gets the defaults`, () => {
      expect(loadText(text)).toEqual({ path, exists: true, ...DEFAULTS });
    });
  }

  test("TTLs ≤ 0 mean 3600; positive TTLs are kept", () => {
    expect(loadText("session_key_ttl: 0\nstrict_idle_timeout: -5\n")).toMatchObject({
      sessionKeyTtl: 3600,
      strictIdleTimeout: 3600,
    });
    expect(loadText("session_key_ttl: 60\nstrict_idle_timeout: 1\n")).toMatchObject({
      sessionKeyTtl: 60,
      strictIdleTimeout: 1,
    });
  });

  test("agent keys: agent: false turns it off; agent TTLs ≤ 0 mean their own defaults (900, 600)", () => {
    expect(loadText("agent: false\nagent_idle_timeout: 30\nagent_cache_ttl: 5\n")).toMatchObject({
      agent: false,
      agentIdleTimeout: 30,
      agentCacheTtl: 5,
    });
    expect(loadText("agent: true\nagent_idle_timeout: 0\nagent_cache_ttl: -1\n")).toMatchObject({
      agent: true,
      agentIdleTimeout: 900,
      agentCacheTtl: 600,
    });
    // The same through the YAML parser and the schema (a quoted value makes the flat reader decline).
    expect(loadText("agent: false\nagent_cache_ttl: 0\nserver: 'https://x'\n")).toMatchObject({
      agent: false,
      agentCacheTtl: 600,
    });
  });

  test("any integer TTL maps to itself when positive and to 3600 otherwise", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000, max: 1_000_000 }), (ttl) => {
        writeFileSync(path, `session_key_ttl: ${ttl}\n`);
        expect(loadConfig(path, home).sessionKeyTtl).toBe(ttl > 0 ? ttl : 3600);
      }),
      { numRuns: 50 },
    );
  });

  test("an empty default_template falls back to .env.template", () => {
    expect(loadText('default_template: ""\n').defaultTemplate).toBe(".env.template");
    expect(loadText("default_template: ci.template\n").defaultTemplate).toBe("ci.template");
  });
});

describe("parse errors", () => {
  test("a non-integer TTL is fatal with the exact text", () => {
    writeFileSync(path, "session_key_ttl: 1.5\n");
    expect(parseFailure(() => loadConfig(path, home))).toStartWith(
      `error: config parse error: parse config ${path}: session_key_ttl: `,
    );
  });

  test("a string TTL is fatal and names the key", () => {
    writeFileSync(path, "strict_idle_timeout: soon\n");
    expect(parseFailure(() => loadConfig(path, home))).toStartWith(
      `error: config parse error: parse config ${path}: strict_idle_timeout: `,
    );
  });

  test("a YAML syntax error is fatal, on one line, without echoing the file", () => {
    writeFileSync(path, 'server: "https://x\nkey: [unclosed\n');
    const message = parseFailure(() => loadConfig(path, home));
    expect(message).toStartWith(`error: config parse error: parse config ${path}: `);
    expect(message).not.toContain("\n");
  });

  test("a top level that is not a mapping is fatal", () => {
    writeFileSync(path, "- a\n- b\n");
    expect(parseFailure(() => loadConfig(path, home))).toBe(
      `error: config parse error: parse config ${path}: top level must be a mapping`,
    );
    writeFileSync(path, "just text\n");
    expect(parseFailure(() => loadConfig(path, home))).toBe(
      `error: config parse error: parse config ${path}: top level must be a mapping`,
    );
  });

  test("a wrong type for a path key names the key", () => {
    writeFileSync(path, "cert: [a, b]\n");
    expect(parseFailure(() => loadConfig(path, home))).toStartWith(
      `error: config parse error: parse config ${path}: cert: `,
    );
  });

  test("a config path that is a directory fails with the reason", () => {
    expect(parseFailure(() => loadConfig(dir, home))).toBe(
      `error: config parse error: parse config ${dir}: is a directory`,
    );
  });

  test("a config path below a regular file fails with not a directory", () => {
    writeFileSync(join(root, "file"), "");
    const inside = join(root, "file", "config.yaml");
    expect(parseFailure(() => loadConfig(inside, home))).toBe(
      `error: config parse error: parse config ${inside}: not a directory`,
    );
  });

  test("an unreadable file (read as nobody) fails with permission denied", () => {
    writeFileSync(path, "server: https://x:1\n");
    chmodSync(path, 0o600);
    chmodSync(root, 0o755);
    chmodSync(dir, 0o755);
    const script = `import { loadConfig } from ${JSON.stringify(join(import.meta.dir, "../src/config.ts"))};
try { loadConfig(${JSON.stringify(path)}, "/"); console.log("loaded"); } catch (e) { console.log(e.lines.join("\\n")); }`;
    const scriptPath = join(root, "probe.ts");
    writeFileSync(scriptPath, script);
    chmodSync(scriptPath, 0o644);
    const child = Bun.spawnSync(
      ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, scriptPath],
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/" }, cwd: "/" },
    );
    expect(child.stdout.toString()).toBe(
      `error: config parse error: parse config ${path}: permission denied\n`,
    );
  });
});

describe("confine", () => {
  test("auto, required and off are read, flat or as YAML; anything else is a parse error", () => {
    expect(loadText("confine: required\n").confine).toBe("required");
    expect(loadText('confine: "off"\n').confine).toBe("off");
    expect(loadText("server: x\n").confine).toBeUndefined();
    expect(() => loadText("confine: sometimes\n")).toThrow(
      'confine: expected one of auto, required, off (got "sometimes")',
    );
  });
});

describe("paths in the file", () => {
  test("relative cert/key/ca/audit_log resolve against the config file's directory", () => {
    expect(loadText("cert: c.crt\nkey: sub/k.key\nca: ../ca.crt\naudit_log: audit.ndjson\n")).toMatchObject({
      cert: join(dir, "c.crt"),
      key: join(dir, "sub/k.key"),
      ca: join(root, "ca.crt"),
      auditLog: join(dir, "audit.ndjson"),
    });
  });

  test("~ and ~/ expand to HOME; ~user and absolute paths stay", () => {
    expect(loadText('cert: ~/c.crt\nkey: "~"\nca: /etc/ca.crt\naudit_log: ~bob/a\n')).toMatchObject({
      cert: join(home, "c.crt"),
      key: home,
      ca: "/etc/ca.crt",
      auditLog: join(dir, "~bob/a"),
    });
  });

  test("empty path values count as unset", () => {
    const config = loadText('cert: ""\nserver: https://x:1\n');
    expect(config.cert).toBeUndefined();
    expect(config.server).toBe("https://x:1");
  });

  test("server is kept as written", () => {
    expect(loadText("server: https://kms.example:8443/\n").server).toBe("https://kms.example:8443/");
  });
});

describe("unknown keys", () => {
  test("are ignored and listed", () => {
    const config = loadText("server: https://x:1\nfoo: 1\nbar:\n  nested: true\nsecure_mode: false\n");
    expect(config.unknownKeys).toEqual(["foo", "bar"]);
    expect(config.server).toBe("https://x:1");
  });
});

describe("secure_mode", () => {
  const refusal = () => [
    `error: config ${path}: secure_mode: true is not supported`,
    "  use kpm run --secure for each tool that should get only its allow-listed secrets, and remove secure_mode",
  ];

  test("true is refused with the key named, whichever reader reads the file", () => {
    // The flat fast path (what init and quickstart write) and the YAML parser (flow style).
    expect(parseFailure(() => loadText("server: https://x:1\nsecure_mode: true\n"))).toBe(
      refusal().join("\n"),
    );
    expect(parseFailure(() => loadText("{server: 'https://x:1', secure_mode: true}\n"))).toBe(
      refusal().join("\n"),
    );
    expect(parseFailure(() => loadText("secure_mode: True\nprofile:\n  a: 1\n"))).toBe(refusal().join("\n"));
  });

  test("false or absent is accepted; a non-boolean is a parse error", () => {
    expect(loadText("secure_mode: false\n").unknownKeys).toEqual([]);
    expect(loadText("server: https://x:1\n").unknownKeys).toEqual([]);
    expect(parseFailure(() => loadText("secure_mode: yes\n"))).toStartWith(
      `error: config parse error: parse config ${path}: secure_mode: `,
    );
  });

  test("profile accepts a mapping of scalars or null", () => {
    expect(() => loadText("profile:\n  team: core\n  n: 3\n  on: true\n  none: null\n")).not.toThrow();
    expect(() => loadText("profile:\n")).not.toThrow();
    expect(parseFailure(() => loadText("profile:\n  nested: {a: 1}\n"))).toStartWith(
      `error: config parse error: parse config ${path}: profile.nested: `,
    );
  });
});

describe("broker", () => {
  test("resolve and upstream_ca are read; upstream_ca is a path relative to the file", () => {
    const config = loadText(
      'broker:\n  resolve:\n    api.anthropic.com: "127.0.0.1:8443"\n    v6.test: "[::1]:9"\n  upstream_ca: ca.pem\n',
    );
    expect(config.broker).toEqual({
      resolve: { "api.anthropic.com": "127.0.0.1:8443", "v6.test": "[::1]:9" },
      upstreamCa: join(dir, "ca.pem"),
    });
    expect(loadText("broker: {}\n").broker).toEqual({ resolve: {}, upstreamCa: undefined });
    expect(loadText("server: x\n").broker).toBeUndefined();
    expect(loadText("server: x\n").unknownKeys).toEqual([]);
  });

  test("an address that is not <address>:<port> is one parse error; a scalar broker is the schema's", () => {
    expect(parseFailure(() => loadText('broker:\n  resolve:\n    a.test: "127.0.0.1"\n'))).toBe(
      `error: config parse error: parse config ${path}: broker.resolve.a.test: expected <address>:<port> (got "127.0.0.1")`,
    );
    expect(parseFailure(() => loadText("broker: yes\n"))).toContain(`parse config ${path}: broker:`);
  });
});
