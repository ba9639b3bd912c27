export { type BuiltinName, type Builtins, importBuiltin, requireBuiltin } from "./builtin.ts";
