// Doctor: the config file and the four server settings (flags over config, §4.3).
import { CliError } from "../cli/errors.ts";
import type { ClientSettings } from "../context.ts";
import { type DoctorCheck, result } from "./check.ts";

const SETUP_FIX = "kpm quickstart (or kpm init to configure an existing AgentKMS)";
const NAMES = ["server", "cert", "key", "ca"] as const;

export const checkConfig: DoctorCheck = async (ctx, state) => {
  let path: string;
  try {
    await ctx.prepare();
    path = ctx.configPath;
  } catch (error) {
    // KPM_CONFIG naming a file: no config dir, so nothing else can be found either.
    state.settingsProblem = "no usable config dir";
    const detail = lineOf(error).replace(/^error: /, "");
    return [result("config", "config", "fail", detail, "unset KPM_CONFIG or point it at a directory")];
  }
  state.configPath = path;
  const label = `config ${path}`;
  let config: Awaited<ReturnType<typeof ctx.config>>;
  let settings: Partial<ClientSettings>;
  try {
    config = await ctx.config();
    settings = await ctx.partialClientSettings();
  } catch (error) {
    state.settingsProblem = "the config does not parse";
    const detail = lineOf(error).replace(`error: config parse error: parse config ${path}: `, "");
    return [result("config", label, "fail", `does not parse: ${detail}`, `correct ${path}`)];
  }
  state.settings = settings;
  const missing = NAMES.filter((name) => !settings[name]);
  if (!config.exists && missing.length > 0) {
    state.settingsProblem = "no config";
    return [result("config", label, "fail", "not found", SETUP_FIX)];
  }
  if (missing.length > 0) {
    state.settingsProblem = `no ${missing.join(", ")} in the config`;
    const flags = missing.map((name) => `--${name}`).join(", ");
    return [
      result(
        "config",
        label,
        "fail",
        `${missing.join(", ")} not set`,
        `add ${missing.map((name) => `${name}:`).join(", ")} to ${path} (or pass ${flags})`,
      ),
    ];
  }
  const server = settings.server ?? "";
  if (!server.startsWith("https://") || !URL.canParse(server)) {
    state.settingsProblem = "the server URL is invalid";
    return [
      result(
        "config",
        label,
        "fail",
        `server ${JSON.stringify(server)} is not an https:// URL`,
        `set server: https://host:port in ${path}`,
      ),
    ];
  }
  const fromFlags = NAMES.filter((name) => {
    const flag = ctx.globals[name];
    return flag !== undefined && flag.length > 0;
  });
  const detail = config.exists ? `server ${server}` : `not found; using ${server} from the flags`;
  const override =
    config.exists && fromFlags.length > 0 ? ` (${fromFlags.map((n) => `--${n}`).join(", ")} given)` : "";
  return [result("config", label, "ok", `${detail}${override}`)];
};

function lineOf(error: unknown): string {
  if (error instanceof CliError) return error.lines[0] ?? error.message;
  return error instanceof Error ? error.message : String(error);
}
