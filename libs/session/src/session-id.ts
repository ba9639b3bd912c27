// Session ids arrive from blobs and environment variables, i.e. from untrusted text; they
// become file names, so only the shapes kpm generates (s…, strict-…) are accepted.
export const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function isValidSessionId(sessionId: string): boolean {
  return SESSION_ID_PATTERN.test(sessionId);
}
