// Reading and running quickstart's "Try these" commands as a user would: each one as printed, in
// bash on a pseudo-terminal (script(1)), so `kpm env` sees a terminal as it does when typed.

/** The commands under "Try these:" in quickstart's summary. */
export function tryThese(stderr: string): string[] {
  const section = stderr.split("  Try these:\n")[1] ?? "";
  return (
    section
      .split("\n\n")[0]
      ?.split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "") ?? []
  );
}

/**
 * Runs each command as printed, in bash on a terminal (script(1): `kpm env` prints ciphertext to
 * a terminal only), from `cwd` with `env`; returns each one's exit status and output.
 */
export async function runAsTyped(commands: string[], cwd: string, env: Record<string, string>) {
  const results: Array<{ command: string; code: number; output: string }> = [];
  for (const command of commands) {
    const child = Bun.spawn(
      ["script", "-qec", `bash --noprofile --norc -c ${shellQuote(command)}`, "/dev/null"],
      {
        cwd,
        env: { ...env, SHELL: "/bin/bash" },
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    const [output, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
    results.push({ command, code, output: output.replaceAll("\r\n", "\n") });
  }
  return results;
}

const shellQuote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
