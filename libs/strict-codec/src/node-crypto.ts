// node:crypto on first use. Importing it costs ~3 ms of process startup, which commands that only
// parse blobs (`kpm run` in env-scan mode, `kpm decrypt`) should not pay. It is a builtin, so this
// require() stays lazy in the compiled binary too (the bundler hoists only bundled modules).
type NodeCrypto = typeof import("node:crypto");

let loaded: NodeCrypto | undefined;

export function nodeCrypto(): NodeCrypto {
  loaded ??= require("node:crypto") as NodeCrypto;
  return loaded;
}
