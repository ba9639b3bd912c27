// The Go ServeMux emulation on its own: path cleaning (Go's path.Clean examples), exact, `{x}` and
// `{x...}` patterns, the 307 to the slash-terminated path, 404, 405 with Allow, and the route table's
// verdict on every request the real agentkms-dev v0.3.1 answered in test/fixtures (transcripts).
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { cleanGoPath, cleanRequestPath, type MuxResult, muxRoute, type Route, route } from "../src/mux.ts";
import { API_ROUTES, type Handler } from "../src/routes.ts";

const TRANSCRIPTS = join(import.meta.dir, "../../../test/fixtures/agentkms-dev-v0.3.1/transcripts");

/** A verdict without the handler object, so tables of strings compare with toEqual. */
function verdict<H>(result: MuxResult<H>): unknown {
  return result.kind === "route"
    ? { kind: "route", handler: result.route.handler, value: result.value }
    : result;
}

function mux(routes: Route<string>[], method: string, path: string, rawQuery = ""): unknown {
  return verdict(muxRoute(routes, method, path, rawQuery));
}

describe("cleanGoPath", () => {
  test("gives path.Clean's documented results", () => {
    // The examples of Go's path.Clean documentation.
    const examples: Array<[string, string]> = [
      ["a/c", "a/c"],
      ["a//c", "a/c"],
      ["a/c/.", "a/c"],
      ["a/c/b/..", "a/c"],
      ["/../a/c", "/a/c"],
      ["/../a/b/../././/c", "/a/c"],
      ["", "."],
    ];
    for (const [input, cleaned] of examples) expect([input, cleanGoPath(input)]).toEqual([input, cleaned]);
  });

  test("a relative path keeps the '..' it cannot resolve; a rooted one drops it", () => {
    expect(cleanGoPath("../../a")).toBe("../../a");
    expect(cleanGoPath("a/../..")).toBe("..");
    expect(cleanGoPath("/..")).toBe("/");
    expect(cleanGoPath(".")).toBe(".");
  });

  test("is idempotent and never leaves an empty, '.' or '..' segment in a rooted path", () => {
    const segment = fc.constantFrom("", ".", "..", "a", "b", "%2E");
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), (segments) => {
        const cleaned = cleanGoPath(`/${segments.join("/")}`);
        expect(cleanGoPath(cleaned)).toBe(cleaned);
        expect(
          cleaned === "/" ||
            cleaned
              .slice(1)
              .split("/")
              .every((s) => !["", ".", ".."].includes(s)),
        ).toBe(true);
      }),
    );
  });
});

describe("cleanRequestPath", () => {
  test("roots, cleans and keeps a trailing slash, as net/http's cleanPath", () => {
    expect(cleanRequestPath("")).toBe("/");
    expect(cleanRequestPath("secrets/a")).toBe("/secrets/a");
    expect(cleanRequestPath("/secrets//cloudflare/dns-token")).toBe("/secrets/cloudflare/dns-token");
    expect(cleanRequestPath("/secrets/cloudflare/./dns-token")).toBe("/secrets/cloudflare/dns-token");
    expect(cleanRequestPath("/secrets/a/../b/")).toBe("/secrets/b/");
    expect(cleanRequestPath("/secrets/")).toBe("/secrets/");
    expect(cleanRequestPath("/..")).toBe("/");
    expect(cleanRequestPath("/../")).toBe("/");
  });

  test("leaves percent-encoded dots alone: they are not segments until decoded", () => {
    expect(cleanRequestPath("/secrets/%2E%2E/x")).toBe("/secrets/%2E%2E/x");
  });
});

describe("muxRoute patterns", () => {
  const exact = [route("GET", "/a", "exact")];
  const single = [route("GET", "/a/{x}", "single")];
  const multi = [route("GET", "/a/{x...}", "multi")];

  test("an exact pattern matches only its path", () => {
    expect(mux(exact, "GET", "/a")).toEqual({ kind: "route", handler: "exact", value: "" });
    expect(mux(exact, "GET", "/a/")).toEqual({ kind: "notFound" });
    expect(mux(exact, "GET", "/a/b")).toEqual({ kind: "notFound" });
    expect(mux(exact, "GET", "/ab")).toEqual({ kind: "notFound" });
  });

  test("{x} takes exactly one non-empty segment, percent-decoded", () => {
    expect(mux(single, "GET", "/a/b")).toEqual({ kind: "route", handler: "single", value: "b" });
    expect(mux(single, "GET", "/a/b%2Fc")).toEqual({ kind: "route", handler: "single", value: "b/c" });
    expect(mux(single, "GET", "/a/")).toEqual({ kind: "notFound" });
    expect(mux(single, "GET", "/a/b/c")).toEqual({ kind: "notFound" });
    expect(mux(single, "GET", "/a")).toEqual({ kind: "notFound" });
  });

  test("{x...} takes the rest, empty and trailing slash included, percent-decoded", () => {
    expect(mux(multi, "GET", "/a/b/c")).toEqual({ kind: "route", handler: "multi", value: "b/c" });
    expect(mux(multi, "GET", "/a/b/c/")).toEqual({ kind: "route", handler: "multi", value: "b/c/" });
    expect(mux(multi, "GET", "/a/")).toEqual({ kind: "route", handler: "multi", value: "" });
    expect(mux(multi, "GET", "/a/%2E%2E/x")).toEqual({ kind: "route", handler: "multi", value: "../x" });
  });

  test("literal segments compare decoded; a malformed escape matches nothing", () => {
    expect(mux(single, "GET", "/%61/b")).toEqual({ kind: "route", handler: "single", value: "b" });
    expect(mux(single, "GET", "/a/%zz")).toEqual({ kind: "notFound" });
    expect(mux(multi, "GET", "/a/b/%zz")).toEqual({ kind: "notFound" });
  });

  test("a path whose slash-terminated form matches {x...} exactly is redirected there, query kept", () => {
    expect(mux(multi, "GET", "/a")).toEqual({ kind: "redirect", location: "/a/" });
    expect(mux(multi, "POST", "/a")).toEqual({ kind: "notAllowed", allow: "GET, HEAD" });
    expect(mux(multi, "HEAD", "/a", "q=1&r")).toEqual({ kind: "redirect", location: "/a/?q=1&r" });
  });

  test("no redirect when the path itself has a route", () => {
    const both = [...exact, ...multi];
    expect(mux(both, "GET", "/a")).toEqual({ kind: "route", handler: "exact", value: "" });
    expect(mux(both, "GET", "/a/")).toEqual({ kind: "route", handler: "multi", value: "" });
  });

  test("HEAD is served by a GET pattern; GET is not served by a HEAD-less table", () => {
    expect(mux(exact, "HEAD", "/a")).toEqual({ kind: "route", handler: "exact", value: "" });
    expect(mux([route("POST", "/a", "post")], "GET", "/a")).toEqual({ kind: "notAllowed", allow: "POST" });
  });

  test("405 lists, sorted, every method whose pattern matches the path or the path plus '/'", () => {
    const table = [
      route("POST", "/a/{x...}", "post"),
      route("GET", "/a/{x...}", "get"),
      route("DELETE", "/a/{x...}", "delete"),
      route("GET", "/b", "b"),
    ];
    expect(mux(table, "PUT", "/a/k")).toEqual({ kind: "notAllowed", allow: "DELETE, GET, HEAD, POST" });
    // Only "/a/" matches; a PUT on "/a" is still a 405, not a redirect (PUT has no route there).
    expect(mux(table, "PUT", "/a")).toEqual({ kind: "notAllowed", allow: "DELETE, GET, HEAD, POST" });
    expect(mux(table, "PUT", "/c")).toEqual({ kind: "notFound" });
  });

  test("the order of non-overlapping routes does not change a verdict", () => {
    const table = [route("GET", "/a", "list"), route("GET", "/a/{x}", "one"), route("POST", "/a/{x}/r", "r")];
    const reversed = [...table].reverse();
    for (const path of ["/a", "/a/", "/a/k", "/a/k/r", "/a/k/r/"]) {
      for (const method of ["GET", "POST", "PUT"]) {
        expect(mux(reversed, method, path)).toEqual(mux(table, method, path));
      }
    }
  });
});

describe("the API route table", () => {
  const methods = ["GET", "HEAD", "POST", "DELETE", "PUT", "PATCH"];
  const segment = fc.constantFrom(
    "",
    "credentials",
    "llm",
    "generic",
    "refresh",
    "secrets",
    "metadata",
    "anthropic",
    "a",
    "%2F",
    "b%2Fc",
  );
  const path = fc.array(segment, { minLength: 1, maxLength: 5 }).map((segments) => `/${segments.join("/")}`);

  test("no two routes of one method match the same path, so first match is Go's most specific match", () => {
    fc.assert(
      fc.property(fc.constantFrom(...methods), path, (method, p) => {
        const matching = API_ROUTES.filter((r) => muxRoute([r], method, p, "").kind === "route");
        expect(matching.length).toBeLessThanOrEqual(1);
        expect(verdict(muxRoute([...API_ROUTES].reverse(), method, p, ""))).toEqual(
          verdict(muxRoute(API_ROUTES, method, p, "")),
        );
      }),
      { numRuns: 2000 },
    );
  });

  interface Transcript {
    name: string;
    request: { method: string; path: string };
    response: { status: number; headers: Record<string, string>; body: string };
  }

  const transcripts: Transcript[] = readdirSync(TRANSCRIPTS).map(
    (file) => JSON.parse(readFileSync(join(TRANSCRIPTS, file), "utf8")) as Transcript,
  );

  /** The outer mux's routes, answered before the API mux sees the request (routes.ts). */
  function isOuterRoute(method: string, path: string): boolean {
    if (path === "/healthz") return method === "GET" || method === "HEAD";
    return method === "POST" && ["/auth/session", "/auth/refresh", "/auth/revoke"].includes(path);
  }

  test("routes every captured request as the real Go server did", () => {
    let checked = 0;
    for (const t of transcripts) {
      const { method, path: url } = t.request;
      const q = url.indexOf("?");
      const escapedPath = q < 0 ? url : url.slice(0, q);
      const rawQuery = q < 0 ? "" : url.slice(q + 1);
      const { status, headers, body } = t.response;
      const cleaned = cleanRequestPath(escapedPath);
      let got: unknown;
      let want: unknown;
      if (cleaned !== escapedPath) {
        got = { kind: "redirect", location: `${cleaned}${rawQuery ? `?${rawQuery}` : ""}` };
        want = { kind: status === 307 ? "redirect" : `status ${status}`, location: headers["location"] };
      } else if (isOuterRoute(method, escapedPath)) {
        continue;
      } else {
        const result = muxRoute(API_ROUTES, method, escapedPath, rawQuery);
        got = result.kind === "route" ? { kind: "route" } : result;
        if (status === 307) want = { kind: "redirect", location: headers["location"] };
        else if (status === 405) want = { kind: "notAllowed", allow: headers["allow"] };
        else if (status === 404 && body === "404 page not found\n") want = { kind: "notFound" };
        // Any other answer came from a handler (or its bearer middleware): the mux found a route.
        else want = { kind: "route" };
      }
      expect({ name: t.name, verdict: got }).toEqual({ name: t.name, verdict: want });
      checked++;
    }
    // 119 captures, of which the outer mux answers the /auth/* and /healthz ones.
    expect(checked).toBeGreaterThan(90);
    const mux307 = transcripts.filter((t) => t.response.status === 307).length;
    const mux405 = transcripts.filter((t) => t.response.status === 405).length;
    expect([mux307, mux405]).toEqual([5, 6]);
  });

  test("the handlers behind the table: wildcard values reach them percent-decoded and untrimmed", () => {
    const at = (method: string, path: string) => {
      const result = muxRoute<Handler>(API_ROUTES, method, path, "");
      return result.kind === "route" ? { handler: result.route.handler.name, value: result.value } : result;
    };
    expect(at("GET", "/secrets/cloudflare%2Fdns-token")).toEqual({
      handler: "getSecret",
      value: "cloudflare/dns-token",
    });
    expect(at("GET", "/credentials/generic/app/config/")).toEqual({
      handler: "vendGeneric",
      value: "app/config/",
    });
    expect(at("GET", "/metadata")).toEqual({ handler: "listSecrets", value: "" });
    expect(at("GET", "/metadata/")).toEqual({ handler: "getSecretMetadata", value: "" });
    expect(at("GET", "/credentials/llm/")).toEqual({ kind: "notFound" });
    expect(at("POST", "/secrets")).toEqual({ kind: "redirect", location: "/secrets/" });
  });

  // Wire §1.2: the refresh route is the vend handler behind an inner wildcard.
  test("POST /credentials/llm/{provider}/refresh reaches the vend handler (wire §1.2)", () => {
    const result = muxRoute<Handler>(API_ROUTES, "POST", "/credentials/llm/openai/refresh", "");
    expect(
      result.kind === "route" ? { handler: result.route.handler.name, value: result.value } : result,
    ).toEqual({ handler: "vendLlm", value: "openai" });
  });
});

describe("inner wildcards", () => {
  const routes = [route("POST", "/credentials/llm/{provider}/refresh", "refresh")];
  const at = (path: string) => {
    const result = muxRoute(routes, "POST", path, "");
    return result.kind === "route" ? result.value : result.kind;
  };

  test("match one non-empty segment and hand its decoded value to the handler", () => {
    expect(at("/credentials/llm/openai/refresh")).toBe("openai");
    expect(at("/credentials/llm/open%61i/refresh")).toBe("openai");
    expect(at("/credentials/llm//refresh")).toBe("notFound");
    expect(at("/credentials/llm/openai/refresh/x")).toBe("notFound");
    expect(at("/credentials/llm/refresh")).toBe("notFound");
  });

  test("a pattern with two wildcards is refused when the table is built", () => {
    expect(() => route("GET", "/a/{x}/{y}", "h")).toThrow("at most one wildcard");
  });
});
