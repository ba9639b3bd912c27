#!/usr/bin/env -S bun --no-env-file --config=/dev/null
// kpm entry point: dispatch and exit with the command's code. reflect-metadata is not imported
// here: only @peculiar/x509 needs it, and @kpm/x509, its one importer, loads it first (evaluating it here cost
// ~0.35 ms of every command). The npm bundle's entry, scripts/npm/entry.ts, imports it first.
// `kpm _exec`, the exec step of `kpm run`, bypasses the command table: it becomes the child.
import { runCli } from "./cli/dispatch.ts";

const args = process.argv.slice(2);
const code =
  args[0] === "_exec"
    ? await (await import("./run/exec-step.ts")).runExecStep(args.slice(1))
    : await runCli(args);
process.exit(code);
