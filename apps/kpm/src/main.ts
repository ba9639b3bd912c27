#!/usr/bin/env -S bun --no-env-file --config=/dev/null
// kpm entry point: dispatch and exit with the command's code. reflect-metadata comes first
// (spec §16.1): @peculiar/x509 needs it, and a single-file bundle (npm) would otherwise evaluate
// x509 before a lazily imported module's own polyfill import.
import "reflect-metadata";
import { runCli } from "./cli/dispatch.ts";

const code = await runCli(process.argv.slice(2));
process.exit(code);
