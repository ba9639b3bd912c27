// `{{profile:key}}` / `{{profile:key:-default}}` substitution (spec §5.3).

import { TemplateError } from "./error.ts";

/** Merged profile: key → value and the absolute path of the file that supplied it. */
export type ProfileValues = Map<string, { value: string; source: string }>;

const opener = "{{profile:";
const closer = "}}";
const maxRounds = 32;

/**
 * Expands every profile variable in `text`, rescanning from the start after each
 * substitution (so substituted values may themselves contain variables). Throws a
 * TemplateError("profile") whose message is the inner error; callers add file, line and
 * entry.
 */
export function expandProfile(text: string, profile: ProfileValues): string {
  let current = text;
  let rounds = 0;
  for (;;) {
    const start = current.indexOf(opener);
    if (start === -1) return current;
    const end = current.indexOf(closer, start + opener.length);
    if (end === -1) throw new TemplateError("profile", `unterminated profile variable in "${text}"`);
    if (rounds === maxRounds) {
      throw new TemplateError(
        "profile",
        `profile variable expansion exceeded ${maxRounds} rounds in "${text}" (self-referential profile value?)`,
      );
    }
    rounds++;
    const inner = current.slice(start + opener.length, end);
    const split = inner.indexOf(":-");
    const key = split === -1 ? inner : inner.slice(0, split);
    const found = profile.get(key);
    let replacement: string;
    if (found !== undefined) replacement = found.value;
    else if (split !== -1) replacement = inner.slice(split + 2);
    else {
      throw new TemplateError(
        "profile",
        `profile variable "${key}" not found (checked .kpm/config.yaml up to root + global config)`,
      );
    }
    current = current.slice(0, start) + replacement + current.slice(end + closer.length);
  }
}
