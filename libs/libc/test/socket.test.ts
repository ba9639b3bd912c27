// SO_PEERCRED through libc, checked against a peer whose pid, uid and gid are known: a wrong
// struct ucred layout or option number fails here.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeUcred, peerCredentials, UCRED_LAYOUT } from "@kpm/libc";

describe("struct ucred", () => {
  test("pid, uid, gid are three little-endian 32-bit fields", () => {
    expect(UCRED_LAYOUT.size).toBe(12);
    const bytes = new Uint8Array([1, 2, 0, 0, 0xfe, 0xff, 0, 0, 3, 0, 0, 0]);
    expect(decodeUcred(bytes)).toEqual({ pid: 0x201, uid: 65534, gid: 3 });
  });
});

describe.if(process.platform === "linux")("peerCredentials", () => {
  test("names the connecting process", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kpm-peercred-"));
    const path = join(dir, "s.sock");
    try {
      const seen = Promise.withResolvers<unknown>();
      const listener = Bun.listen({
        unix: path,
        socket: {
          open(socket) {
            seen.resolve(peerCredentials((socket as unknown as { fd: number }).fd));
            socket.end();
          },
          data() {},
        },
      });
      const client = await Bun.connect({ unix: path, socket: { data() {} } });
      expect(await seen.promise).toEqual({
        ok: true,
        value: { pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.() },
      });
      client.end();
      listener.stop(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a descriptor that is not a socket gives the errno", () => {
    const result = peerCredentials(0x7fff);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/getsockopt\(SO_PEERCRED\) failed \(errno \d+\)/);
  });
});
