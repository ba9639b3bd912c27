// Local HTTPS upstreams for the broker's tests: a CA of their own (made with the broker's own
// certificate code) and servers that record what they receive.
import { makeRunCertificates, type RunCertificates } from "../src/run-ca.ts";

export interface Received {
  host: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface Upstream {
  port: number;
  received: Received[];
  stop(): Promise<void>;
}

export function upstreamCertificates(hosts: string[]): Promise<RunCertificates> {
  return makeRunCertificates(hosts);
}

/** An HTTPS server for `certs`: echoes what it got as JSON; /sse streams 20 events 50 ms apart. */
export function startUpstream(certs: RunCertificates, echo?: string): Upstream {
  const received: Received[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: certs.leafPem, key: certs.leafKeyPem },
    fetch: async (request) => {
      const url = new URL(request.url);
      const headers = Object.fromEntries(request.headers);
      const body = await request.text();
      received.push({ host: headers.host ?? "", path: url.pathname + url.search, headers, body });
      if (url.pathname === "/sse") {
        let count = 0;
        const stream = new ReadableStream({
          async pull(controller) {
            if (count === 20) return controller.close();
            if (count > 0) await Bun.sleep(50);
            controller.enqueue(new TextEncoder().encode(`data: ${count++}\n\n`));
          },
        });
        return new Response(stream, { headers: { "content-type": "text/event-stream" } });
      }
      if (url.pathname === "/big")
        return new Response(new Uint8Array(Number(url.searchParams.get("n") ?? 1 << 20)));
      const reply = JSON.stringify({
        headers,
        path: url.pathname + url.search,
        echo: echo ?? headers["x-api-key"],
      });
      return new Response(reply, {
        headers: { "content-type": "application/json", "x-echo": headers["x-api-key"] ?? "" },
      });
    },
  });
  return { port: server.port as number, received, stop: () => server.stop(true) };
}
