// Which modules a kpm command loads at startup, read from the bundler's own graph: Bun.build with
// the options of scripts/build.ts (ESM, splitting: what the compiled binary runs) and a metafile.
// A static import loads its module with the importer; a dynamic import(), a require() of a
// bundled package and @kpm/deferred's requireBuiltin/importBuiltin load theirs only when the code
// runs: lazy edges (but a required ES module's built-in imports are hoisted: hoistedBuiltins).
// test/startup-modules.test.ts walks a command's path through this graph.
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import type { BunPlugin } from "bun";

export const ROOT = join(import.meta.dir, "..", "..");
export const ENTRY = "apps/kpm/src/main.ts";

export type EdgeKind = "static" | "lazy";

export interface Edge {
  to: string;
  kind: EdgeKind;
  /** How the edge is written: import-statement, dynamic-import, require-call, requireBuiltin, … */
  how: string;
}

/** Module id (repository-relative path, or `node:<name>` for a built-in) → its imports. */
export type ModuleGraph = Map<string, Edge[]>;

const transpiler = new Bun.Transpiler({ loader: "ts" });
const DEFERRED_CALL = /\b(requireBuiltin|importBuiltin)\(\s*["'`]([^"'`]+)["'`]\s*\)/g;
const BUILTINS = new Set(builtinModules);

function builtinId(name: string): string | undefined {
  const bare = name.startsWith("node:") ? name.slice(5) : name;
  return BUILTINS.has(bare) ? `node:${bare}` : undefined;
}

/** requireBuiltin("node:x") / importBuiltin("node:x") calls in a source file (comments stripped). */
function deferredBuiltins(id: string, source: string | undefined): Edge[] {
  if (!/\.[cm]?[jt]s$/.test(id) || id.includes("node_modules/")) return [];
  const code = transpiler.transformSync(source ?? readFileSync(join(ROOT, id), "utf8"));
  return [...code.matchAll(DEFERRED_CALL)].map((match) => ({
    to: builtinId(match[2] as string) ?? (match[2] as string),
    kind: "lazy" as const,
    how: match[1] as string,
  }));
}

interface MetafileImport {
  path: string;
  kind: string;
  original?: string;
  external?: boolean;
  entryPoint?: string;
}

/**
 * The module graph of the kpm bundle. `plugins` may rewrite sources on the way in (the negative
 * tests inject forbidden imports); `sources` then gives the rewritten text for the deferred-call scan.
 */
export async function buildGraph(
  options: { plugins?: BunPlugin[]; sources?: Map<string, string> } = {},
): Promise<ModuleGraph> {
  const built = await Bun.build({
    entrypoints: [join(ROOT, ENTRY)],
    root: ROOT,
    target: "bun",
    format: "esm",
    splitting: true,
    minify: true,
    metafile: true,
    plugins: options.plugins ?? [],
  });
  if (!built.success || !built.metafile) throw new Error(`Bun.build failed: ${built.logs.join("\n")}`);
  const graph: ModuleGraph = new Map();
  for (const [id, input] of Object.entries(built.metafile.inputs)) {
    const edges: Edge[] = [];
    for (const item of input.imports as MetafileImport[]) {
      if (item.path === "bun:wrap") continue;
      // A package's CommonJS require() runs when its module does: lazy only in our own sources.
      const lazy =
        item.kind !== "import-statement" && !(item.kind === "require-call" && id.includes("node_modules/"));
      const to =
        item.entryPoint ?? (item.external ? (builtinId(item.original ?? item.path) ?? item.path) : item.path);
      edges.push({ to, kind: lazy ? "lazy" : "static", how: item.kind });
    }
    edges.push(...deferredBuiltins(id, options.sources?.get(id)));
    graph.set(id, edges);
  }
  return graph;
}

/** What one command's start may not load, by module id. */
export interface Forbidden {
  name: string;
  matches: (id: string) => boolean;
}

export const FORBIDDEN = {
  crypto: { name: "node:crypto", matches: (id: string) => id === "node:crypto" },
  fs: { name: "node:fs", matches: (id: string) => id === "node:fs" },
  // ~1.5–1.9 ms to load in a compiled binary; @kpm/deferred/path answers without it.
  path: { name: "node:path", matches: (id: string) => id === "node:path" },
  yaml: { name: "yaml", matches: (id: string) => id.includes("node_modules/yaml/") },
  // The classic API ("zod", "zod/v4", "zod/v3"); zod/mini and the v4 core it shares are allowed.
  zodClassic: {
    name: "zod classic",
    matches: (id: string) =>
      /node_modules\/zod\/(index\.[cm]?js|v3\/|v4\/classic\/|v4\/index\.[cm]?js)/.test(id),
  },
  // Any zod (mini too) and the AgentKMS TLS client: a warm-agent read needs neither (issue 17).
  zod: { name: "zod", matches: (id: string) => id.includes("node_modules/zod/") },
  tlsClient: {
    name: "the TLS client",
    matches: (id: string) => id === "libs/agentkms-client/src/transport.ts",
  },
} satisfies Record<string, Forbidden>;

/** A command's start: the dynamic imports it takes on the way (the rest stay lazy). */
export interface StartupPath {
  name: string;
  takes: ReadonlyArray<readonly [from: string, to: string]>;
  forbidden: readonly Forbidden[];
}

/** A lazy edge a path does not take, which would load a forbidden module when its code runs. */
export interface Branch {
  from: string;
  to: string;
  /** When the branch is taken: the reason the forbidden module is allowed behind it. */
  when: string;
}

/** The command table: its lazy edges are the other commands, alternatives to the one taken. */
export const COMMAND_TABLE = "apps/kpm/src/commands/index.ts";

const key = (from: string, to: string) => `${from} → ${to}`;

/** What loading `start` loads with it: its static closure (what a lazy edge loads when taken). */
export function staticClosure(graph: ModuleGraph, start: string): Set<string> {
  const seen = new Set([start]);
  const queue = [start];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    for (const edge of graph.get(id) ?? []) {
      if (edge.kind === "static" && !seen.has(edge.to)) {
        seen.add(edge.to);
        queue.push(edge.to);
      }
    }
  }
  return seen;
}

/**
 * The built-ins a require() of bundled module `start` loads at once: the bundler inlines the
 * module (evaluated at the call) but hoists its `import … from "node:x"` to the top of the chunk,
 * so those load with the requiring module. Each with the chain from `start`.
 */
function hoistedBuiltins(graph: ModuleGraph, start: string): Map<string, string[]> {
  const chains = new Map<string, string[]>([[start, [start]]]);
  const hoisted = new Map<string, string[]>();
  const queue = [start];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    for (const edge of graph.get(id) ?? []) {
      const chain = [...(chains.get(id) ?? []), edge.to];
      if (edge.how === "import-statement" && edge.to.startsWith("node:") && !hoisted.has(edge.to))
        hoisted.set(edge.to, chain);
      if (edge.kind === "static" && !chains.has(edge.to)) {
        chains.set(edge.to, chain);
        queue.push(edge.to);
      }
    }
  }
  return hoisted;
}

/**
 * The modules a path loads: from the entry over static edges and the lazy edges it takes, each
 * with the chain that loads it (for the failure message). A require() it does not take still
 * loads the built-ins the required module imports (hoistedBuiltins).
 */
export function loadedModules(graph: ModuleGraph, path: StartupPath): Map<string, string[]> {
  const taken = new Set(path.takes.map(([from, to]) => key(from, to)));
  const chains = new Map<string, string[]>([[ENTRY, [ENTRY]]]);
  const queue = [ENTRY];
  const reach = (to: string, chain: string[]) => {
    if (chains.has(to)) return;
    chains.set(to, chain);
    queue.push(to);
  };
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    const here = chains.get(id) ?? [];
    for (const edge of graph.get(id) ?? []) {
      if (edge.kind === "static" || taken.has(key(id, edge.to))) reach(edge.to, [...here, edge.to]);
      else if (edge.how === "require-call" && graph.has(edge.to)) {
        for (const [builtin, chain] of hoistedBuiltins(graph, edge.to)) {
          reach(builtin, [...here, `require(${chain[0]}), hoisted:`, ...chain.slice(1)]);
        }
      }
    }
  }
  return chains;
}

/**
 * What is wrong with a path: a forbidden module it loads (with the chain), a lazy edge on it
 * that would load a forbidden module and is not in `branches`, a taken edge that does not exist.
 * Empty when the path is clean.
 */
export function checkPath(graph: ModuleGraph, path: StartupPath, branches: readonly Branch[]): string[] {
  const problems = new Set<string>();
  for (const [from, to] of path.takes) {
    if (!(graph.get(from) ?? []).some((edge) => edge.kind === "lazy" && edge.to === to))
      problems.add(`${path.name}: takes ${key(from, to)}, which is no lazy edge of the bundle`);
  }
  const loaded = loadedModules(graph, path);
  // One line per forbidden module, with the shortest chain that loads it.
  const reported = new Set<Forbidden>();
  for (const [id, chain] of loaded) {
    const rule = path.forbidden.find((forbidden) => forbidden.matches(id));
    if (rule && !reported.has(rule)) {
      reported.add(rule);
      problems.add(`${path.name} loads ${rule.name} (${id}): ${chain.join(" → ")}`);
    }
  }
  const taken = new Set(path.takes.map(([from, to]) => key(from, to)));
  const listed = new Set(branches.map((branch) => key(branch.from, branch.to)));
  for (const id of loaded.keys()) {
    if (id === COMMAND_TABLE) continue;
    for (const edge of graph.get(id) ?? []) {
      if (edge.kind !== "lazy" || loaded.has(edge.to)) continue;
      if (taken.has(key(id, edge.to)) || listed.has(key(id, edge.to))) continue;
      const behind = [...staticClosure(graph, edge.to)];
      const hits = path.forbidden.filter((forbidden) => behind.some(forbidden.matches));
      if (hits.length > 0) {
        problems.add(
          `${path.name}: lazy ${edge.how} ${key(id, edge.to)} would load ${hits.map((hit) => hit.name).join(", ")}: not in BRANCHES (add it with when it is taken)`,
        );
      }
    }
  }
  return [...problems];
}

/** BRANCHES entries that name no lazy edge of the bundle (renamed or removed code). */
export function staleBranches(graph: ModuleGraph, branches: readonly Branch[]): string[] {
  return branches
    .filter(
      (branch) =>
        !(graph.get(branch.from) ?? []).some((edge) => edge.kind === "lazy" && edge.to === branch.to),
    )
    .map((branch) => `BRANCHES names ${key(branch.from, branch.to)}, which is no lazy edge of the bundle`);
}
