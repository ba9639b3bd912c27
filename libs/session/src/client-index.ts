// `@kpm/session/client`: what a process that talks to a listener needs (`kpm decrypt`, `kpm run`
// in env-scan mode) — finding the socket and one request — without the listener, its launcher or
// the zod schemas of the start message, which cost several ms of startup.
export { type DecryptResult, type PingResult, pingListener, requestDecrypt } from "./client.ts";
export { SessionError, type SessionErrorCode } from "./error.ts";
export { findListenerSocket } from "./find-listener.ts";
export { resolveRuntimeDir } from "./runtime-dir.ts";
export { checkSocketPath, MAX_SOCKET_PATH_BYTES } from "./socket-path.ts";
