// Stand-in for `kpm env` inside a shell: appends "<detected owner> <parent pid>" to the file in
// argv[2], so tests compare the detection with the shell's own $$ and with plain getppid().
import { appendFileSync } from "node:fs";
import { detectOwnerShell } from "@kpm/session";

const [file] = process.argv.slice(2);
if (file === undefined) process.exit(2);
appendFileSync(file, `${detectOwnerShell()} ${process.ppid}\n`);
