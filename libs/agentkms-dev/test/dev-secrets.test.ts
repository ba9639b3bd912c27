import { afterAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import {
  deleteDevSecret,
  listDevReferences,
  listDevSecrets,
  setDevSecret,
  validateKvPath,
} from "../src/dev-secrets.ts";
import { DevError } from "../src/errors.ts";
import { SecretStore } from "../src/store.ts";
import { decryptStore } from "../src/store-crypto.ts";

const FIXTURE = join(import.meta.dir, "../../../test/fixtures/agentkms-dev-v0.3.1/datadir");
const roots: string[] = [];

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "kpm-dev-secrets-"));
  roots.push(dir);
  return dir;
}

function dataDir(): string {
  const dir = tempDir();
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  writeFileSync(join(dir, "server.key"), privateKey.export({ type: "sec1", format: "pem" }));
  return dir;
}

async function rejection(promise: Promise<unknown>): Promise<DevError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DevError) return error;
    throw error;
  }
  throw new Error("expected a DevError");
}

const segment = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/).filter((text) => text !== "." && text !== "..");
const validPath = fc.array(segment, { minLength: 1, maxLength: 5 }).map((segments) => segments.join("/"));

describe("validateKvPath", () => {
  test("accepts ordinary multi-segment paths", () => {
    fc.assert(fc.property(validPath, (path) => expect(validateKvPath(path)).toBeNull()));
    expect(validateKvPath("generic/db/prod")).toBeNull();
    expect(validateKvPath("llm/anthropic")).toBeNull();
    expect(validateKvPath("a/" + "f".repeat(63))).toBeNull();
  });

  test("any control character anywhere is refused", () => {
    const control = fc.integer({ min: 0, max: 0x9f }).filter((code) => code < 0x20 || code >= 0x7f);
    fc.assert(
      fc.property(validPath, control, fc.nat(), (path, code, at) => {
        const index = at % (path.length + 1);
        const withControl = path.slice(0, index) + String.fromCharCode(code) + path.slice(index);
        expect(validateKvPath(withControl)).toBe("control character");
      }),
    );
  });

  test("a run of 64 hex digits is refused wherever it sits", () => {
    const hexRun = fc.stringMatching(/^[0-9a-fA-F]{64,80}$/);
    fc.assert(
      fc.property(validPath, hexRun, (path, run) => {
        expect(validateKvPath(`${path}/${run}`)).toBe("run of 64 or more hex digits");
        expect(validateKvPath(`${run}x/${path}`)).toBe("run of 64 or more hex digits");
      }),
    );
  });

  test("names the structural problem", () => {
    expect(validateKvPath("")).toBe("empty path");
    expect(validateKvPath("/generic/a")).toBe('leading "/"');
    expect(validateKvPath("generic/a/")).toBe('trailing "/"');
    expect(validateKvPath("generic//a")).toBe("empty segment");
    expect(validateKvPath("generic/./a")).toBe('"." segment');
    expect(validateKvPath("generic/../a")).toBe('".." segment');
    expect(validateKvPath("..")).toBe('".." segment');
  });
});

describe("setDevSecret / listDevSecrets / deleteDevSecret", () => {
  test("set stores at kv/data/<path>, replaces the whole map, and returns the field count", async () => {
    const dir = dataDir();
    expect(
      await setDevSecret(dir, "generic/db/prod", { host: "db", port: "5432", password: "p=w&<x>" }),
    ).toBe(3);
    expect(await setDevSecret(dir, "llm/anthropic", { api_key: "sk-test" })).toBe(1);
    expect(await setDevSecret(dir, "generic/db/prod", { host: "db2" })).toBe(1);
    const kv = new SecretStore(dir).read();
    expect(kv.get("kv/data/generic/db/prod")).toEqual({ host: "db2" });
    expect(kv.get("kv/data/llm/anthropic")).toEqual({ api_key: "sk-test" });
  });

  test("list gives every path with its kv/data/ prefix, sorted; empty without a store", async () => {
    const dir = dataDir();
    expect(listDevSecrets(dir)).toEqual([]);
    await setDevSecret(dir, "llm/openai", { api_key: "a" });
    await setDevSecret(dir, "generic/github", { token: "t" });
    await setDevSecret(dir, "generic/app/config", { jwt_secret: "j" });
    expect(listDevSecrets(dir)).toEqual([
      "kv/data/generic/app/config",
      "kv/data/generic/github",
      "kv/data/llm/openai",
    ]);
  });

  test("list of a store written by agentkms-dev shows its paths", () => {
    expect(listDevSecrets(FIXTURE)).toEqual(
      Object.keys(JSON.parse(readFileSync(join(FIXTURE, "EXPECTED.json"), "utf8")).plaintext).sort(),
    );
  });

  test("an invalid path is refused with the exact message and nothing is written", async () => {
    const dir = dataDir();
    const error = await rejection(setDevSecret(dir, "generic//db", { value: "v" }));
    expect(error.code).toBe("invalid_path");
    expect(error.message).toBe('invalid path "generic//db": empty segment');
    expect(existsSync(join(dir, "secrets.enc"))).toBe(false);
    const control = await rejection(setDevSecret(dir, "a\nb", { value: "v" }));
    expect(control.message).toBe('invalid path "a\\nb": control character');
  });

  test("a NUL byte or an unpaired surrogate in any field is refused by name, the stored map kept", async () => {
    const dir = dataDir();
    await setDevSecret(dir, "generic/x", { user: "u", password: "kept" });
    for (const [value, problem] of [
      ["MARKER_7f3a9c\0", "contains a NUL byte"],
      ["MARKER_7f3a9c\udfff", "is not valid UTF-8"],
    ]) {
      const error = await rejection(
        setDevSecret(dir, "generic/x", { user: "u2", password: value as string }),
      );
      expect([error.code, error.message]).toEqual(["invalid_value", `value of field "password" ${problem}`]);
    }
    expect(new SecretStore(dir).read().get("kv/data/generic/x")).toEqual({ user: "u", password: "kept" });
  });

  test("set with no fields is refused", async () => {
    const error = await rejection(setDevSecret(dataDir(), "generic/x", {}));
    expect(error.code).toBe("invalid_fields");
    expect(error.message).toBe("no fields to store at generic/x");
  });

  test("set without a PKI says to enroll", async () => {
    const dir = tempDir();
    const error = await rejection(setDevSecret(dir, "generic/x", { value: "v" }));
    expect(error.code).toBe("no_pki");
    expect(error.message).toBe(`no server key in ${dir} (server.key); run: kpm dev enroll`);
  });

  test("delete removes the path; deleting it again is not_found", async () => {
    const dir = dataDir();
    await setDevSecret(dir, "generic/a", { value: "1" });
    await setDevSecret(dir, "generic/b", { value: "2" });
    await deleteDevSecret(dir, "generic/a");
    expect(listDevSecrets(dir)).toEqual(["kv/data/generic/b"]);
    const error = await rejection(deleteDevSecret(dir, "generic/a"));
    expect(error.code).toBe("not_found");
    expect(error.message).toBe("generic/a not found");
  });

  test("delete in a dir without a store, or with an invalid path, fails without creating anything", async () => {
    const dir = tempDir();
    expect((await rejection(deleteDevSecret(dir, "generic/a"))).message).toBe("generic/a not found");
    expect((await rejection(deleteDevSecret(dir, "generic/../a"))).code).toBe("invalid_path");
    expect(existsSync(join(dir, "secrets.enc"))).toBe(false);
    expect(existsSync(join(dir, "secrets.enc.lock"))).toBe(false);
  });

  test("secrets set into an agentkms-dev data dir stay readable by agentkms-dev's key", async () => {
    const dir = tempDir();
    cpSync(FIXTURE, dir, { recursive: true });
    const expected = JSON.parse(readFileSync(join(FIXTURE, "EXPECTED.json"), "utf8"));
    await setDevSecret(dir, "generic/new", { token: "fixture-new" });
    await deleteDevSecret(dir, "llm/openai");
    const key = Buffer.from(expected.file_key_hex, "hex");
    const kv = decryptStore(key, new Uint8Array(readFileSync(join(dir, "secrets.enc"))));
    const { "kv/data/llm/openai": _removed, ...rest } = expected.plaintext;
    expect(Object.fromEntries(kv)).toEqual({ ...rest, "kv/data/generic/new": { token: "fixture-new" } });
  });
});

describe("listDevReferences", () => {
  test("names every llm provider and every generic field as a reference, never a value; registry entries are left out", async () => {
    const dir = dataDir();
    await setDevSecret(dir, "llm/openai", { api_key: "sk-value-never-listed" });
    await setDevSecret(dir, "generic/db/prod", { user: "u", password: "p" });
    await new SecretStore(dir).update((kv) => {
      kv.set("kv/data/secrets/svc/name", { value: "registry" });
    });
    const references = listDevReferences(dir);
    expect(references).toEqual(["kv/db/prod#password", "kv/db/prod#user", "llm/openai"]);
    expect(JSON.stringify(references)).not.toContain("sk-value-never-listed");
  });

  test("an empty store lists nothing", () => {
    expect(listDevReferences(dataDir())).toEqual([]);
  });
});
