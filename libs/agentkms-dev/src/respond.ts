// Writing responses byte for byte as Go's net/http and encoding/json do: JSON bodies, the plain-text
// error pages (404, 405, 400) and http.Redirect's 307.
import type { IncomingMessage, ServerResponse } from "node:http";
import { goJson } from "@kpm/strict-codec/go-json";

/** A reply body as AgentKMS's encoder (SetEscapeHTML(false)) writes it: `<>&` raw, U+2028/2029 escaped. */
export function replyJson(value: unknown): string {
  return goJson(value, { escapeHTML: false });
}

/** http.Error's page: text/plain with nosniff. */
export function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...headers,
    "Content-Type": "text/plain; charset=utf-8",
    "X-Content-Type-Options": "nosniff",
    "Content-Length": String(Buffer.byteLength(body)),
  });
  res.end(body);
}

/** A JSON body already serialized (replyJson plus the encoder's newline where Go writes one). */
export function sendJson(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

export function sendRedirect(req: IncomingMessage, res: ServerResponse, location: string): void {
  // http.Redirect: GET and HEAD get a tiny HTML body; other methods none. 307 keeps the method.
  if (req.method === "GET" || req.method === "HEAD") {
    const escaped = location.replace(
      /[&<>"']/g,
      (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" })[c] ?? c,
    );
    const body = `<a href="${escaped}">Temporary Redirect</a>.\n\n`;
    res.writeHead(307, {
      Location: location,
      "Content-Type": "text/html; charset=utf-8",
      "Content-Length": String(Buffer.byteLength(body)),
    });
    res.end(body);
    return;
  }
  res.writeHead(307, { Location: location, "Content-Length": "0" });
  res.end();
}
