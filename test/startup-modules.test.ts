// The hot paths stay light: `kpm --version`, `kpm get`, env-scan `kpm run` and its `_exec` step
// must not load node:crypto, yaml or zod's classic API at startup (nor node:fs where the path has
// no use for it). Read from the bundler's module graph (test/helpers/startup-graph.ts): a static
// import chain from the entry to a forbidden module fails, and so does a new lazy edge on the path
// that would load one unless BRANCHES below says when it is taken. docs/architecture.md, "Startup".
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { BunPlugin } from "bun";
import {
  type Branch,
  buildGraph,
  checkPath,
  FORBIDDEN,
  type ModuleGraph,
  ROOT,
  type StartupPath,
  staleBranches,
} from "./helpers/startup-graph.ts";

const APP = "apps/kpm/src";
const { crypto, fs, path, tlsClient, yaml, zod, zodClassic } = FORBIDDEN;

/** main.ts imports the dispatcher when the command is not answered by the agent fast path. */
const DISPATCH: [string, string] = [`${APP}/main.ts`, `${APP}/cli/dispatch.ts`];

const PATHS: StartupPath[] = [
  {
    name: "kpm --version",
    takes: [DISPATCH, [`${APP}/cli/dispatch.ts`, `${APP}/version.ts`]],
    forbidden: [crypto, yaml, zodClassic, fs],
  },
  {
    // Directories, the flat config reader, the client (authenticated at once), one mTLS request.
    name: "kpm get",
    takes: [
      DISPATCH,
      [`${APP}/commands/index.ts`, `${APP}/commands/get.ts`],
      [`${APP}/context.ts`, `${APP}/paths.ts`],
      [`${APP}/context.ts`, `${APP}/config-flat.ts`],
      [`${APP}/context.ts`, `${APP}/agent-use.ts`],
      [`${APP}/context.ts`, "libs/agentkms-client/src/index.ts"],
      [`${APP}/context.ts`, `${APP}/version.ts`],
      [`${APP}/get-value.ts`, "libs/agentkms-client/src/resolve-index.ts"],
    ],
    forbidden: [crypto, yaml, zodClassic, fs, path],
  },
  {
    // `kpm get <ref>` with the agent warm: main.ts sends it whole (agent-fast.ts), before the
    // dispatcher, the config reader or node:fs.
    name: "kpm get (agent fast path)",
    takes: [[`${APP}/main.ts`, `${APP}/agent-fast.ts`]],
    forbidden: [crypto, yaml, zod, tlsClient, fs, path],
  },
  {
    // The dispatcher's warm path (flags, a profile): one request per read; no TLS client, no zod.
    name: "kpm get (agent warm)",
    takes: [
      DISPATCH,
      [`${APP}/commands/index.ts`, `${APP}/commands/get.ts`],
      [`${APP}/context.ts`, `${APP}/paths.ts`],
      [`${APP}/context.ts`, `${APP}/config-flat.ts`],
      [`${APP}/context.ts`, `${APP}/agent-use.ts`],
      [`${APP}/agent-use.ts`, "libs/agent/src/client-index.ts"],
      [`${APP}/agent-use.ts`, "libs/session/src/client-index.ts"],
      [`${APP}/agent-use.ts`, "libs/agentkms-client/src/resolve-index.ts"],
      [`${APP}/get-value.ts`, "libs/agentkms-client/src/resolve-index.ts"],
    ],
    forbidden: [crypto, yaml, zod, tlsClient, path],
  },
  {
    // Template-mode `kpm run` with the agent warm: the template, then one request per reference.
    name: "kpm run (template, agent warm)",
    takes: [
      DISPATCH,
      [`${APP}/commands/index.ts`, `${APP}/commands/run.ts`],
      [`${APP}/commands/run.ts`, `${APP}/template-load.ts`],
      [`${APP}/commands/run.ts`, `${APP}/run/template-mode.ts`],
      [`${APP}/context.ts`, `${APP}/paths.ts`],
      [`${APP}/context.ts`, `${APP}/config-flat.ts`],
      [`${APP}/context.ts`, `${APP}/agent-use.ts`],
      [`${APP}/agent-use.ts`, "libs/agent/src/client-index.ts"],
      [`${APP}/agent-use.ts`, "libs/session/src/client-index.ts"],
      [`${APP}/agent-use.ts`, "libs/agentkms-client/src/resolve-index.ts"],
      [`${APP}/run/template-mode.ts`, "libs/agentkms-client/src/resolve-index.ts"],
    ],
    forbidden: [yaml, zod, tlsClient, fs, path],
  },
  {
    // An active session: blobs go to their listeners; no directory, config or template is read.
    name: "kpm run (env-scan)",
    takes: [DISPATCH, [`${APP}/commands/index.ts`, `${APP}/commands/run.ts`]],
    forbidden: [crypto, yaml, zodClassic, fs],
  },
  {
    // The exec step env-scan `kpm run` starts while the blobs are decrypted: it becomes the child.
    name: "kpm _exec",
    takes: [[`${APP}/main.ts`, `${APP}/run/exec-step.ts`]],
    forbidden: [crypto, yaml, zodClassic, fs],
  },
];

/**
 * Lazy edges on these paths that load a forbidden module when their code runs, and when that is.
 * A new one fails the test until it is listed here; an entry whose edge is gone fails too.
 */
const BRANCHES: Branch[] = [
  {
    from: "libs/deferred/src/path.ts",
    to: "node:path",
    when: "a path not in normal form (an empty, . or .. segment, a trailing slash), or Windows",
  },
  {
    from: `${APP}/commands/get.ts`,
    to: `${APP}/profile.ts`,
    when: "kpm get with a {{profile:…}} reference",
  },
  { from: `${APP}/cli/dispatch.ts`, to: `${APP}/paths.ts`, when: "usage text names the config directory" },
  {
    from: `${APP}/context.ts`,
    to: `${APP}/paths.ts`,
    when: "KpmContext.prepare(): every command but run, and run in template mode",
  },
  {
    from: `${APP}/context.ts`,
    to: `${APP}/config-flat.ts`,
    when: "KpmContext.config(): the config file is read",
  },
  {
    from: `${APP}/context.ts`,
    to: `${APP}/config.ts`,
    when: "a config file the flat reader declines: the YAML parser and its schema",
  },
  {
    from: `${APP}/context.ts`,
    to: "libs/agentkms-client/src/index.ts",
    when: "KpmContext.client() on the direct path: the agent is off, absent, or cannot serve the call",
  },
  {
    from: `${APP}/cli/io.ts`,
    to: "node:fs",
    when: "the first line written to stderr (a notice, a warning, an error)",
  },
  {
    from: "libs/bounded-read/src/read-file.ts",
    to: "node:fs",
    when: "a file libc does not read: not a regular file (device, FIFO), or a failure other than ENOENT/ENOTDIR (node:fs words it)",
  },
  {
    from: "libs/template/src/load.ts",
    to: "node:fs",
    when: "an include whose real path cannot be resolved (node:fs words the error)",
  },
  { from: "libs/template/src/summary.ts", to: "node:fs", when: "kpm tree lists a templates directory" },
  {
    from: "libs/trust/src/project-files.ts",
    to: "node:fs",
    when: "kpm trust lists the files a project brings",
  },
  {
    from: "libs/trust/src/store.ts",
    to: "node:fs",
    when: "the trust store is written (kpm trust, untrust, quickstart)",
  },
  {
    from: "libs/trust/src/trust-key.ts",
    to: "node:fs",
    when: "a file a project brings is checked against the trust store (its real path)",
  },
  {
    from: "libs/libc/src/index.ts",
    to: "node:fs",
    when: "an lstat libc cannot answer: a failure (for its error), a NUL byte, an unknown struct stat layout",
  },
  {
    from: "libs/session/src/daemon.ts",
    to: "node:fs",
    when: "a listener or the agent process removes its socket or record (never the CLI's agent client)",
  },
  {
    from: "libs/libc/src/landlock.ts",
    to: "node:fs",
    when: "kpm run --secure confines the tool: each granted path is checked for a directory",
  },
  {
    from: "libs/agentkms-client/src/tls-material.ts",
    to: "node:crypto",
    when: "a client created without authenticateEarly checks its PEM files first (get authenticates at once)",
  },
  {
    from: `${APP}/commands/run.ts`,
    to: `${APP}/template-load.ts`,
    when: "template mode (no session, --from, --secure)",
  },
  { from: `${APP}/commands/run.ts`, to: `${APP}/run/template-mode.ts`, when: "template mode" },
  {
    from: `${APP}/run/template-mode.ts`,
    to: "libs/allowlist/src/index.ts",
    when: "kpm run --secure: the allow-list, its inherit policy and audit records",
  },
  {
    from: `${APP}/run/secure-env.ts`,
    to: "libs/allowlist/src/index.ts",
    when: "kpm run --secure: which inherited variables pass",
  },
  {
    from: `${APP}/run/spawn.ts`,
    to: "node:fs",
    when: "a command given as a path (./deploy.sh): is it an executable file?",
  },
  {
    from: "libs/strict-codec/src/blob.ts",
    to: "node:crypto",
    when: "sealing or opening a blob (template mode, the listener); env-scan asks the listener",
  },
  {
    from: "libs/session/src/runtime-dir.ts",
    to: "node:fs",
    when: "ensureRuntimeDir creates <RuntimeDir> (kpm env, the listener)",
  },
];

let graph: ModuleGraph;
beforeAll(async () => {
  graph = await buildGraph();
});

describe("startup modules", () => {
  for (const path of PATHS) {
    test(`${path.name} loads none of: ${path.forbidden.map((rule) => rule.name).join(", ")}`, () => {
      expect(checkPath(graph, path, BRANCHES)).toEqual([]);
    });
  }

  test("every entry of BRANCHES is a lazy edge of the bundle", () => {
    expect(staleBranches(graph, BRANCHES)).toEqual([]);
  });
});

// The checker catches what it is for: forbidden imports injected into the real sources as the
// bundler reads them (the files on disk stay untouched).
describe("the checker", () => {
  const dir = mkdtempSync(join(tmpdir(), "kpm-startup-modules-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A plugin appending `code` to the named source files, and the rewritten texts. */
  function inject(additions: Record<string, string>): { plugin: BunPlugin; sources: Map<string, string> } {
    const sources = new Map<string, string>();
    for (const [id, code] of Object.entries(additions)) {
      sources.set(id, `${readFileSync(join(ROOT, id), "utf8")}\n${code}\n`);
    }
    const plugin: BunPlugin = {
      name: "inject-forbidden-imports",
      setup(build) {
        build.onLoad({ filter: /\.ts$/ }, (args) => {
          const contents = sources.get(relative(ROOT, args.path));
          return contents === undefined ? undefined : { contents, loader: "ts" };
        });
      },
    };
    return { plugin, sources };
  }

  const byName = (name: string) => PATHS.find((path) => path.name === name) as StartupPath;

  test("reports a static chain, an import hoisted out of a require(), a new lazy edge, a stale branch", async () => {
    // A module that imports node:crypto, imported by env-scan's notice; yaml into the version text;
    // a deferred node:crypto in the output module, which every path loads.
    const cryptoModule = join(dir, "uses-crypto.ts");
    writeFileSync(
      cryptoModule,
      'import { createHash } from "node:crypto";\nexport const hash = createHash;\n',
    );
    // And a require() of a module that imports node:fs: the bundler hoists that import.
    const fsModule = join(dir, "uses-fs.ts");
    writeFileSync(fsModule, 'import { statSync } from "node:fs";\nexport const stat = statSync;\n');
    const { plugin, sources } = inject({
      [`${APP}/run/env-scan-notice.ts`]: `import { hash } from ${JSON.stringify(cryptoModule)};\nexport const injected = hash;`,
      // Used (else tree-shaken), at run time only; no extension: require() resolves like CommonJS.
      [`${APP}/run/exec-step.ts`]: `if (process.env.KPM_INJECTED) console.log(require(${JSON.stringify(fsModule.replace(/\.ts$/, ""))}).stat);`,
      [`${APP}/version.ts`]: 'import { parse } from "yaml";\nexport const injectedParse = parse;',
      [`${APP}/cli/io.ts`]: 'export const injectedLater = () => requireBuiltin("node:crypto");',
    });
    const injected = await buildGraph({ plugins: [plugin], sources });

    const run = checkPath(injected, byName("kpm run (env-scan)"), BRANCHES);
    expect(run).toContainEqual(
      expect.stringMatching(
        /^kpm run \(env-scan\) loads node:crypto \(node:crypto\): .*env-scan-notice\.ts → .*uses-crypto\.ts → node:crypto$/,
      ),
    );
    const version = checkPath(injected, byName("kpm --version"), BRANCHES);
    expect(version).toContainEqual(
      expect.stringMatching(/^kpm --version loads yaml .*version\.ts → node_modules\/yaml\//),
    );
    expect(checkPath(injected, byName("kpm _exec"), BRANCHES)).toContainEqual(
      expect.stringMatching(
        /^kpm _exec loads node:fs \(node:fs\): .*exec-step\.ts → require\(.*uses-fs\.ts\), hoisted: → node:fs$/,
      ),
    );
    // Where node:crypto is not loaded already (env-scan `run` now loads it statically).
    for (const path of [byName("kpm get"), byName("kpm get (agent fast path)")]) {
      expect(checkPath(injected, path, BRANCHES)).toContain(
        `${path.name}: lazy requireBuiltin ${APP}/cli/io.ts → node:crypto would load node:crypto: not in BRANCHES (add it with when it is taken)`,
      );
    }
    // Listed in BRANCHES, the lazy edge passes; the static chain still fails.
    const listed = [...BRANCHES, { from: `${APP}/cli/io.ts`, to: "node:crypto", when: "test" }];
    for (const path of [byName("kpm get"), byName("kpm get (agent fast path)")]) {
      expect(checkPath(injected, path, listed).filter((line) => line.includes("node:crypto"))).toEqual([]);
    }
    expect(checkPath(injected, byName("kpm --version"), listed)).toEqual([
      expect.stringMatching(/^kpm --version loads yaml /),
    ]);

    expect(
      staleBranches(graph, [...BRANCHES, { from: `${APP}/gone.ts`, to: "node:fs", when: "never" }]),
    ).toEqual([`BRANCHES names ${APP}/gone.ts → node:fs, which is no lazy edge of the bundle`]);
  });

  test("a path that takes an edge the bundle does not have is reported", () => {
    const wrong: StartupPath = {
      name: "kpm nothing",
      takes: [[`${APP}/main.ts`, `${APP}/nothing.ts`]],
      forbidden: [],
    };
    expect(checkPath(graph, wrong, BRANCHES)).toEqual([
      `kpm nothing: takes ${APP}/main.ts → ${APP}/nothing.ts, which is no lazy edge of the bundle`,
    ]);
  });
});
