// Is an address free? Quickstart asks before it changes anything (spec §14 step 2), by binding
// the address itself for a moment: only the kernel knows whether some foreign process holds it.

/** true when a TCP listener could be bound at host:port (and was released again). */
export function canListen(host: string, port: number): boolean {
  try {
    const listener = Bun.listen({ hostname: host, port, socket: { data() {} } });
    listener.stop(true);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") return false;
    throw error;
  }
}
