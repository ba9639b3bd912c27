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

/**
 * The built-in, loaded now, for code that must stay synchronous. process.getBuiltinModule, not
 * require(): the first require() of a process sets up the CommonJS loader (~0.25 ms), and a
 * require() the bundler can see may be hoisted.
 */
export function requireBuiltin<Name extends BuiltinName>(name: Name): Builtins[Name] {
  return process.getBuiltinModule(name) as Builtins[Name];
}

/**
 * The built-in, loaded now, for code that can await: a dynamic import() of a built-in is the
 * cheapest load Bun offers (measured on Bun 1.4.5: node:os ~0.1 ms, ~0.7 ms through
 * requireBuiltin).
 */
export function importBuiltin<Name extends BuiltinName>(name: Name): Promise<Builtins[Name]> {
  return import(name) as Promise<Builtins[Name]>;
}
