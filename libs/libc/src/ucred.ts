// struct ucred, as SO_PEERCRED answers it: kept apart from socket.ts (which binds through the
// hardening library) so the warm-agent client (unix-client.ts) can read it without loading that.

export const SOL_SOCKET = 1;
/** The same on x86_64 and arm64 (asm-generic). */
export const SO_PEERCRED = 17;

/** struct ucred { pid_t pid; uid_t uid; gid_t gid; }: three 32-bit fields, 12 bytes. */
export const UCRED_LAYOUT = { size: 12, pid: 0, uid: 4, gid: 8 } as const;

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

export function decodeUcred(bytes: Uint8Array): PeerCredentials {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    pid: view.getInt32(UCRED_LAYOUT.pid, true),
    uid: view.getUint32(UCRED_LAYOUT.uid, true),
    gid: view.getUint32(UCRED_LAYOUT.gid, true),
  };
}
