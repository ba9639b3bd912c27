import { describe, expect, test } from "bun:test";
import { parseListenAddress } from "../src/listen-address.ts";

describe("parseListenAddress", () => {
  test("host:port, an ephemeral port 0 and a bracketed IPv6 host", () => {
    expect(parseListenAddress("127.0.0.1:8443")).toEqual({ host: "127.0.0.1", port: 8443 });
    expect(parseListenAddress("localhost:0")).toEqual({ host: "localhost", port: 0 });
    expect(parseListenAddress("[::1]:9443")).toEqual({ host: "::1", port: 9443 });
  });

  test("no host, no port, an empty port, a non-digit or out-of-range port are not addresses", () => {
    for (const addr of [
      "8443",
      ":8443",
      "127.0.0.1:",
      "127.0.0.1:84a3",
      "127.0.0.1:65536",
      "127.0.0.1:-1",
      "",
    ])
      expect(parseListenAddress(addr)).toBeNull();
  });
});
