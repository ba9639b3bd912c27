// The inherited-environment policy of --secure: base set passes whatever it holds, credential-looking
// variables are dropped unless the tool's list grants them (entry, pin, inherit:), bounded by the
// user's list, SSH_AUTH_SOCK is dropped by default, and nothing else is touched.
import { describe, expect, test } from "bun:test";
import {
  type Allowlist,
  applyInheritPolicy,
  isBaseInherited,
  isGranted,
  parseAllowlist,
} from "../src/index.ts";

const list = (text: string): Allowlist => parseAllowlist(text, "/p/secure-allowlist.yaml");

const INHERITED = {
  PATH: "/usr/bin:/bin",
  HOME: "/home/u",
  LC_ALL: "C.UTF-8",
  XDG_RUNTIME_DIR: "/run/user/1000",
  HTTPS_PROXY: "http://user:pw@proxy:3128",
  KPM_AUDIT_LOG: "/tmp/audit.ndjson",
  EDITOR_THEME: "dark",
  GH_TOKEN: "token-MARKER-1",
  AWS_SECRET_ACCESS_KEY: "aws-MARKER-2",
  NPM_TOKEN: "npm-MARKER-3",
  CI_DEPLOY_PASSWORD: "ci-MARKER-4",
  PLAIN_LOOKING: "AKIAIOSFODNN7EXAMPLE",
  SSH_AUTH_SOCK: "/tmp/ssh-agent.sock",
  UNSET: undefined,
};

describe("applyInheritPolicy", () => {
  test("drops credential-looking variables and the agent socket, keeps the rest", () => {
    const outcome = applyInheritPolicy([list("claude: [ANTHROPIC_API_KEY]\n")], "claude", INHERITED);
    expect(outcome.dropped.map((drop) => [drop.variable, drop.rule])).toEqual([
      ["AWS_SECRET_ACCESS_KEY", "name-prefix"],
      ["CI_DEPLOY_PASSWORD", "name-word"],
      ["GH_TOKEN", "name-word"],
      ["NPM_TOKEN", "name-word"],
      ["PLAIN_LOOKING", "aws-access-key"],
      ["SSH_AUTH_SOCK", "agent-socket"],
    ]);
    expect(Object.keys(outcome.env).sort()).toEqual([
      "EDITOR_THEME",
      "HOME",
      "HTTPS_PROXY",
      "KPM_AUDIT_LOG",
      "LC_ALL",
      "PATH",
      "XDG_RUNTIME_DIR",
    ]);
    expect(outcome.granted).toEqual([]);
    for (const drop of outcome.dropped) expect(drop.reason).not.toContain("MARKER");
  });

  test("names the list grants pass: an entry, a glob, a pin, inherit: names and globs", () => {
    const lists = [
      list(
        'claude:\n  - GH_TOKEN\n  - "AWS_*"\n  - {NPM_TOKEN: kv/npm#token}\n  - inherit: [SSH_AUTH_SOCK, "CI_*", PLAIN_LOOKING]\n',
      ),
    ];
    const outcome = applyInheritPolicy(lists, "claude", INHERITED);
    expect(outcome.dropped).toEqual([]);
    expect(outcome.granted).toEqual([
      "AWS_SECRET_ACCESS_KEY",
      "CI_DEPLOY_PASSWORD",
      "GH_TOKEN",
      "NPM_TOKEN",
      "PLAIN_LOOKING",
      "SSH_AUTH_SOCK",
    ]);
    expect(outcome.env.GH_TOKEN).toBe("token-MARKER-1");
  });

  test("an empty variable passes whatever its name", () => {
    const outcome = applyInheritPolicy([], "claude", { GH_TOKEN: "", SSH_AUTH_SOCK: "" });
    expect(outcome).toEqual({ env: { GH_TOKEN: "", SSH_AUTH_SOCK: "" }, dropped: [], granted: [] });
  });

  test("another tool's grants and an unlisted or null tool grant nothing", () => {
    const lists = [list("other: [GH_TOKEN]\nnulled:\n")];
    for (const tool of ["claude", "nulled"]) {
      const outcome = applyInheritPolicy(lists, tool, { GH_TOKEN: "x" });
      expect(outcome.dropped.map((drop) => drop.variable)).toEqual(["GH_TOKEN"]);
    }
  });
});

describe("isGranted bounded by the user's list", () => {
  const project = list('claude: {inherit: ["*"]}\n');
  test("a project grant holds only where the user's list grants the name too", () => {
    const user = list("claude: {inherit: [GH_TOKEN]}\n");
    expect(isGranted([project, user], "claude", "GH_TOKEN")).toBe(true);
    expect(isGranted([project, user], "claude", "NPM_TOKEN")).toBe(false);
  });
  test("a user list that does not name the tool does not bound it; no lists grant nothing", () => {
    expect(isGranted([project, list("codex: [A]\n")], "claude", "NPM_TOKEN")).toBe(true);
    expect(isGranted([], "claude", "NPM_TOKEN")).toBe(false);
  });
});

test("the base set: exact names and LC_*/XDG_* globs, both spellings of the proxy variables", () => {
  for (const name of ["PATH", "LC_CTYPE", "XDG_CONFIG_HOME", "no_proxy", "NO_PROXY", "KPM_CONFIG", "TZ"])
    expect(isBaseInherited(name)).toBe(true);
  for (const name of ["PATHS", "KPM_SESSION", "GH_TOKEN", "Path"]) expect(isBaseInherited(name)).toBe(false);
});
