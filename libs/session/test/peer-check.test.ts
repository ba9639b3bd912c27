// The listener's peer check: a client with no_new_privs (a tool confined by kpm run --secure) is
// refused on the socket itself, everyone else is served; checked with real sockets, a real child
// under `setpriv --no-new-privs`, and a fake /proc for the cases a real one cannot show.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONFINED_PEER_REFUSAL, confinedPeerCheck, noNewPrivs } from "../src/peer-check.ts";
import { listenForRequests } from "../src/request-server.ts";

const root = mkdtempSync(join(tmpdir(), "kpm-peer-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const onLinux = process.platform === "linux";

function fakeProc(pid: number, status: string | null): string {
  const proc = mkdtempSync(join(root, "proc-"));
  if (status !== null) {
    mkdirSync(join(proc, String(pid)));
    writeFileSync(join(proc, String(pid), "status"), status);
  }
  return proc;
}

describe("noNewPrivs", () => {
  test("reads the NoNewPrivs line; null without one or without the file", () => {
    if (onLinux) expect(noNewPrivs("self")).toBe(false);
    expect(noNewPrivs(7, fakeProc(7, "Name:\tx\nNoNewPrivs:\t1\n"))).toBe(true);
    expect(noNewPrivs(7, fakeProc(7, "NoNewPrivs:\t0\n"))).toBe(false);
    expect(noNewPrivs(7, fakeProc(7, "Name:\tx\n"))).toBeNull();
    expect(noNewPrivs(7, fakeProc(7, null))).toBeNull();
  });
});

/** A listener answering "served" to every admitted request; returns the client's reply. */
async function ask(admit: (fd: number) => string | null, prefix: string[] = []): Promise<string> {
  const path = join(root, `s-${Math.random().toString(36).slice(2)}.sock`);
  const server = listenForRequests(path, () => '{"ok":"served"}\n', 2000, admit);
  try {
    const client = `const s = await Bun.connect({ unix: ${JSON.stringify(path)}, socket: { data(_, d) { process.stdout.write(d); }, close() { process.exit(0); } } }); s.write('{"op":"ping"}\\n');`;
    const child = Bun.spawn([...prefix, process.execPath, "-e", client], { stdout: "pipe" });
    const reply = await new Response(child.stdout).text();
    await child.exited;
    return reply;
  } finally {
    server.stop(true);
  }
}

describe.if(onLinux)("confinedPeerCheck on a real socket", () => {
  test("a client without no_new_privs is served", async () => {
    expect(await ask(confinedPeerCheck(false))).toBe('{"ok":"served"}\n');
  });

  test("a client under setpriv --no-new-privs is refused before its request is read", async () => {
    const reply = await ask(confinedPeerCheck(false), ["setpriv", "--no-new-privs"]);
    expect(JSON.parse(reply)).toEqual({ error: CONFINED_PEER_REFUSAL });
  });

  test("…unless the listener has no_new_privs itself", async () => {
    expect(await ask(confinedPeerCheck(true), ["setpriv", "--no-new-privs"])).toBe('{"ok":"served"}\n');
  });

  test("a peer whose status cannot be read is refused; a descriptor that is no socket is served", () => {
    const check = confinedPeerCheck(false, fakeProc(1, null));
    expect(check(0x7fff)).toBeNull();
  });

  test("a peer whose /proc status is missing is refused", async () => {
    const reply = await ask(confinedPeerCheck(false, join(root, "no-proc")));
    expect(JSON.parse(reply)).toEqual({ error: CONFINED_PEER_REFUSAL });
  });
});
