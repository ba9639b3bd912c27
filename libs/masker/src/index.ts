// Public surface of @kpm/masker: masking injected secrets in a child's output (§10).
export { MASK, Masker } from "./masker.ts";
export { buildNeedles, MIN_MASKED_LENGTH } from "./needles.ts";
export { pipeMasked } from "./pipe-masked.ts";
