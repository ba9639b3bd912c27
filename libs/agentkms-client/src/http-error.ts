// Turns a non-success HTTP answer into the kpm-cli.md §6.5 text. The server's own `{error, code}`
// wins; otherwise the status decides, and a plain-text 404 means the route itself is missing.
import { AgentKmsError } from "./errors.ts";

interface ErrorBody {
  error?: string;
  code?: string;
}

/** The body as `{error, code}` if it is a JSON object; undefined for text bodies like the mux's 404. */
function parseErrorBody(text: string): ErrorBody | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const record = parsed as Record<string, unknown>;
  const body: ErrorBody = {};
  if (typeof record.error === "string") body.error = record.error;
  if (typeof record.code === "string") body.code = record.code;
  return body;
}

const statusTexts: Record<number, string> = {
  401: "unauthorized (401) — check your mTLS certificates",
  403: "forbidden (403) — access denied by policy",
  404: "not found (404)",
  405: "method not allowed (405) — this AgentKMS server does not support this operation",
  429: "rate limited (429) — try again in a moment",
  500: "server error (500) — check server logs",
  503: "service unavailable (503) — is AgentKMS running?",
};

const missingEndpoint =
  "endpoint not supported by this AgentKMS server (404 page not found); upgrade AgentKMS to v0.3.0 or later";

export function httpError(op: string, status: number, bodyText: string): AgentKmsError {
  const body = parseErrorBody(bodyText);
  const details = {
    status,
    notFound: status === 404 && body !== undefined,
    denied: status === 403,
    ...(body?.code ? { serverCode: body.code } : {}),
  };
  if (body?.error) {
    const suffix = body.code ? ` (${body.code})` : "";
    return new AgentKmsError("http", `${op}: ${body.error}${suffix}`, details);
  }
  const text =
    status === 404 && body === undefined
      ? missingEndpoint
      : (statusTexts[status] ?? `server returned ${status}`);
  return new AgentKmsError("http", `${op}: ${text}`, details);
}

export function redirectError(op: string, status: number): AgentKmsError {
  return new AgentKmsError(
    "redirect",
    `${op}: unexpected redirect (${status}); kpm does not follow redirects`,
    {
      status,
    },
  );
}
