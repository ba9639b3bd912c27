// The two processes of the broker bench (broker.bench.ts), each on its own event loop as a tool
// and an API would be: `upstream <certFile> <keyFile>` serves /small and /big?n=<bytes> over
// HTTPS and prints its port; `client <json>` times requests, directly or through the proxy.
export {};

const [mode, ...args] = process.argv.slice(2);

if (mode === "upstream") {
  const [cert, key] = args as [string, string];
  const big = new Uint8Array(1 << 20);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: Bun.file(cert), key: Bun.file(key) },
    fetch: (request) => {
      const url = new URL(request.url);
      if (url.pathname !== "/big") return new Response("ok");
      let left = Number(url.searchParams.get("n"));
      return new Response(
        new ReadableStream({
          pull(controller) {
            if (left <= 0) return controller.close();
            const chunk = left >= big.length ? big : big.subarray(0, left);
            left -= chunk.length;
            controller.enqueue(chunk);
          },
        }),
      );
    },
  });
  console.log(server.port);
} else if (mode === "client") {
  const options = JSON.parse(args[0] as string) as {
    url: string;
    proxy?: string;
    ca: string;
    serverName?: string;
    host: string;
    requests: number;
    bytes: number;
    key: string;
  };
  const init = {
    headers: { host: options.host, "x-api-key": options.key },
    tls: { ca: options.ca, serverName: options.serverName },
    proxy: options.proxy ?? false,
  } as RequestInit;
  const times: number[] = [];
  for (let i = 0; i < options.requests + 50; i++) {
    const start = Bun.nanoseconds();
    await (await fetch(`${options.url}/small`, init)).arrayBuffer();
    if (i >= 50) times.push((Bun.nanoseconds() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  let received = 0;
  const start = Bun.nanoseconds();
  const response = await fetch(`${options.url}/big?n=${options.bytes}`, init);
  for await (const chunk of response.body as ReadableStream<Uint8Array>) received += chunk.length;
  const seconds = (Bun.nanoseconds() - start) / 1e9;
  console.log(
    JSON.stringify({ p50: times[Math.floor(times.length / 2)], mbps: received / 1e6 / seconds, received }),
  );
}
