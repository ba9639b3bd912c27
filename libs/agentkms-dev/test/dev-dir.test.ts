// The dev dir: where it is and how agentkms-dev lays out its PKI and store in it (cli §15.1).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  clientFiles,
  clientPaths,
  DEFAULT_CLIENT_CN,
  DEV_CA_CN,
  devDirOfClientFile,
  pkiPaths,
  resolveDevDir,
} from "../src/dev-dir.ts";

test("--dir wins over $AGENTKMS_DIR and the default", () => {
  expect(resolveDevDir({ dir: "/flag", env: { AGENTKMS_DIR: "/env" }, home: "/home/u" })).toBe("/flag");
});

test("$AGENTKMS_DIR is used when --dir is absent", () => {
  expect(resolveDevDir({ env: { AGENTKMS_DIR: "/env" }, home: "/home/u" })).toBe("/env");
});

test("an empty $AGENTKMS_DIR falls back to ~/.agentkms/dev", () => {
  expect(resolveDevDir({ env: { AGENTKMS_DIR: "" }, home: "/home/u" })).toBe("/home/u/.agentkms/dev");
  expect(resolveDevDir({ env: {}, home: "/home/u" })).toBe("/home/u/.agentkms/dev");
});

describe("the dev dir layout", () => {
  test("the PKI and store files sit at the top of the dir", () => {
    expect(pkiPaths("/d")).toEqual({
      caCert: "/d/ca.crt",
      caKey: "/d/ca.key",
      serverCert: "/d/server.crt",
      serverKey: "/d/server.key",
      clients: "/d/clients",
      store: "/d/secrets.enc",
    });
  });

  test("each client has its own directory under clients/", () => {
    expect(clientPaths("/d", "ci")).toEqual({
      dir: "/d/clients/ci",
      cert: "/d/clients/ci/client.crt",
      key: "/d/clients/ci/client.key",
      caCert: "/d/clients/ci/ca.crt",
    });
  });

  test("clientFiles names the default client's files as a client config takes them", () => {
    expect(DEFAULT_CLIENT_CN).toBe("forge-gateway");
    expect(clientFiles("/d")).toEqual({
      cert: "/d/clients/forge-gateway/client.crt",
      key: "/d/clients/forge-gateway/client.key",
      ca: "/d/clients/forge-gateway/ca.crt",
    });
    expect(clientFiles("/d", "ci").cert).toBe("/d/clients/ci/client.crt");
  });
});

describe("devDirOfClientFile", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "kpm-dev-dir-"));
    mkdirSync(join(root, "dev", "clients", "forge-gateway"), { recursive: true });
    writeFileSync(join(root, "dev", "ca.key"), "");
    mkdirSync(join(root, "copy", "clients", "forge-gateway"), { recursive: true });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("a client file of a dev dir that holds the CA key names that dir", () => {
    const dir = join(root, "dev");
    for (const file of Object.values(clientFiles(dir))) expect(devDirOfClientFile(file)).toBe(dir);
  });

  test("a clients/ layout without the CA key is not a dev dir", () => {
    expect(devDirOfClientFile(clientFiles(join(root, "copy")).cert)).toBeUndefined();
  });

  test("a file outside any clients/<cn>/ is not in a dev dir", () => {
    expect(devDirOfClientFile(join(root, "dev", "ca.crt"))).toBeUndefined();
    expect(devDirOfClientFile("/etc/kpm/client.crt")).toBeUndefined();
    expect(devDirOfClientFile(undefined)).toBeUndefined();
  });

  test("the dev CA's CN is the one the PKI issues", () => {
    expect(DEV_CA_CN).toBe("agentkms-dev-ca");
  });
});
