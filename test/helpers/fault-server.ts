// A tiny mTLS server posing as an AgentKMS that lacks routes (v0.2-era): it issues session tokens
// with the dev dir's own PKI and answers every other request with Go's text/plain 404, so kpm's
// "endpoint not supported" mapping (§6.5) can be exercised end to end.
import { readFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";

export interface FaultServer {
  addr: string;
  /** Method and path of every request, in arrival order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Serves with `<devDir>/server.{crt,key}` and requires a client certificate from `<devDir>/ca.crt`.
 * `answers` maps `<METHOD> <url>` to a JSON body sent with 200: a hostile or buggy AgentKMS.
 */
export async function startRouteMissingServer(
  devDir: string,
  answers: Record<string, string> = {},
): Promise<FaultServer> {
  const requests: string[] = [];
  const sockets = new Set<TLSSocket>();
  const http = createHttpServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    if (req.method === "POST" && req.url === "/auth/session") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"token":"fault-token","token_type":"Bearer","expires_in":900,"session_id":"f-1"}\n');
      return;
    }
    const answer = answers[`${req.method} ${req.url}`];
    if (answer !== undefined) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(answer);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" });
    res.end("404 page not found\n");
  });
  const tls = createTlsServer(
    {
      cert: readFileSync(join(devDir, "server.crt")),
      key: readFileSync(join(devDir, "server.key")),
      ca: readFileSync(join(devDir, "ca.crt")),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.3",
    },
    (socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      http.emit("connection", socket);
    },
  );
  tls.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
  const port = (tls.address() as AddressInfo).port;
  return {
    addr: `https://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        tls.close(() => resolve());
      }),
  };
}
