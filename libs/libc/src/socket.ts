// SO_PEERCRED: who is on the other end of a connected Unix socket (pid, uid, gid as the kernel
// recorded them at connect time), so a listener can judge its peer and not just trust the path.
import { failed, type LibcResult, withLibc } from "./hardening.ts";

const SOL_SOCKET = 1;
const SO_PEERCRED = 17; // the same on x86_64 and arm64 (asm-generic)

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

/** The peer of the connected Unix socket `fd`; "unsupported" off Linux. */
export function peerCredentials(fd: number): LibcResult<PeerCredentials> {
  return withLibc((libc) => {
    const value = new Uint8Array(UCRED_LAYOUT.size);
    const length = new Uint32Array([UCRED_LAYOUT.size]);
    if (libc.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, value, length) !== 0)
      return failed(libc, "getsockopt(SO_PEERCRED)");
    return { ok: true, value: decodeUcred(value) };
  });
}
