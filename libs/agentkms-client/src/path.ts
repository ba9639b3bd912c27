// Path checks and encoding for URLs (kpm-cli.md §6.2): canonical paths only, because the server's
// mux answers non-canonical ones with a redirect, and each segment percent-encoded so `#`/`?` survive.
import { AgentKmsError } from "./errors.ts";

const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;
// Long hex runs look like keys or hashes; the server's audit validation rejects them after storing.
const longHexRun = /[0-9a-fA-F]{64,}/;

/** Why `path` cannot be sent, or null when it can. */
export function validatePath(path: string): string | null {
  if (path === "") return "empty path";
  if (path.startsWith("/")) return 'leading "/"';
  if (path.endsWith("/")) return 'trailing "/"';
  if (controlCharacter.test(path)) return "control character";
  for (const segment of path.split("/")) {
    if (segment === "") return "empty segment";
    if (segment === "." || segment === "..") return `"${segment}" segment`;
  }
  if (longHexRun.test(path)) return "run of 64 or more hex digits";
  return null;
}

/** The URL form of a validated path; throws `invalid path "<path>": <reason>` otherwise. */
export function encodePath(path: string): string {
  const reason = validatePath(path);
  if (reason !== null) {
    throw new AgentKmsError("invalid_path", `invalid path ${JSON.stringify(path)}: ${reason}`);
  }
  return path.split("/").map(encodeURIComponent).join("/");
}
