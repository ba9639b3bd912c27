// macOS: the same boundary as a sandbox-exec (Seatbelt) profile. Seatbelt has deny rules, so no
// planning is needed: allow everything, then deny reading and writing beneath each path.

/** A Seatbelt string literal: backslashes and double quotes escaped, control characters refused. */
export function seatbeltString(text: string): string {
  if (/[\u0000-\u001f\u007f]/.test(text))
    throw new Error(`sandbox profile: control character in path ${JSON.stringify(text)}`);
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** The profile text for `sandbox-exec -p`: everything allowed except file access beneath `denied`. */
export function sandboxProfile(denied: readonly string[]): string {
  const lines = ["(version 1)", "(allow default)"];
  if (denied.length > 0) {
    lines.push("(deny file-read* file-write*");
    for (const path of denied) lines.push(`  (subpath ${seatbeltString(path)})`);
    lines.push(")");
  }
  return `${lines.join("\n")}\n`;
}
