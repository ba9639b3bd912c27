// SO_PEERCRED: who is on the other end of a connected Unix socket (pid, uid, gid as the kernel
// recorded them at connect time), so a listener can judge its peer and not just trust the path.
import { failed, type LibcResult, withLibc } from "./hardening.ts";
import { decodeUcred, type PeerCredentials, SO_PEERCRED, SOL_SOCKET, UCRED_LAYOUT } from "./ucred.ts";

export { decodeUcred, type PeerCredentials, UCRED_LAYOUT } from "./ucred.ts";

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
