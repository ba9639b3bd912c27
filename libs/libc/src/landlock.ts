// Landlock (Linux ≥ 5.13) through raw syscalls: detect the ABI, build a ruleset of
// "full access beneath this path" rules, and restrict the calling process (then its execve'd
// program and all its children) to it. The structs are the kernel's uapi (linux/landlock.h);
// their byte layouts are exported so tests can pin them.
import { requireBuiltin } from "@kpm/deferred";
import { failed, type LibcResult, PR_SET_NO_NEW_PRIVS } from "./hardening.ts";
import { type ProcessLibc, processLibc, unsupportedReason } from "./process-binding.ts";

/** `use` with the given binding (tests pass a recording one), else this process's libc. */
function withBinding<T>(libc: ProcessLibc | null, use: (libc: ProcessLibc) => LibcResult<T>): LibcResult<T> {
  return libc ? use(libc) : { ok: false, reason: `unsupported: ${unsupportedReason()}` };
}

/** The same numbers on x86_64 and arm64: syscalls added after 4.20 are unified across arches. */
export const SYS_LANDLOCK_CREATE_RULESET = 444;
export const SYS_LANDLOCK_ADD_RULE = 445;
export const SYS_LANDLOCK_RESTRICT_SELF = 446;
export const LANDLOCK_CREATE_RULESET_VERSION = 1;
export const LANDLOCK_RULE_PATH_BENEATH = 1;

/** Filesystem rights (LANDLOCK_ACCESS_FS_*), with the ABI that introduced each. */
export const ACCESS_FS = {
  EXECUTE: 1 << 0,
  WRITE_FILE: 1 << 1,
  READ_FILE: 1 << 2,
  READ_DIR: 1 << 3,
  REMOVE_DIR: 1 << 4,
  REMOVE_FILE: 1 << 5,
  MAKE_CHAR: 1 << 6,
  MAKE_DIR: 1 << 7,
  MAKE_REG: 1 << 8,
  MAKE_SOCK: 1 << 9,
  MAKE_FIFO: 1 << 10,
  MAKE_BLOCK: 1 << 11,
  MAKE_SYM: 1 << 12,
  /** ABI 2 */
  REFER: 1 << 13,
  /** ABI 3 */
  TRUNCATE: 1 << 14,
  /** ABI 5 */
  IOCTL_DEV: 1 << 15,
} as const;

/** Every filesystem right the kernel of `abi` knows (what a ruleset handles, so denies by default). */
export function handledAccess(abi: number): number {
  let rights = (1 << 13) - 1; // ABI 1: EXECUTE … MAKE_SYM
  if (abi >= 2) rights |= ACCESS_FS.REFER;
  if (abi >= 3) rights |= ACCESS_FS.TRUNCATE;
  if (abi >= 5) rights |= ACCESS_FS.IOCTL_DEV;
  return rights;
}

/** The rights a rule on a non-directory may carry (the kernel refuses others with EINVAL). */
export function fileAccess(abi: number): number {
  return (
    handledAccess(abi) &
    (ACCESS_FS.EXECUTE |
      ACCESS_FS.WRITE_FILE |
      ACCESS_FS.READ_FILE |
      ACCESS_FS.TRUNCATE |
      ACCESS_FS.IOCTL_DEV)
  );
}

/**
 * struct landlock_ruleset_attr { __u64 handled_access_fs; __u64 handled_access_net (ABI 4);
 * __u64 scoped (ABI 6); }. Only the fields an ABI knows are passed (size), so older kernels accept it.
 */
export const RULESET_ATTR_LAYOUT = { handledAccessFs: 0, handledAccessNet: 8, scoped: 16 } as const;

export function rulesetAttrSize(abi: number): number {
  return abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
}

export function encodeRulesetAttr(abi: number): Uint8Array {
  const bytes = new Uint8Array(rulesetAttrSize(abi));
  new DataView(bytes.buffer).setBigUint64(
    RULESET_ATTR_LAYOUT.handledAccessFs,
    BigInt(handledAccess(abi)),
    true,
  );
  return bytes;
}

/** struct landlock_path_beneath_attr { __u64 allowed_access; __s32 parent_fd; } __attribute__((packed)): 12 bytes. */
export const PATH_BENEATH_ATTR_LAYOUT = { size: 12, allowedAccess: 0, parentFd: 8 } as const;

export function encodePathBeneathAttr(allowedAccess: number, parentFd: number): Uint8Array {
  const bytes = new Uint8Array(PATH_BENEATH_ATTR_LAYOUT.size);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(PATH_BENEATH_ATTR_LAYOUT.allowedAccess, BigInt(allowedAccess), true);
  view.setInt32(PATH_BENEATH_ATTR_LAYOUT.parentFd, parentFd, true);
  return bytes;
}

const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
const EOPNOTSUPP = 95;
const ENOSYS = 38;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

/**
 * The Landlock ABI version of this kernel (≥ 1), or why there is none: "unsupported" off Linux,
 * ENOSYS (kernel without Landlock) or EOPNOTSUPP (built in but disabled at boot).
 */
export function landlockAbi(binding: ProcessLibc | null = processLibc()): LibcResult<number> {
  return withBinding(binding, (libc) => {
    const abi = libc.syscall(SYS_LANDLOCK_CREATE_RULESET, 0, 0, LANDLOCK_CREATE_RULESET_VERSION, 0);
    if (abi > 0) return { ok: true, value: abi };
    const errno = libc.errno();
    if (errno === ENOSYS) return { ok: false, reason: "Landlock not supported by this kernel" };
    if (errno === EOPNOTSUPP) return { ok: false, reason: "Landlock is disabled on this kernel" };
    return failed(libc, "landlock_create_ruleset");
  });
}

/** A rule: full access (file rights for a non-directory) beneath `path`, or only listing it. */
export interface LandlockRule {
  path: string;
  access: "full" | "list";
}

const encoder = new TextEncoder();

/**
 * Sets no_new_privs (required to restrict an unprivileged process), builds a ruleset that handles
 * every filesystem right of `abi` and grants only `rules`, and restricts this process to it. From
 * then on this process and whatever it execs or forks can reach only what the rules grant. A
 * rule whose path has vanished is skipped (nothing is there to grant).
 */
export function restrictSelf(
  abi: number,
  rules: readonly LandlockRule[],
  binding: ProcessLibc | null = processLibc(),
): LibcResult {
  return withBinding(binding, (libc) => {
    const attr = encodeRulesetAttr(abi);
    const ruleset = libc.syscall(SYS_LANDLOCK_CREATE_RULESET, libc.addressOf(attr), attr.length, 0, 0);
    if (ruleset < 0) return failed(libc, "landlock_create_ruleset");
    try {
      for (const rule of rules) {
        const added = addRule(libc, ruleset, abi, rule);
        if (!added.ok) return added;
      }
      if (libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) !== 0)
        return failed(libc, "prctl(PR_SET_NO_NEW_PRIVS)");
      if (libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0, 0, 0) !== 0)
        return failed(libc, "landlock_restrict_self");
      return { ok: true, value: true };
    } finally {
      libc.close(ruleset);
    }
  });
}

function addRule(libc: ProcessLibc, ruleset: number, abi: number, rule: LandlockRule): LibcResult {
  if (rule.path.includes("\0")) return { ok: false, reason: `a rule path contains a NUL byte` };
  const fd = libc.open(encoder.encode(`${rule.path}\0`), O_PATH | O_CLOEXEC);
  if (fd < 0) return { ok: true, value: true };
  try {
    const directory = isDirectoryFd(fd);
    const access =
      rule.access === "list"
        ? directory
          ? ACCESS_FS.READ_DIR
          : 0
        : directory
          ? handledAccess(abi)
          : fileAccess(abi);
    if (access === 0) return { ok: true, value: true };
    const attr = encodePathBeneathAttr(access, fd);
    if (
      libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, libc.addressOf(attr), 0) !== 0
    )
      return failed(libc, `landlock_add_rule ${rule.path}`);
    return { ok: true, value: true };
  } finally {
    libc.close(fd);
  }
}

/** Whether an O_PATH descriptor is a directory (fstat works on O_PATH descriptors since Linux 3.6). */
function isDirectoryFd(fd: number): boolean {
  const { fstatSync } = requireBuiltin("node:fs");
  return (fstatSync(fd).mode & S_IFMT) === S_IFDIR;
}
