// Public surface of @kpm/secret-detect: does a variable look like a credential, by its name or its
// value. `kpm run --secure` drops inherited variables it flags; `kpm scan` will use the same rules.
export { type Detection, detect, detectName, detectValue } from "./detect.ts";
export { shannonEntropy } from "./entropy.ts";
