// The `kpm list` table (spec §11.2) rendered with a fixed clock: exact columns, character-based
// padding and truncation, the DELETED/EXPIRED/EXPIRES markers at their boundaries, ordering and
// the footer; plus properties over generated metadata.
import { describe, expect, test } from "bun:test";
import type { SecretMetadata } from "@kpm/agentkms-client";
import fc from "fast-check";
import { charLength, padChars, truncateChars } from "../src/cli/text.ts";
import { renderTable } from "../src/commands/list.ts";

const NOW = Date.parse("2026-06-01T12:00:00Z");
const HEADER = `SERVICE/NAME${" ".repeat(19)}TYPE${" ".repeat(11)}TAGS${" ".repeat(15)}DESCRIPTION${" ".repeat(20)}VERSION`;
const DAY_MS = 86_400_000;

function meta(path: string, fields: Partial<SecretMetadata> = {}): SecretMetadata {
  const slash = path.indexOf("/");
  return { path, service: path.slice(0, slash), name: path.slice(slash + 1), version: 1, ...fields };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The extra column of a single-secret table. */
function extraFor(fields: Partial<SecretMetadata>): string {
  const line = renderTable([meta("svc/x", fields)], NOW).split("\n")[2] ?? "";
  return line.replace(/^.* v1 ?/, "");
}

describe("layout", () => {
  test("a full table: services sorted, names sorted, exact padding, footer", () => {
    const table = renderTable(
      [
        meta("zeta/b", { type: "jwt", version: 3 }),
        meta("alpha/token", {
          type: "api-token",
          tags: ["dns", "ci"],
          description: "Cloudflare DNS edit token",
          version: 2,
        }),
        meta("zeta/a"),
      ],
      NOW,
    );
    expect(table).toBe(
      [
        HEADER,
        "alpha/",
        '  token                        api-token      [dns, ci]          "Cloudflare DNS edit token"    v2',
        "",
        "zeta/",
        "  a                            generic                                                          v1",
        "  b                            jwt                                                              v3",
        "",
        "3 secrets across 2 services",
        "",
      ].join("\n"),
    );
  });

  test("columns are padded to 28, 14, 18 and 30 characters, separated by one space", () => {
    const line = renderTable([meta("s/n", { type: "t", tags: ["a"], description: "d" })], NOW).split("\n")[2];
    expect(line).toBe(`  ${"n".padEnd(28)} ${"t".padEnd(14)} ${"[a]".padEnd(18)} ${'"d"'.padEnd(30)} v1`);
  });

  test("long values are not cut except the description", () => {
    const name = "n".repeat(40);
    const type = "connection-string";
    const line = renderTable([meta(`s/${name}`, { type })], NOW).split("\n")[2] ?? "";
    expect(line.startsWith(`  ${name} ${type} `)).toBe(true);
  });

  test("a description of 30 characters is kept; 31 become 27 + ...", () => {
    const thirty = "x".repeat(30);
    const table30 = renderTable([meta("s/n", { description: thirty })], NOW);
    expect(table30).toContain(`"${thirty}" v1`);
    const table31 = renderTable([meta("s/n", { description: `${"y".repeat(27)}zzzz` })], NOW);
    expect(table31).toContain(`"${"y".repeat(27)}..." v1`);
  });

  test("padding and truncation count characters, not UTF-16 units or bytes", () => {
    // 30 characters (60 UTF-16 units, 124 bytes) fit; 31 are cut to 27 + "...".
    const fits = `${"🔑".repeat(28)}é€`;
    const line = renderTable([meta("s/ключ", { description: fits })], NOW).split("\n")[2] ?? "";
    expect(line).toBe(`  ключ${" ".repeat(24)} generic${" ".repeat(7)} ${" ".repeat(18)} "${fits}" v1`);
    const cut = renderTable([meta("s/k", { description: `${"🔑".repeat(29)}é€` })], NOW);
    expect(cut).toContain(`"${"🔑".repeat(27)}..." v1`);
  });

  test("every line is free of trailing whitespace", () => {
    const table = renderTable([meta("s/a"), meta("s/b", { tags: ["x"] })], NOW);
    for (const line of table.split("\n")) expect(line).toBe(line.trimEnd());
  });

  test("a record without a name sorts first with an empty name column", () => {
    const table = renderTable([meta("s/b"), { path: "s", service: "s", version: 4 }], NOW);
    expect(table.split("\n").slice(0, 4)).toEqual([
      HEADER,
      "s/",
      `  ${" ".repeat(28)} generic${" ".repeat(57)} v4`,
      `  b${" ".repeat(27)} generic${" ".repeat(57)} v1`,
    ]);
  });

  test("the column titles start where the columns do: 31, 46, 65 and the version at 96", () => {
    const [header = "", , row = ""] = renderTable(
      [meta("s/n", { type: "jwt", tags: ["a"], description: "d" })],
      NOW,
    ).split("\n");
    for (const [title, column, value] of [
      ["TYPE", 31, "jwt"],
      ["TAGS", 46, "[a]"],
      ["DESCRIPTION", 65, '"d"'],
      ["VERSION", 96, "v1"],
    ] as const) {
      expect([title, header.indexOf(title)]).toEqual([title, column]);
      expect([value, row.indexOf(value, 3)]).toEqual([value, column]);
    }
  });

  test("the footer counts in correct English: 1 secret across 1 service", () => {
    expect(renderTable([meta("s/a")], NOW)).toEndWith("\n\n1 secret across 1 service\n");
    expect(renderTable([meta("s/a"), meta("s/b")], NOW)).toEndWith("\n2 secrets across 1 service\n");
    expect(renderTable([meta("s/a"), meta("t/b")], NOW)).toEndWith("\n2 secrets across 2 services\n");
  });

  test("services sort by code point (uppercase before lowercase)", () => {
    const table = renderTable([meta("b/x"), meta("B/x"), meta("a/x")], NOW);
    expect(table.split("\n").filter((line) => line.endsWith("/"))).toEqual(["B/", "a/", "b/"]);
  });
});

describe("the extra column", () => {
  test("deleted wins over expired", () => {
    expect(extraFor({ deleted: true, expires: "2020-01-01T00:00:00Z" })).toBe("DELETED");
  });

  test("expired at or before now", () => {
    expect(extraFor({ expires: iso(NOW) })).toBe("EXPIRED");
    expect(extraFor({ expires: iso(NOW - 1000) })).toBe("EXPIRED");
  });

  test("whole days, rounded down, while less than 30 days remain", () => {
    expect(extraFor({ expires: iso(NOW + 1000) })).toBe("EXPIRES 0d");
    expect(extraFor({ expires: iso(NOW + DAY_MS) })).toBe("EXPIRES 1d");
    expect(extraFor({ expires: iso(NOW + 30 * DAY_MS - 1) })).toBe("EXPIRES 29d");
    expect(extraFor({ expires: iso(NOW + 30 * DAY_MS) })).toBe("");
  });

  test("an RFC 3339 offset is honoured", () => {
    // 2026-06-03T00:00:00+10:00 is 2026-06-02T14:00Z: 1 day and 2 hours away.
    expect(extraFor({ expires: "2026-06-03T00:00:00+10:00" })).toBe("EXPIRES 1d");
  });

  test("no expiry or an unparsable one adds nothing", () => {
    expect(extraFor({})).toBe("");
    expect(extraFor({ expires: "someday" })).toBe("");
  });
});

describe("text helpers", () => {
  test("charLength counts code points", () => {
    expect(charLength("a🔑é")).toBe(3);
    expect(charLength("")).toBe(0);
  });

  test("padChars never shortens", () => {
    expect(padChars("abcdef", 3)).toBe("abcdef");
    expect(padChars("🔑", 3)).toBe("🔑  ");
  });

  test("truncateChars keeps max characters, else max - 3 plus ...", () => {
    expect(truncateChars("abcde", 5)).toBe("abcde");
    expect(truncateChars("abcdef", 5)).toBe("ab...");
  });
});

describe("text helper properties", () => {
  /** Any UTF-16 sequence: paired and lone surrogates included. */
  const utf16 = fc.oneof(
    fc
      .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 })
      .map((units) => String.fromCharCode(...units)),
    fc.string({ unit: "binary", maxLength: 40 }),
  );

  test("charLength equals the number of code points the string iterator yields", () => {
    fc.assert(
      fc.property(utf16, (text) => {
        expect(charLength(text)).toBe([...text].length);
      }),
    );
  });

  test("truncateChars agrees with a per-code-point reference", () => {
    fc.assert(
      fc.property(utf16, fc.integer({ min: 3, max: 40 }), (text, max) => {
        const chars = [...text];
        const expected = chars.length > max ? `${chars.slice(0, max - 3).join("")}...` : text;
        expect(truncateChars(text, max)).toBe(expected);
      }),
    );
  });
});

describe("properties", () => {
  const segment = fc.stringMatching(/^[a-z0-9-]{1,12}$/);
  const record = fc.record({
    service: segment,
    name: segment,
    type: fc.option(fc.constantFrom("jwt", "api-token", "ssh-key"), { nil: undefined }),
    tags: fc.option(fc.array(segment, { maxLength: 3 }), { nil: undefined }),
    description: fc.option(fc.string({ unit: "grapheme", maxLength: 50 }), { nil: undefined }),
    version: fc.integer({ min: 1, max: 999 }),
    deleted: fc.boolean(),
  });

  test("one row per secret, one header per service, and a matching footer", () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 20 }), (records) => {
        const secrets = records.map((r) => ({ ...r, path: `${r.service}/${r.name}` }));
        const services = new Set(secrets.map((s) => s.service));
        const lines = renderTable(secrets, NOW).split("\n");
        expect(lines.at(-1)).toBe("");
        const noun = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
        expect(lines.at(-2)).toBe(
          `${noun(secrets.length, "secret")} across ${noun(services.size, "service")}`,
        );
        expect(lines[0]).toBe(HEADER);
        expect(lines.filter((line) => /^[^ ].*\/$/.test(line))).toHaveLength(services.size);
        expect(lines.filter((line) => line.startsWith("  "))).toHaveLength(secrets.length);
      }),
    );
  });

  test("rows keep the fixed columns: type at 31, tags at 46, description at 65", () => {
    fc.assert(
      fc.property(record, (r) => {
        const secret = { ...r, path: `${r.service}/${r.name}`, deleted: false };
        const row = renderTable([secret], NOW).split("\n")[2] ?? "";
        const chars = [...row];
        expect(chars.slice(2, 2 + charLength(r.name)).join("")).toBe(r.name);
        expect(
          chars
            .slice(31)
            .join("")
            .startsWith(r.type ?? "generic"),
        ).toBe(true);
        const tags = r.tags && r.tags.length > 0 ? `[${r.tags.join(", ")}]` : "";
        if (charLength(tags) <= 18) expect(chars.slice(46).join("").startsWith(tags)).toBe(true);
        if (r.description && charLength(tags) <= 18) {
          const shown =
            charLength(r.description) > 30 ? `${[...r.description].slice(0, 27).join("")}...` : r.description;
          expect(chars.slice(65).join("").startsWith(`"${shown}"`)).toBe(true);
        }
        expect(row).toBe(row.trimEnd());
      }),
    );
  });
});

test("padChars pads to the width in code points, never shortening", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "binary", maxLength: 30 }),
      fc.integer({ min: 0, max: 40 }),
      (text, width) => {
        const padded = padChars(text, width);
        expect(padded.startsWith(text)).toBe(true);
        expect(charLength(padded)).toBe(Math.max(width, charLength(text)));
        expect(padded.slice(text.length).trim()).toBe("");
      },
    ),
  );
});
