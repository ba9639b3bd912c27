#!/usr/bin/env -S bun --no-env-file --config=/dev/null
// kpm entry point: dispatch and exit with the command's code.
import { runCli } from "./cli/dispatch.ts";

const code = await runCli(process.argv.slice(2));
process.exit(code);
