// zod schemas for every JSON body the client accepts (agentkms-wire.md §2.3, §5, §7): the rules of
// record. Loaded with a dynamic import only when a body's fast check (response-checks.ts,
// metadata-list-check.ts, each held to its schema by a differential test) declines it.
// zod/mini, not classic zod: the same validator core and issues, without classic's method-chaining
// layer, whose module evaluation alone cost ~3 ms of every `kpm get` (bench/get.bench.ts).
import * as z from "zod/mini";

// zod/mini ships without messages; the English locale gives the texts classic zod prints
// ("Invalid input: expected string, received number").
z.config(z.locales.en());

const text = z.string();

export const sessionSchema = z.object({ token: z.string().check(z.minLength(1)) });

export const llmCredentialSchema = z.object({
  provider: text,
  api_key: z.optional(text),
});

const stringMap = z.record(text, text);

export const genericCredentialSchema = z.object({ secrets: stringMap });

export const secretFieldsSchema = stringMap;

// Go's omitempty drops empty fields; `deleted` is present only when true (wire §5.1).
export const metadataSchema = z.object({
  path: z.string().check(z.minLength(1)),
  service: z.optional(text),
  name: z.optional(text),
  version: z.int(),
  created: z.optional(text),
  updated: z.optional(text),
  description: z.optional(text),
  tags: z.nullish(z.array(text)),
  type: z.optional(text),
  expires: z.optional(text),
  deleted: z.optional(z.boolean()),
});

export const metadataListSchema = z.object({ secrets: z.array(metadataSchema) });

export const historySchema = z.object({
  path: text,
  // null when the metadata version is 0 (wire §5.8).
  versions: z.nullable(
    z.array(
      z.object({
        version: z.int(),
        created: z.optional(text),
        caller: z.optional(text),
      }),
    ),
  ),
});

/** One line on what is wrong, naming the field but never echoing a value. */
export function describeIssue(error: z.core.$ZodError): string {
  const [issue] = error.issues;
  if (issue === undefined) return "invalid response";
  const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  return `${where}${issue.message}`;
}
