// The one way to load a Node built-in on first use instead of at startup (docs/architecture.md,
// "Startup"). A static `import … from "node:fs"` costs every process that loads the module, even
// when the code that needs it never runs (node:fs ~1.5 ms, node:crypto ~3 ms of a ~20 ms start).
// test/startup-modules.test.ts finds these calls by name: keep the module name a string literal.

/** The built-ins kpm defers, with their types (a type-only `import()` loads nothing). */
export interface Builtins {
  "node:crypto": typeof import("node:crypto");
  "node:fs": typeof import("node:fs");
  "node:os": typeof import("node:os");
  "node:path": typeof import("node:path");
  "node:tty": typeof import("node:tty");
}

export type BuiltinName = keyof Builtins;

const loaded = new Set<BuiltinName>();

/**
 * The built-in, loaded now, for code that must stay synchronous. require(), which the bundler
 * turns into import.meta.require at the call: on Bun 1.4.5 process.getBuiltinModule cost more
 * CPU per process (node:fs ~1.4 ms, node:crypto ~5 ms, 200 runs each).
 */
export function requireBuiltin<Name extends BuiltinName>(name: Name): Builtins[Name] {
  loaded.add(name);
  return require(name) as Builtins[Name];
}

/** The built-in, for code that can await: a dynamic import(), which needs no CommonJS loader. */
export function importBuiltin<Name extends BuiltinName>(name: Name): Promise<Builtins[Name]> {
  loaded.add(name);
  return import(name) as Promise<Builtins[Name]>;
}

/** The built-ins this process has asked for through this module, in first-use order (tests). */
export function loadedBuiltins(): BuiltinName[] {
  return [...loaded];
}
