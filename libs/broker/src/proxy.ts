// The broker's proxy (docs/broker.md): a loopback HTTP/1.1 proxy that requires the run's
// credential. CONNECT to a declared host ends in an internal TLS server holding the run's leaf,
// where each request gets its placeholders swapped for real values and goes upstream over
// verified TLS; CONNECT elsewhere is a byte tunnel; plain HTTP to a declared host is refused.
import { timingSafeEqual } from "node:crypto";
import { rootCertificates } from "node:tls";
import type { Socket } from "bun";
import { replaceInStream } from "./echo-filter.ts";
import { matchesHost } from "./host-pattern.ts";
import { flush, join, type Leg, newLeg, peerClosed, relay } from "./relay.ts";
import type { RunCertificates } from "./run-ca.ts";

export interface BrokeredSecret {
  variable: string;
  /** The reference it comes from, as `type/path[#key]` (for the swap record). */
  ref: string;
  /** Normalized host patterns (host-pattern.ts). */
  hosts: string[];
  placeholder: string;
  /** The real value; called at each swap (the caller caches it or not). */
  resolve(): Promise<string>;
}

/** One placeholder replaced on its way to a host: the audit record's facts, never the value. */
export interface Swap {
  variable: string;
  ref: string;
  host: string;
  method: string;
  path: string;
}

export interface ProxyOptions {
  secrets: BrokeredSecret[];
  certificates: RunCertificates;
  /** `host` → `address:port` for upstream connections and tunnels (like curl --resolve). */
  resolve?: Record<string, string>;
  /** Extra PEM roots trusted for upstream verification (besides the system's). */
  upstreamCa?: string;
  onSwap?(swap: Swap): void;
  /** A swap whose value could not be fetched: the request is answered 502 with this reason. */
  onError?(variable: string, error: unknown): void;
}

export interface RunningProxy {
  /** `http://kpm:<credential>@127.0.0.1:<port>` for HTTPS_PROXY. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const MAX_HEAD = 64 * 1024;
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authorization",
  "proxy-authenticate",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "accept-encoding",
]);

interface Head {
  method: string;
  target: string;
  headers: Array<[string, string]>;
  rest: Buffer;
  raw: Buffer;
}

function parseHead(buffer: Buffer, end: number): Head | null {
  const lines = buffer.subarray(0, end).toString("latin1").split("\r\n");
  const [method, target, version] = (lines[0] ?? "").split(" ");
  if (!method || !target || !version?.startsWith("HTTP/1.")) return null;
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) return null;
    headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return { method, target, headers, rest: buffer.subarray(end + 4), raw: buffer.subarray(0, end + 4) };
}

function reply(socket: Socket<Leg>, status: string, body: string, extra = ""): void {
  socket.end(
    `HTTP/1.1 ${status}\r\n${extra}Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** `host:port` of a CONNECT target or absolute URL; IPv6 literals in brackets. */
function splitAuthority(authority: string, defaultPort: number): { host: string; port: number } | null {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(authority);
  if (!match?.[1]) return null;
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  return port > 0 && port < 65536 ? { host: match[1].replace(/^\[|\]$/g, "").toLowerCase(), port } : null;
}

export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const credential = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("hex");
  const expected = Buffer.from(`Basic ${Buffer.from(`kpm:${credential}`).toString("base64")}`);
  const declared = (host: string) =>
    options.secrets.some((secret) => secret.hosts.some((p) => matchesHost(p, host)));
  const overrides = new Map(Object.entries(options.resolve ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const upstreamCa = [...rootCertificates, ...(options.upstreamCa ? [options.upstreamCa] : [])];
  /** Internal TLS connections by their source port → the CONNECT target they carry. */
  const targets = new Map<number, { host: string; port: number }>();
  const sockets = new Set<Socket<Leg>>();

  const inner = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: {
      cert: options.certificates.leafPem,
      key: options.certificates.leafKeyPem,
      ALPNProtocols: "http/1.1",
    },
    idleTimeout: 0,
    fetch: async (request, server) => {
      const target = targets.get(server.requestIP(request)?.port ?? -1);
      if (target === undefined) return new Response("kpm broker: unknown connection\n", { status: 421 });
      return forward(request, target);
    },
  });

  async function swapText(
    text: string,
    target: { host: string },
    swap: Omit<Swap, "variable" | "ref">,
    used: Map<BrokeredSecret, string>,
  ): Promise<string> {
    let out = text;
    for (const secret of options.secrets) {
      if (!out.includes(secret.placeholder) || !secret.hosts.some((p) => matchesHost(p, target.host)))
        continue;
      let value = used.get(secret);
      if (value === undefined) {
        try {
          value = await secret.resolve();
        } catch (error) {
          options.onError?.(secret.variable, error);
          throw error;
        }
        used.set(secret, value);
        options.onSwap?.({ variable: secret.variable, ref: secret.ref, ...swap });
      }
      out = out.split(secret.placeholder).join(value);
    }
    return out;
  }

  async function forward(request: Request, target: { host: string; port: number }): Promise<Response> {
    const url = new URL(request.url);
    const authority = target.port === 443 ? target.host : `${target.host}:${target.port}`;
    const facts = { host: target.host, method: request.method, path: url.pathname };
    const used = new Map<BrokeredSecret, string>();
    const headers = new Headers();
    let search: string;
    try {
      for (const [name, value] of request.headers)
        if (!HOP_BY_HOP.has(name)) headers.append(name, await swapText(value, target, facts, used));
      search = await swapText(url.search, target, facts, used);
    } catch {
      return new Response("kpm broker: the brokered secret could not be fetched\n", { status: 502 });
    }
    headers.set("host", authority);
    headers.set("accept-encoding", "identity");
    const override = overrides.get(target.host);
    const upstream = `https://${override ?? authority}${url.pathname}${search}`;
    let response: Response;
    try {
      response = await fetch(upstream, {
        method: request.method,
        headers,
        body: request.method === "GET" || request.method === "HEAD" ? null : request.body,
        redirect: "manual",
        proxy: false,
        decompress: false,
        tls: { ca: upstreamCa, serverName: target.host },
      } as RequestInit);
    } catch (error) {
      // Only the code: a message could quote the URL, whose query string holds the real value.
      const code = (error as { code?: unknown }).code;
      const reason = typeof code === "string" && /^[A-Za-z_]+$/.test(code) ? ` (${code})` : "";
      return new Response(`kpm broker: upstream ${target.host} failed${reason}\n`, {
        status: 502,
      });
    }
    const out = new Headers();
    const echoes = [...used].map(([secret, value]) => [value, secret.placeholder] as const);
    for (const [name, value] of response.headers) {
      if (
        name === "content-length" ||
        name === "content-encoding" ||
        name === "transfer-encoding" ||
        name === "connection"
      )
        continue;
      let text = value;
      for (const [real, placeholder] of echoes) text = text.split(real).join(placeholder);
      out.append(name, text);
    }
    const pairs = echoes
      .filter(([real]) => real.length > 0)
      .map(([real, placeholder]) => [Buffer.from(real), Buffer.from(placeholder)] as const);
    const body = response.body && pairs.length > 0 ? replaceInStream(response.body, pairs) : response.body;
    return new Response(request.method === "HEAD" ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: out,
    });
  }

  /** Connects `client` to `host:port` (through `resolve`), then relays bytes both ways. */
  const tunnel = (
    client: Socket<Leg>,
    hostname: string,
    port: number,
    first: Uint8Array | null,
    established: boolean,
  ) => {
    if (first !== null && first.length > 0) client.data.early.push(first);
    client.pause();
    /** The inner TLS server's view of this connection: its source port and the CONNECT target. */
    let innerKey: { port: number; target: { host: string; port: number } } | null = null;
    Bun.connect<Leg>({
      hostname,
      port,
      data: newLeg(null),
      socket: {
        open: (upstream) => {
          sockets.add(upstream);
          const target = connectTarget.get(client);
          if (hostname === "127.0.0.1" && port === innerPort && target !== undefined) {
            innerKey = { port: upstream.localPort, target };
            targets.set(innerKey.port, target);
          }
          if (established) client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
          join(client, upstream);
        },
        data: (upstream, bytes) => {
          if (upstream.data.peer) relay(upstream, upstream.data.peer, bytes);
        },
        drain: flush,
        close: (upstream) => {
          sockets.delete(upstream);
          // Only its own entry: the port may already carry a new connection.
          if (innerKey !== null && targets.get(innerKey.port) === innerKey.target)
            targets.delete(innerKey.port);
          peerClosed(upstream.data.peer);
        },
        error: () => {},
      },
    }).catch(() => reply(client, "502 Bad Gateway", `kpm broker: cannot reach ${hostname}:${port}\n`));
  };
  const connectTarget = new WeakMap<Socket<Leg>, { host: string; port: number }>();
  const innerPort = inner.port as number;

  const dialAddress = (host: string, port: number): { hostname: string; port: number } => {
    const override = overrides.get(host);
    const where = override ? splitAuthority(override, port) : null;
    return { hostname: where?.host ?? host, port: where?.port ?? port };
  };

  const handle = (client: Socket<Leg>, head: Head) => {
    const auth = head.headers.find(([name]) => name === "proxy-authorization")?.[1] ?? "";
    const given = Buffer.from(auth);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return reply(
        client,
        "407 Proxy Authentication Required",
        "kpm broker: proxy credential required\n",
        'Proxy-Authenticate: Basic realm="kpm"\r\n',
      );
    if (head.method === "CONNECT") {
      const target = splitAuthority(head.target, 443);
      if (target === null) return reply(client, "400 Bad Request", "kpm broker: bad CONNECT target\n");
      if (!declared(target.host)) {
        const where = dialAddress(target.host, target.port);
        return tunnel(client, where.hostname, where.port, head.rest, true);
      }
      connectTarget.set(client, target);
      return tunnel(client, "127.0.0.1", innerPort, head.rest, true);
    }
    let url: URL;
    try {
      url = new URL(head.target);
    } catch {
      return reply(client, "400 Bad Request", "kpm broker: a proxy request needs an absolute http:// URL\n");
    }
    if (url.protocol !== "http:")
      return reply(
        client,
        "400 Bad Request",
        "kpm broker: only http:// URLs can be proxied without CONNECT\n",
      );
    const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
    if (declared(host))
      return reply(
        client,
        "403 Forbidden",
        `kpm broker: plain HTTP to ${host} refused: brokered secrets only travel over HTTPS\n`,
      );
    // Any other plain-HTTP request goes through as is, one request per connection.
    const lines = [`${head.method} ${url.pathname}${url.search} HTTP/1.1`];
    for (const [name, value] of head.headers)
      if (name !== "proxy-authorization" && name !== "proxy-connection" && name !== "connection")
        lines.push(`${name}: ${value}`);
    lines.push("connection: close", "", "");
    const where = dialAddress(host, Number(url.port) || 80);
    tunnel(
      client,
      where.hostname,
      where.port,
      Buffer.concat([Buffer.from(lines.join("\r\n"), "latin1"), head.rest]),
      false,
    );
  };

  const listener = Bun.listen<Leg>({
    hostname: "127.0.0.1",
    port: 0,
    data: newLeg(Buffer.alloc(0)),
    socket: {
      open: (client) => {
        client.data = newLeg(Buffer.alloc(0));
        sockets.add(client);
      },
      data: (client, bytes) => {
        const leg = client.data;
        if (leg.head === null) {
          if (leg.peer) relay(client, leg.peer, bytes);
          else leg.early.push(Buffer.from(bytes));
          return;
        }
        const buffered = Buffer.concat([leg.head, bytes]);
        const end = buffered.indexOf("\r\n\r\n");
        if (end === -1) {
          leg.head = buffered;
          if (buffered.length > MAX_HEAD)
            reply(client, "431 Request Header Fields Too Large", "kpm broker: request head too large\n");
          return;
        }
        leg.head = null;
        const head = parseHead(buffered, end);
        if (head === null) return reply(client, "400 Bad Request", "kpm broker: malformed request\n");
        handle(client, head);
      },
      drain: flush,
      close: (client) => {
        sockets.delete(client);
        peerClosed(client.data.peer);
      },
      error: () => {},
    },
  });
  const port = listener.port;
  return {
    url: `http://kpm:${credential}@127.0.0.1:${port}`,
    port,
    close: async () => {
      listener.stop(true);
      for (const socket of sockets) socket.terminate();
      await inner.stop(true);
    },
  };
}
