// biome-ignore-all lint/suspicious/noTemplateCurlyInString: references are spelled ${kms:…} literally
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { buildCorpus } from "../../../test/fixtures/secret-corpus.ts";
import { parseDotenv, planImport, replaceValue, secretName, serviceName } from "../src/index.ts";

describe("parseDotenv", () => {
  test("assignments, quotes, comments and other lines", () => {
    const lines = parseDotenv(
      '# c\nexport A=1\nB="two words" # note\nC=\'x\'\nD=bare # trailing\nE="open\n\n',
    );
    expect(
      lines.map((line) => (line.kind === "assignment" ? `${line.name}=${line.value}` : `#${line.raw}`)),
    ).toEqual(["## c", "A=1", "B=two words", "C=x", "D=bare", '#E="open', "#"]);
  });

  test("replaceValue keeps quotes and comments", () => {
    const [line] = parseDotenv('B="two words" # note');
    if (line?.kind !== "assignment") throw new Error("not an assignment");
    expect(replaceValue(line, "X")).toBe('B="X" # note');
  });

  test("any line survives a parse unchanged in raw (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.string().filter((s) => !s.includes("\n"))), (lines) => {
        const parsed = parseDotenv(lines.map((line) => `${line}\n`).join(""));
        expect(parsed.map((line) => line.raw)).toEqual(lines);
      }),
    );
  });
});

describe("planImport", () => {
  const corpus = buildCorpus();
  const text = corpus.files[".env"] ?? "";

  test("secrets move to service/name references; other lines stay", async () => {
    const plan = await planImport(text, "myapp");
    expect(plan.secrets.map((entry) => entry.path)).toEqual([
      "myapp/aws-access-key-id",
      "myapp/aws-secret-access-key",
      "myapp/github-token",
      "myapp/gitlab-token",
      "myapp/anthropic-api-key",
      "myapp/openai-api-key",
      "myapp/slack-webhook-url",
    ]);
    expect(plan.kept).toEqual(["PORT", "DB_HOST"]);
    expect(plan.template).toContain(
      "# app settings\nPORT=8080\nAWS_ACCESS_KEY_ID=${kms:myapp/aws-access-key-id}\n",
    );
    for (const entry of plan.secrets) expect(plan.template.includes(entry.value)).toBe(false);
  });

  test("a secret by name alone counts (DB_PASSWORD=changeme); references and empty values stay", async () => {
    const plan = await planImport("export DB_PASSWORD=changeme\nTOKEN=${kms:a/b}\nEMPTY=\nHOST=db\n", "s");
    expect(plan.secrets.map((entry) => [entry.path, entry.rule])).toEqual([
      ["s/db-password", "kpm/name-word"],
    ]);
    expect(plan.template).toBe(
      "export DB_PASSWORD=${kms:s/db-password}\nTOKEN=${kms:a/b}\nEMPTY=\nHOST=db\n",
    );
  });

  test("planning the template again changes nothing (idempotent)", async () => {
    const plan = await planImport(text, "myapp");
    const again = await planImport(plan.template, "myapp");
    expect(again.secrets).toEqual([]);
    expect(again.template).toBe(plan.template);
    expect((await planImport("", "x")).template).toBe("");
  });

  test("names", () => {
    expect(serviceName("My App!")).toBe("my-app");
    expect(secretName("OPENAI_API_KEY")).toBe("openai-api-key");
  });
});

describe("inline comments", () => {
  test("parseDotenv keeps the comment apart from the value", () => {
    const [bare, quoted, none] = parseDotenv('A=1 # web\nB="x y" #q\nC=2   \n');
    expect(bare).toMatchObject({ value: "1", comment: "web", withoutComment: "A=1" });
    expect(quoted).toMatchObject({ value: "x y", comment: "q", withoutComment: 'B="x y"' });
    expect(none).toMatchObject({ value: "2", comment: "" });
  });

  test("the template moves inline comments above their line (a template has none)", async () => {
    const plan = await planImport('PORT=8080 # web\nDB_PASSWORD="changeme" # rotate\nX=1   \nY=2 #\n', "s");
    expect(plan.template).toBe(
      "# web\nPORT=8080\n# rotate\nDB_PASSWORD=${kms:s/db-password}\nX=1   \n#\nY=2\n",
    );
  });
});

describe("planImport with a scan report's lines", () => {
  test("only the named lines are imported; other secrets stay", async () => {
    const plan = await planImport("A_TOKEN=one-secret-value\nB_TOKEN=two-secret-value\n", "s", new Set([2]));
    expect(plan.secrets.map((entry) => entry.name)).toEqual(["B_TOKEN"]);
    expect(plan.kept).toEqual(["A_TOKEN"]);
  });
});
