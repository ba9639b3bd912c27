// The one stderr logger: consola/core with a reporter that prints our exact texts (no badges,
// no icons, no timestamps). Debug lines appear only with --verbose / -v; a command that defines
// --quiet drops its info lines (✓ progress) and keeps warnings and errors.
//
// consola is loaded and its instance built on the first line actually logged: most runs of the
// hot commands (`get`, `list`, env-scan `run`) log nothing, and building the instance cost
// ~0.4 ms of every start. `require` keeps the call synchronous (the bundler inlines the module
// and evaluates it on first use). A bundled package, so a literal require(), not @kpm/deferred
// (built-ins only); test/startup-modules.test.ts treats it as a lazy edge.
import type { ConsolaInstance } from "consola/core";
import { stderrLine } from "./io.ts";

const LEVEL_DEFAULT = 3;
const LEVEL_VERBOSE = 4;

/** The levels kpm uses. */
export interface Logger {
  debug(message: unknown, ...args: unknown[]): void;
  info(message: unknown, ...args: unknown[]): void;
  warn(message: unknown, ...args: unknown[]): void;
}

export function createLogger(verbose: boolean, quiet = false): Logger {
  let instance: ConsolaInstance | undefined;
  const consola = (): ConsolaInstance => {
    if (instance === undefined) {
      const { createConsola } = require("consola/core") as typeof import("consola/core");
      instance = createConsola({
        level: verbose ? LEVEL_VERBOSE : LEVEL_DEFAULT,
        reporters: [
          {
            log(entry) {
              stderrLine(entry.args.map((part) => String(part)).join(" "));
            },
          },
        ],
      });
    }
    return instance;
  };
  return {
    // Without --verbose a debug line is dropped before consola exists.
    debug: verbose ? (message, ...args) => consola().debug(message, ...args) : () => {},
    info: quiet ? () => {} : (message, ...args) => consola().info(message, ...args),
    warn: (message, ...args) => consola().warn(message, ...args),
  };
}
