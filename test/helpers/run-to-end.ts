// The one way tests run a process to its end and collect what it printed: kpm itself, shells that
// source kpm's hooks, install.sh, npm. Both streams are read while waiting, so a chatty child never
// blocks on a full pipe.

export interface ProcessOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunToEndOptions {
  /** The child's whole environment (undefined values are left out): nothing is inherited. */
  env: Record<string, string | undefined>;
  cwd?: string;
  /** Bytes on stdin, or a file to read it from (a device such as /dev/zero); default /dev/null. */
  input?: string | Uint8Array | Blob;
  /** Milliseconds before Bun kills the child (a test of a hang must still end). */
  timeout?: number;
  /** Told the pid at once, so a tracker can kill the child if the test fails before it exits. */
  onSpawn?: (pid: number) => void;
}

export async function runToEnd(argv: readonly string[], options: RunToEndOptions): Promise<ProcessOutput> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.env)) if (value !== undefined) env[name] = value;
  const input = typeof options.input === "string" ? new TextEncoder().encode(options.input) : options.input;
  const child = Bun.spawn([...argv], {
    env,
    cwd: options.cwd,
    timeout: options.timeout,
    stdin: input ?? "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  options.onSpawn?.(child.pid);
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr };
}
