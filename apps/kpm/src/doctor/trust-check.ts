// Doctor: the project files kpm would read here (templates, allow-list, profile under the project's .kpm) and
// whether each is trusted (docs/trust.md). An untrusted file is ignored by kpm, so it is a warning
// with the command that trusts it; a trust store kpm cannot read is broken.
import { shellWord } from "../env-output.ts";
import { projectTrust, trustStorePath } from "../project-trust.ts";
import { type CheckResult, type DoctorCheck, result } from "./check.ts";

export const checkTrust: DoctorCheck = async (ctx) => {
  let dataDir: string;
  try {
    dataDir = ctx.dirs.dataDir;
  } catch {
    return [result("trust", "project trust", "skipped", "not checked — no usable data dir")];
  }
  const trust = await import("@kpm/trust");
  const owner = projectTrust(ctx);
  const projectDir = owner.projectDir();
  const files = trust.projectFiles(projectDir).files.filter((file) => !owner.isUserFile(file));
  const label = `project trust ${projectDir}`;
  if (files.length === 0) return [result("trust", label, "ok", "no project files under .kpm/")];
  const store = trustStorePath(dataDir);
  const checker = new trust.TrustChecker(store);
  const untrusted: string[] = [];
  try {
    for (const file of files) {
      const read = trust.readRegularFile(file, trust.MAX_TRUSTED_FILE_BYTES);
      if (read.kind !== "bytes" || !checker.isTrusted(projectDir, file, read.bytes)) untrusted.push(file);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return [
      result("trust", label, "fail", message, `inspect ${store}, or move it aside and run kpm trust again`),
    ];
  }
  return [trustResult(label, files.length, untrusted, projectDir)];
};

function trustResult(label: string, total: number, untrusted: string[], projectDir: string): CheckResult {
  const files = total === 1 ? "1 project file" : `${total} project files`;
  if (untrusted.length === 0) return result("trust", label, "ok", `${files} trusted`);
  return result(
    "trust",
    label,
    "warn",
    `${untrusted.length} of ${files} not trusted, so kpm ignores them: ${untrusted.join(", ")}`,
    `review them, then run: kpm trust ${shellWord(projectDir)}`,
  );
}
