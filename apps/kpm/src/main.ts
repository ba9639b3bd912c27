#!/usr/bin/env -S bun --no-env-file --config=/dev/null
// kpm entry point: dispatch and exit with the command's code. reflect-metadata is not imported
// here: only @peculiar/x509 needs it, and the PKI module imports it first (evaluating it here cost
// ~0.35 ms of every command). The npm bundle's entry, scripts/npm/entry.ts, imports it first.
import { runCli } from "./cli/dispatch.ts";

const code = await runCli(process.argv.slice(2));
process.exit(code);
