// Which confinement this machine offers: Landlock on Linux (with its ABI), sandbox-exec on macOS,
// or none with a reason for the one-line notice.
import type { LibcResult } from "@kpm/libc";

export type Mechanism =
  | { kind: "landlock"; abi: number }
  | { kind: "sandbox-exec"; path: string }
  | { kind: "none"; reason: string };

export interface MechanismProbe {
  platform: string;
  /** The Landlock ABI (Linux). */
  landlockAbi(): LibcResult<number>;
  /** Whether a file exists (sandbox-exec on macOS). */
  exists(path: string): boolean;
  /** Test switch: behave as if the kernel had no Landlock. */
  simulateNoLandlock?: boolean;
}

export const SANDBOX_EXEC = "/usr/bin/sandbox-exec";

export function detectMechanism(probe: MechanismProbe): Mechanism {
  if (probe.platform === "linux") {
    if (probe.simulateNoLandlock) return { kind: "none", reason: "Landlock not supported by this kernel" };
    const abi = probe.landlockAbi();
    return abi.ok ? { kind: "landlock", abi: abi.value } : { kind: "none", reason: abi.reason };
  }
  if (probe.platform === "darwin") {
    return probe.exists(SANDBOX_EXEC)
      ? { kind: "sandbox-exec", path: SANDBOX_EXEC }
      : { kind: "none", reason: `${SANDBOX_EXEC} not found` };
  }
  return { kind: "none", reason: `no confinement mechanism on ${probe.platform}` };
}

/** "landlock (ABI 7)", "sandbox-exec", "none (<reason>)": for --verbose and the audit record. */
export function describeMechanism(mechanism: Mechanism): string {
  if (mechanism.kind === "landlock") return `landlock (ABI ${mechanism.abi})`;
  if (mechanism.kind === "sandbox-exec") return "sandbox-exec";
  return `none (${mechanism.reason})`;
}
