// Response bodies to typed values: JSON.parse, then a hand-written fast check, and zod only for a body
// the fast check declines. zod is imported on that rare path, so a usual `kpm get` never evaluates it.
import type * as z from "zod/mini";
import { AgentKmsError } from "./errors.ts";

export type Schemas = typeof import("./schemas.ts");

let schemas: Promise<Schemas> | undefined;

function loadSchemas(): Promise<Schemas> {
  schemas ??= import("./schemas.ts");
  return schemas;
}

/** The body as JSON; the parser's message can quote the body, which may hold a secret. */
export function parseBody(op: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AgentKmsError("decode", `${op}: decode response: invalid JSON`);
  }
}

/** The schema's verdict on a parsed body: its output, or the decode error naming the field. */
export async function validate<T>(
  op: string,
  parsed: unknown,
  pick: (all: Schemas) => z.ZodMiniType<T>,
): Promise<T> {
  const all = await loadSchemas();
  const result = pick(all).safeParse(parsed);
  if (!result.success) {
    throw new AgentKmsError("decode", `${op}: decode response: ${all.describeIssue(result.error)}`);
  }
  return result.data;
}

/** A body through its fast check, or through its zod schema when the check declines. */
export async function decode<T>(
  op: string,
  text: string,
  pick: (all: Schemas) => z.ZodMiniType<T>,
  fast?: (parsed: unknown) => T | undefined,
): Promise<T> {
  const parsed = parseBody(op, text);
  const checked = fast?.(parsed);
  return checked !== undefined ? checked : validate(op, parsed, pick);
}
