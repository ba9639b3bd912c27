// Entry point compiled by pki.test.ts to prove enroll works in a `bun build --compile` binary.
import { enroll } from "../../src/pki.ts";

const dir = process.argv[2];
if (!dir) throw new Error("usage: enroll-entry <dir>");
const result = await enroll(dir);
console.log(result.created);
