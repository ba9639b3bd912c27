// zod schemas for every JSON body the client accepts (agentkms-wire.md §2.3, §5, §7). Loaded with a
// dynamic import when a client is created, so `kpm get` parses zod while the TLS handshake runs.
import { z } from "zod";

export const sessionSchema = z.object({ token: z.string().min(1) });

export const llmCredentialSchema = z.object({
  provider: z.string(),
  api_key: z.string().optional(),
});

const stringMap = z.record(z.string(), z.string());

export const genericCredentialSchema = z.object({ secrets: stringMap });

export const secretFieldsSchema = stringMap;

// Go's omitempty drops empty fields; `deleted` is present only when true (wire §5.1).
export const metadataSchema = z.object({
  path: z.string().min(1),
  service: z.string().optional(),
  name: z.string().optional(),
  version: z.number().int(),
  created: z.string().optional(),
  updated: z.string().optional(),
  description: z.string().optional(),
  tags: z.array(z.string()).nullish(),
  type: z.string().optional(),
  expires: z.string().optional(),
  deleted: z.boolean().optional(),
});

export const metadataListSchema = z.object({ secrets: z.array(metadataSchema) });

export const historySchema = z.object({
  path: z.string(),
  // null when the metadata version is 0 (wire §5.8).
  versions: z
    .array(
      z.object({
        version: z.number().int(),
        created: z.string().optional(),
        caller: z.string().optional(),
      }),
    )
    .nullable(),
});

/** One line on what is wrong, naming the field but never echoing a value. */
export function describeIssue(error: z.ZodError): string {
  const [issue] = error.issues;
  if (issue === undefined) return "invalid response";
  const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  return `${where}${issue.message}`;
}
