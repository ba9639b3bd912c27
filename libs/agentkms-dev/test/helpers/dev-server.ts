// Test harness for the dev server: a fresh enrolled dir, a running server on an ephemeral port,
// an mTLS fetch client and a raw TLS client for requests fetch would normalise (dot segments, NUL).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { enroll } from "../../src/pki.ts";
import { type RunningServer, type ServerOptions, startDevServer } from "../../src/server.ts";

export interface ClientCredentials {
  cert: string;
  key: string;
  ca: string;
}

export function clientCredentials(dir: string, cn = "forge-gateway"): ClientCredentials {
  const base = join(dir, "clients", cn);
  return {
    cert: readFileSync(join(base, "client.crt"), "utf8"),
    key: readFileSync(join(base, "client.key"), "utf8"),
    ca: readFileSync(join(base, "ca.crt"), "utf8"),
  };
}

export async function enrolledDir(prefix = "kpm-devsrv-"): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  await enroll(dir, {});
  return dir;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

export class DevClient {
  readonly base: string;
  readonly tls: ClientCredentials;
  token = "";

  constructor(port: number, tls: ClientCredentials) {
    this.base = `https://127.0.0.1:${port}`;
    this.tls = tls;
  }

  async login(): Promise<string> {
    const reply = await this.call("POST", "/auth/session", { auth: false });
    if (reply.status !== 200) throw new Error(`session failed: ${reply.status} ${reply.text}`);
    this.token = (JSON.parse(reply.text) as { token: string }).token;
    return this.token;
  }

  async call(
    method: string,
    path: string,
    opts: { body?: string | Uint8Array; auth?: boolean; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.auth !== false && this.token) headers["Authorization"] = `Bearer ${this.token}`;
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(this.base + path, {
      method,
      headers,
      body: opts.body,
      tls: this.tls,
      redirect: "manual",
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  async json<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: string,
  ): Promise<{ status: number; body: T }> {
    const reply = await this.call(method, path, body === undefined ? {} : { body });
    return { status: reply.status, body: JSON.parse(reply.text) as T };
  }
}

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One HTTP/1.1 exchange over its own mTLS connection, path sent byte for byte. */
export function rawRequest(
  port: number,
  tls: ClientCredentials | null,
  request: { method: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: "127.0.0.1",
      port,
      ...(tls ? { cert: tls.cert, key: tls.key, ca: tls.ca } : {}),
      ca: tls?.ca,
      minVersion: "TLSv1.3",
      rejectUnauthorized: tls !== null,
    });
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      if (split < 0) return reject(new Error(`no HTTP response: ${JSON.stringify(text.slice(0, 200))}`));
      const [statusLine = "", ...lines] = text.slice(0, split).split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: text.slice(split + 4) });
    });
    socket.on("secureConnect", () => {
      const body = request.body ?? "";
      const headers: Record<string, string> = {
        Host: `127.0.0.1:${port}`,
        "User-Agent": "kpm-test/1",
        Connection: "close",
        ...request.headers,
      };
      if (request.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(body));
      let head = `${request.method} ${request.path} HTTP/1.1\r\n`;
      for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
      socket.write(`${head}\r\n${body}`);
    });
  });
}

export interface Harness {
  dir: string;
  server: RunningServer;
  client: DevClient;
  logs: string[];
  stop(): Promise<void>;
}

/** A started server on a fresh (or given) dir with a logged-in default client. */
export async function startHarness(opts: Partial<ServerOptions> & { dir?: string } = {}): Promise<Harness> {
  const dir = opts.dir ?? (await enrolledDir());
  const logs: string[] = [];
  const server = await startDevServer({
    host: "127.0.0.1",
    port: 0,
    ...opts,
    dir,
    log: (line) => logs.push(line),
  });
  const client = new DevClient(server.port, clientCredentials(dir));
  await client.login();
  return {
    dir,
    server,
    client,
    logs,
    async stop() {
      await server.close(1000);
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function auditEvents(file: string): Array<Record<string, unknown>> {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
