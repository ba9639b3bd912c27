// Pinned references (allow-list `{NAME: ref}` entries): which secret a variable may come from.
// The reference grammar is the template's own, so a pin and a template entry can only be
// compared on the same terms: type, path and #key. A default never takes part.

import { formatReference, parseReference, validateReferencePath } from "@kpm/template/core";

/** What a reference fetches: the parts of a template reference that choose the secret. */
export interface ReferenceLike {
  type: string;
  path: string;
  key?: string | undefined;
}

export type PinParse = { ok: true; pin: ReferenceLike } | { ok: false; problem: string };

/**
 * Parses a pin as `kpm get` reads its argument: `llm/anthropic`, `kv/db/prod#password`,
 * `svc/name#field`, or the same wrapped in `${kms:…}`. `problem` completes
 * `"<NAME>" is pinned to …` / `"<NAME>" …` in the caller's message.
 */
export function parsePin(text: string): PinParse {
  const ref = parseReference(text.startsWith("${kms:") ? text : `\${kms:${text}}`);
  if (ref === null)
    return {
      ok: false,
      problem: `is pinned to an invalid reference "${text}" (expected <type>/<path>[#key])`,
    };
  const reason = validateReferencePath(ref.path);
  if (reason !== null)
    return { ok: false, problem: `is pinned to an invalid reference path "${ref.path}": ${reason}` };
  if (ref.type === "include") return { ok: false, problem: "cannot be pinned to an include" };
  // A default is the template's business (it stands in only when the secret is not found);
  // in a pin it would suggest the pin decides a value, which it never does.
  if (ref.default !== undefined)
    return { ok: false, problem: `is pinned to "${text}", which has a default; pin the reference alone` };
  return { ok: true, pin: { type: ref.type, path: ref.path, key: ref.key } };
}

/** Whether a template reference fetches exactly the pinned secret (its default is ignored). */
export function matchesPin(pin: ReferenceLike, ref: ReferenceLike): boolean {
  return pin.type === ref.type && pin.path === ref.path && pin.key === ref.key;
}

/** `type/path[#key]`, the form audit lines and messages name a reference by. */
export function referenceName(ref: ReferenceLike): string {
  return formatReference(ref);
}
