// KPM_DEBUG=1 listener diagnostics: value-free lines appended to <RuntimeDir>/<sid>.log (0600).
// Callers pass only events and error messages, never plaintext, keys or blobs.
import { appendFileSync, chmodSync } from "node:fs";
import { join } from "node:path";

export type DebugLog = (line: string) => void;

export function createDebugLog(enabled: boolean, runtimeDir: string, sessionId: string): DebugLog {
  if (!enabled) return () => {};
  const path = join(runtimeDir, `${sessionId}.log`);
  let created = false;
  return (line) => {
    try {
      appendFileSync(path, `${new Date().toISOString()} ${line}\n`, { mode: 0o600 });
      if (!created) {
        // An existing file keeps its mode on append; force 0600 once.
        chmodSync(path, 0o600);
        created = true;
      }
    } catch {
      // Debug output must never break the listener.
    }
  };
}
