// Child-process entry for landlock.test.ts: restricts itself with the rules in argv[2] (JSON),
// then reports which paths it can still read, list or create, and optionally execs a program.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { encodeEnvironment, execute, type LandlockRule, landlockAbi, restrictSelf } from "../../src/index.ts";

const [rulesJson = "[]", probesJson = "[]", ...exec] = process.argv.slice(2);
const rules = JSON.parse(rulesJson) as LandlockRule[];
const probes = JSON.parse(probesJson) as Array<{ op: "read" | "list" | "write"; path: string }>;

const abi = landlockAbi();
if (!abi.ok) {
  console.log(JSON.stringify({ error: abi.reason }));
  process.exit(0);
}
const restricted = restrictSelf(abi.value, rules);
if (!restricted.ok) {
  console.log(JSON.stringify({ error: restricted.reason }));
  process.exit(0);
}
const results: Record<string, string> = {};
for (const probe of probes) {
  try {
    if (probe.op === "read") readFileSync(probe.path);
    else if (probe.op === "list") readdirSync(probe.path);
    else writeFileSync(probe.path, "x");
    results[`${probe.op} ${probe.path}`] = "ok";
  } catch (error) {
    results[`${probe.op} ${probe.path}`] = (error as NodeJS.ErrnoException).code ?? "error";
  }
}
if (exec.length > 0) {
  console.log(JSON.stringify({ abi: abi.value, results }));
  const env = encodeEnvironment({ PATH: "/usr/bin:/bin" });
  if (env.ok) execute(exec[0] as string, exec, env.block);
  process.exit(99);
}
console.log(JSON.stringify({ abi: abi.value, results }));
