// What a strict listener needs from AgentKMS: one uncached lookup per accepted decrypt. The
// CLI supplies it (built on @kpm/agentkms-client) so this library stays free of HTTP.
import type { IssuedRef } from "./start-message.ts";

export type StrictResolution = { ok: true; value: string } | { ok: false; denied: boolean; message: string };

export interface StrictResolver {
  /** `ref.Default` is the issued default (null = none); it applies only on not found. */
  resolve(ref: IssuedRef): Promise<StrictResolution>;
}

export interface StrictClientConfig {
  server: string;
  clientCert: string;
  clientKey: string;
  ca: string;
}
