// The one JSON document `kpm env` writes to the listener's stdin (spec §7.4 step 2). It is
// the only way the session key and the strict configuration reach the listener: never argv
// or environment. Encoded straight into bytes so the key is never held in a JS string here.
import * as z from "zod/mini";
import { encodeBase64 } from "./base64.ts";
import type { OwnerProcess } from "./owner.ts";
import { SESSION_ID_PATTERN } from "./session-id.ts";
import { ownerSchema } from "./session-record.ts";

export interface IssuedRef {
  Type: string;
  Path: string;
  Key: string;
  Default: string | null;
}

/** Who the listener belongs to (docs/sessions.md); both default to none. */
interface Ownership {
  /** The shell it exits with; absent or null: it lives until its TTL or idle timeout. */
  owner?: OwnerProcess | null;
  /** A later `kpm env` load in the same owner shell stops it. */
  replaceable?: boolean;
}

export type ListenerStart = Ownership &
  (
    | { mode: "default"; sessionId: string; ttlSeconds: number; sessionKey: Uint8Array }
    | {
        mode: "strict";
        sessionId: string;
        idleTimeoutSeconds: number;
        server: string;
        clientCert: string;
        clientKey: string;
        ca: string;
        refs: IssuedRef[];
      }
  );

const sessionIdSchema = z.string().check(z.regex(SESSION_ID_PATTERN));
const secondsSchema = z.int().check(z.positive());
const ownershipFields = {
  owner: z.optional(z.nullable(ownerSchema)),
  replaceable: z.optional(z.boolean()),
};

const startMessageSchema = z.discriminatedUnion("mode", [
  z.object({
    v: z.literal(1),
    mode: z.literal("default"),
    session: sessionIdSchema,
    socket: z.string().check(z.minLength(1)),
    ttl: secondsSchema,
    // 32 bytes in padded standard base64 is exactly 43 characters plus one "=".
    session_key: z.string().check(z.regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/)),
    ...ownershipFields,
  }),
  z.object({
    v: z.literal(1),
    mode: z.literal("strict"),
    session: sessionIdSchema,
    socket: z.string().check(z.minLength(1)),
    idle_timeout: secondsSchema,
    server: z.string(),
    client_cert: z.string(),
    client_key: z.string(),
    ca: z.string(),
    refs: z.array(
      z.object({ Type: z.string(), Path: z.string(), Key: z.string(), Default: z.nullable(z.string()) }),
    ),
    ...ownershipFields,
  }),
]);

export type StartMessage = z.infer<typeof startMessageSchema>;

export function parseStartMessage(value: unknown): StartMessage | null {
  const parsed = startMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** The stdin document as bytes; the caller zeroes it once written (it may hold the key). */
export function encodeStartMessage(start: ListenerStart, socketPath: string): Uint8Array {
  const encoder = new TextEncoder();
  const ownership = { owner: start.owner ?? null, replaceable: start.replaceable ?? false };
  if (start.mode === "strict") {
    return encoder.encode(
      JSON.stringify({
        v: 1,
        mode: "strict",
        session: start.sessionId,
        socket: socketPath,
        idle_timeout: start.idleTimeoutSeconds,
        server: start.server,
        client_cert: start.clientCert,
        client_key: start.clientKey,
        ca: start.ca,
        refs: start.refs.map((ref) => ({
          Type: ref.Type,
          Path: ref.Path,
          Key: ref.Key,
          Default: ref.Default,
        })),
        ...ownership,
      }),
    );
  }
  const head = JSON.stringify({
    v: 1,
    mode: "default",
    session: start.sessionId,
    socket: socketPath,
    ttl: start.ttlSeconds,
    ...ownership,
  });
  const prefix = encoder.encode(`${head.slice(0, -1)},"session_key":"`);
  const suffix = encoder.encode('"}');
  const key = encodeBase64(start.sessionKey);
  const message = new Uint8Array(prefix.length + key.length + suffix.length);
  message.set(prefix, 0);
  message.set(key, prefix.length);
  message.set(suffix, prefix.length + key.length);
  key.fill(0);
  return message;
}
