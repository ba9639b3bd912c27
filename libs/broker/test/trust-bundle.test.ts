// The trust bundle: system roots plus the run CA in a private directory that goes away.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { systemRoots, writeTrustBundle } from "../src/trust-bundle.ts";

describe("trust bundle", () => {
  test("the first readable system bundle, else the runtime's roots", () => {
    const dir = mkdtempSync(join(tmpdir(), "kpm-bundle-test-"));
    try {
      const file = join(dir, "roots.pem");
      writeFileSync(file, "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----");
      writeFileSync(join(dir, "empty.pem"), "nothing");
      expect(systemRoots([join(dir, "missing"), join(dir, "empty.pem"), file])).toEndWith(
        "CERTIFICATE-----\n",
      );
      expect(systemRoots([join(dir, "missing")])).toContain(rootCertificates[0] as string);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a 0700 directory holding roots and the run CA, removed on request", () => {
    const bundle = writeTrustBundle("RUN-CA\n", "ROOTS\n");
    expect(statSync(bundle.dir).mode & 0o777).toBe(0o700);
    expect(readFileSync(bundle.path, "utf8")).toBe("ROOTS\nRUN-CA\n");
    bundle.remove();
    expect(existsSync(bundle.dir)).toBe(false);
  });
});
