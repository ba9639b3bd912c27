// The one stderr logger: consola/core with a reporter that prints our exact texts (no badges,
// no icons, no timestamps). Debug lines appear only with --verbose / -v.
import { type ConsolaInstance, createConsola } from "consola/core";
import { stderrLine } from "./io.ts";

const LEVEL_DEFAULT = 3;
const LEVEL_VERBOSE = 4;

export type Logger = ConsolaInstance;

export function createLogger(verbose: boolean): Logger {
  return createConsola({
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
