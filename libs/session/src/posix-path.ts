// The one path operation the socket checks need, without node:path: loading it costs ~0.4 ms of
// every env-scan `kpm run`, whose socket path comes from KPM_DECRYPT_SOCK. Socket paths are POSIX
// (Unix sockets are not used on Windows, spec §3.8).

const SLASH = 47;

/** node:path's posix.dirname, ported as is ("" → ".", "/a" → "/", "a/b/" → "a", "//a" → "/"). */
export function parentDirectory(path: string): string {
  if (path.length === 0) return ".";
  const hasRoot = path.charCodeAt(0) === SLASH;
  let end = -1;
  let matchedSlash = true;
  for (let index = path.length - 1; index >= 1; --index) {
    if (path.charCodeAt(index) === SLASH) {
      if (!matchedSlash) {
        end = index;
        break;
      }
    } else {
      // We saw the first non-path separator
      matchedSlash = false;
    }
  }
  if (end === -1) return hasRoot ? "/" : ".";
  if (hasRoot && end === 1) return "//";
  return path.slice(0, end);
}
