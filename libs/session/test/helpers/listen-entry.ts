// Test stand-in for `kpm _listen --session <sid>`: runs the real listener body in its own
// process. Strict mode uses a fake resolver driven by files named in the start document:
// client_cert = JSON map "<Type>|<Path>|<Key>" → {value}|{denied}|{fail}; client_key = a log
// that receives one line per resolver call; server "fake://broken" makes client creation fail.
import { appendFileSync, closeSync, readFileSync } from "node:fs";
import { type IssuedRef, resolveRuntimeDir, runListener, type StrictClientConfig } from "@kpm/session";

type Behaviour = { value: string } | { denied: string } | { fail: string };

function createFakeResolver(config: StrictClientConfig) {
  if (config.server === "fake://broken") throw new Error("TLS config: read CA /nonexistent/ca.crt: ENOENT");
  const behaviours = JSON.parse(readFileSync(config.clientCert, "utf8")) as Record<string, Behaviour>;
  return {
    async resolve(ref: IssuedRef) {
      appendFileSync(config.clientKey, `${JSON.stringify(ref)}\n`);
      const behaviour = behaviours[`${ref.Type}|${ref.Path}|${ref.Key}`];
      if (behaviour === undefined) {
        if (ref.Default !== null) return { ok: true as const, value: ref.Default };
        return { ok: false as const, denied: false, message: "not found" };
      }
      if ("value" in behaviour) return { ok: true as const, value: behaviour.value };
      if ("denied" in behaviour) return { ok: false as const, denied: true, message: behaviour.denied };
      return { ok: false as const, denied: false, message: behaviour.fail };
    },
  };
}

const [command, flag, sessionId] = process.argv.slice(2);
if (command !== "_listen" || flag !== "--session" || sessionId === undefined) process.exit(2);
const code = await runListener({
  sessionId,
  stdin: Bun.stdin.stream(),
  writeReady: async (line) => {
    await Bun.write(Bun.stdout, line);
    closeSync(1);
  },
  runtimeDir: resolveRuntimeDir(process.env, process.getuid?.() ?? 0),
  createStrictResolver: createFakeResolver,
});
process.exit(code);
