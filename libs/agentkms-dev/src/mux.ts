// Go's net/http ServeMux (Go 1.22 patterns) as AgentKMS uses it: path cleaning, `METHOD /a/{x}` and
// `/a/{x...}` patterns, the 307 to the slash-terminated path, 404, and 405 with an Allow header.
//
// Go ranks overlapping patterns by specificity; this emulation takes the first route in table order
// that matches. The two agree as long as no two routes of one method match the same path, which the
// route table's test checks (test/mux.test.ts).

/** Go's path.Clean. */
export function cleanGoPath(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  const out: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
    } else out.push(segment);
  }
  const joined = out.join("/");
  if (rooted) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/** net/http's cleanPath: rooted, cleaned, trailing slash kept. */
export function cleanRequestPath(path: string): string {
  if (path === "") return "/";
  const rooted = path.startsWith("/") ? path : `/${path}`;
  let cleaned = cleanGoPath(rooted);
  if (rooted.endsWith("/") && cleaned !== "/") cleaned += "/";
  return cleaned;
}

/**
 * One registered pattern: segments that are literals or (null) a `{name}` wildcard, then at most one
 * trailing wildcard. A route has at most one wildcard in all: its value is what the handler gets.
 */
export interface Route<H> {
  method: string;
  literals: (string | null)[];
  wildcard: "none" | "single" | "multi";
  handler: H;
}

/**
 * A route for a Go pattern such as `/credentials/llm/{provider}`, `/secrets/{path...}` or
 * `/credentials/llm/{provider}/refresh`.
 */
export function route<H>(method: string, pattern: string, handler: H): Route<H> {
  const segments = pattern.slice(1).split("/");
  const last = segments[segments.length - 1] ?? "";
  const wildcard = last.endsWith("...}") ? "multi" : last.startsWith("{") ? "single" : "none";
  const literals = (wildcard === "none" ? segments : segments.slice(0, -1)).map((segment) =>
    segment.startsWith("{") ? null : segment,
  );
  if (literals.filter((segment) => segment === null).length + (wildcard === "none" ? 0 : 1) > 1)
    throw new Error(`mux: ${pattern}: at most one wildcard per pattern`);
  return { method, literals, wildcard, handler };
}

function unescapePath(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** The wildcard value (percent-decoded) when `escapedPath` matches the route's pattern, else null. */
function matchPattern<H>(r: Route<H>, escapedPath: string): string | null {
  const segments = escapedPath.slice(1).split("/");
  let inner = "";
  for (let i = 0; i < r.literals.length; i++) {
    const segment = segments[i];
    if (segment === undefined) return null;
    const literal = r.literals[i];
    const unescaped = unescapePath(segment);
    if (literal === null) {
      // An inner {name} matches one non-empty segment, as in Go.
      if (segment === "" || unescaped === null) return null;
      inner = unescaped;
    } else if (unescaped !== literal) return null;
  }
  const rest = segments.slice(r.literals.length);
  if (r.wildcard === "none") return rest.length === 0 ? inner : null;
  if (r.wildcard === "single") {
    if (rest.length !== 1 || rest[0] === "") return null;
    return unescapePath(rest[0] as string);
  }
  if (rest.length === 0) return null;
  return unescapePath(rest.join("/"));
}

/** Go's exactMatch: a multi wildcard only matches "exactly" when it captured nothing. */
function isExactMatch<H>(r: Route<H>, escapedPath: string): boolean {
  if (r.wildcard !== "multi") return true;
  if (!escapedPath.endsWith("/")) return false;
  return r.literals.length + 1 === escapedPath.split("/").length - 1;
}

/** A GET pattern also serves HEAD, as in Go. */
function methodMatches<H>(r: Route<H>, method: string): boolean {
  return r.method === method || (r.method === "GET" && method === "HEAD");
}

export type MuxResult<H> =
  | { kind: "route"; route: Route<H>; value: string }
  | { kind: "redirect"; location: string }
  | { kind: "notAllowed"; allow: string }
  | { kind: "notFound" };

function findRoute<H>(
  routes: Route<H>[],
  method: string,
  path: string,
): { route: Route<H>; value: string } | null {
  for (const r of routes) {
    if (!methodMatches(r, method)) continue;
    const value = matchPattern(r, path);
    if (value !== null) return { route: r, value };
  }
  return null;
}

/**
 * Routes an already-clean escaped path: the matching route with its wildcard value; a 307 to
 * `path/` when only that matches exactly; else 405 when another method's pattern matches (Allow
 * lists them sorted, HEAD beside GET); else 404.
 */
export function muxRoute<H>(
  routes: Route<H>[],
  method: string,
  path: string,
  rawQuery: string,
): MuxResult<H> {
  const found = findRoute(routes, method, path);
  if (!(found && isExactMatch(found.route, path)) && !path.endsWith("/")) {
    const withSlash = findRoute(routes, method, `${path}/`);
    if (withSlash && isExactMatch(withSlash.route, `${path}/`)) {
      return { kind: "redirect", location: `${path}/${rawQuery ? `?${rawQuery}` : ""}` };
    }
  }
  if (found) return { kind: "route", ...found };
  const methods = new Set<string>();
  for (const r of routes) {
    if (matchPattern(r, path) !== null || (!path.endsWith("/") && matchPattern(r, `${path}/`) !== null)) {
      methods.add(r.method);
      if (r.method === "GET") methods.add("HEAD");
    }
  }
  if (methods.size > 0) return { kind: "notAllowed", allow: [...methods].sort().join(", ") };
  return { kind: "notFound" };
}
