// Filesystem errors are worded by @kpm/bounded-read, the one owner of that wording
// ("no such file or directory", never a stack); the template lib re-exports it for its files.
export { describeFsError, errorCode } from "@kpm/bounded-read/error";
