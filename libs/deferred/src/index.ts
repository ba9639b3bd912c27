export { type BuiltinName, type Builtins, importBuiltin, loadedBuiltins, requireBuiltin } from "./builtin.ts";
