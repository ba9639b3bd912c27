#!/usr/bin/env -S bun --no-env-file --config=/dev/null
// kpm entry point: dispatch and exit with the command's code. reflect-metadata is not imported
// here: only @peculiar/x509 needs it, and @kpm/x509, its one importer, loads it first (evaluating it here cost
// ~0.35 ms of every command). The npm bundle's entry, scripts/npm/entry.ts, imports it first.
// `kpm _exec`, the exec step of `kpm run`, bypasses the command table: it becomes the child.
// `kpm get <ref>` with the agent warm: one request, then exit (agent-fast.ts). Both it and the
// dispatcher are imported when needed, so that path evaluates none of the dispatcher's modules
// and no other command evaluates its own. KPM_NO_AGENT=1 is checked here too (fastPathApplies
// holds the whole rule): with the agent off, importing the fast path cost ~1 ms for nothing.
const args = process.argv.slice(2);
if (args[0] === "get" && args.length === 2 && process.env.KPM_NO_AGENT !== "1") {
  const { answeredByAgent } = await import("./agent-fast.ts");
  if (await answeredByAgent(args, process.env)) process.exit(0);
}
const code =
  args[0] === "_exec"
    ? await (await import("./run/exec-step.ts")).runExecStep(args.slice(1))
    : await (await import("./cli/dispatch.ts")).runCli(args);
process.exit(code);

export {};
