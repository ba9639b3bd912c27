// The one error class of @kpm/session: a stable `code` for the CLI to branch on and a
// human `message` (the exact spec text where the spec gives one). Never carries secrets.
import { CodedError } from "@kpm/coded-error";

export type SessionErrorCode =
  | "runtime_dir"
  | "runtime_dir_create"
  | "socket_refused"
  | "socket_path_too_long"
  | "sid_taken"
  | "listener_start"
  | "no_listener"
  | "connect"
  | "send"
  | "read";

export class SessionError extends CodedError<SessionErrorCode> {
  override readonly name = "SessionError";
}
