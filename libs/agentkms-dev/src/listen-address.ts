// The dev server's `--addr`: `host:port`, an IPv6 host in brackets, a port of 0–65535 written
// in digits (port 0 binds an ephemeral port, so an empty port must not read as 0).

export interface ListenAddress {
  host: string;
  port: number;
}

/** `127.0.0.1:8443` → {host, port}; `[::1]:0` → {host: "::1", port: 0}; anything else → null. */
export function parseListenAddress(addr: string): ListenAddress | null {
  const colon = addr.lastIndexOf(":");
  if (colon <= 0) return null;
  const portText = addr.slice(colon + 1);
  const port = Number(portText);
  // Number("") is 0: without the digit check "127.0.0.1:" would silently bind an ephemeral port.
  if (!/^\d{1,5}$/.test(portText) || port > 65535) return null;
  return { host: addr.slice(0, colon).replace(/^\[(.*)\]$/, "$1"), port };
}
