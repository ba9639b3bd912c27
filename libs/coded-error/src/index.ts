// Public surface of @kpm/coded-error: the shape every library's one error class shares.
export { CodedError } from "./coded-error.ts";
