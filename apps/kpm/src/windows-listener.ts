// The one text for "no decrypt listener on Windows" (§3.8), in its own module so that `decrypt`
// and env-scan `run` can name it without loading `env` and everything it imports.
export const WINDOWS_LISTENER_ERROR =
  "error: the decrypt listener is not supported on Windows yet; use --plaintext or kpm run --from <template>";
