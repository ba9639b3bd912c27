// Compiled for another target and run under qemu-user by libc.test.ts: lstat through libc next to
// node:fs for a few paths, and st_size as openRegularFile reads it, as JSON. Argument: a file
// whose owner is neither 0 nor its group.
import { lstatSync } from "node:fs";
import { LAYOUTS, lstat, O_RDONLY, type OpenedFile, openRegularFile } from "../../src/index.ts";

const rows = ["/", "/tmp", "/dev/null", process.argv[2] ?? "/"].map((path) => {
  const viaLibc = lstat(path);
  const viaNode = lstatSync(path);
  return { path, libc: [viaLibc.mode, viaLibc.uid], node: [viaNode.mode, viaNode.uid] };
});
console.log(
  JSON.stringify({
    target: `${process.platform}-${process.arch}`,
    known: `${process.platform}-${process.arch}` in LAYOUTS,
    rows,
    // st_size as read from struct stat.
    size: (openRegularFile(process.argv[2] ?? "/", O_RDONLY) as OpenedFile | undefined)?.size,
  }),
);
