// @kpm/trust on real files in a temp dir: what `kpm trust` records, how the checker judges bytes,
// the store's modes and atomic writes, and every way a store can be unusable.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: templates spell ${kms:…} literally
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  listTrusted,
  projectFiles,
  readRegularFile,
  readTrustStore,
  sha256Hex,
  TrustChecker,
  TrustError,
  trustDirectory,
  trustFiles,
  trustKey,
  untrustDirectory,
  writeTrustStore,
} from "../src/index.ts";

let root: string;
let store: string;
let project: string;

function write(path: string, text: string): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

const bytesOf = (path: string) => new Uint8Array(readFileSync(path));

beforeEach(() => {
  root = realpathSync(mkdtempSync("/tmp/kpm-trust-"));
  store = join(root, "data", "kpm", "trust.json");
  project = join(root, "p");
  mkdirSync(project);
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe("sha256Hex", () => {
  test("is the SHA-256 of the bytes, as node:crypto computes it", () => {
    for (const text of ["", "A=1\n", "ü\r\n".repeat(1000)]) {
      const bytes = new TextEncoder().encode(text);
      expect(sha256Hex(bytes)).toBe(createHash("sha256").update(bytes).digest("hex"));
    }
  });
});

describe("trustDirectory", () => {
  test("records every file under .kpm/ (templates at any depth, allow-list, profile) and the extras", () => {
    const files = [
      write(join(project, ".kpm/templates/claude.template"), "A=${kms:llm/anthropic}\n"),
      write(join(project, ".kpm/templates/team/db/prod.template"), "B=1\n"),
      write(join(project, ".kpm/templates/notes.txt"), "n\n"),
      write(join(project, ".kpm/secure-allowlist.yaml"), "claude: [A]\n"),
      write(join(project, ".kpm/config.yaml"), "profile:\n  env: dev\n"),
    ];
    const extra = write(join(project, ".env.template"), "C=2\n");
    write(join(project, ".kpm/other.yaml"), "not a kpm file\n");
    const outcome = trustDirectory(store, project, { extraFiles: [extra, join(project, "absent")] });
    expect(outcome.problems).toEqual([]);
    expect(outcome.trusted.map((file) => file.path).sort()).toEqual([...files, extra].sort());
    const records = readTrustStore(store);
    for (const file of [...files, extra]) expect(records.get(file)).toBe(sha256Hex(bytesOf(file)));
    expect(records.size).toBe(6);
  });

  test("skip leaves files out (the user's own config dir)", () => {
    write(join(project, ".kpm/templates/a.template"), "A=1\n");
    const kept = write(join(project, ".kpm/config.yaml"), "x: 1\n");
    const outcome = trustDirectory(store, project, { skip: (path) => path.endsWith(".template") });
    expect(outcome.trusted.map((file) => file.path)).toEqual([kept]);
  });

  test("a project with no files records nothing and creates no store", () => {
    expect(trustDirectory(store, project)).toEqual({ trusted: [], problems: [] });
    expect(existsSync(store)).toBe(false);
  });

  test("a FIFO or a file over 1 MiB is reported, never read whole, never trusted", () => {
    write(join(project, ".kpm/templates/big.template"), "x".repeat(1024 * 1024 + 1));
    Bun.spawnSync(["mkfifo", join(project, ".kpm/config.yaml")]);
    const outcome = trustDirectory(store, project, { extraFiles: [join(project, ".kpm/config.yaml")] });
    expect(outcome.trusted).toEqual([]);
    expect(outcome.problems.sort()).toEqual([
      `${join(project, ".kpm/config.yaml")}: not a regular file`,
      `${join(project, ".kpm/templates/big.template")}: file too large (max 1 MiB)`,
    ]);
  });

  test("a dangling link is skipped and a templates path that is a file holds nothing", () => {
    const kept = write(join(project, ".kpm/templates/a.template"), "A=1\n");
    symlinkSync(join(project, "nowhere"), join(project, ".kpm/templates/dangling.template"));
    expect(projectFiles(project)).toEqual({ files: [kept], problems: [] });
    const other = join(root, "other");
    write(join(other, ".kpm/templates"), "a file, not a directory\n");
    expect(projectFiles(other)).toEqual({ files: [], problems: [] });
  });

  test("a directory link loop inside .kpm/templates ends", () => {
    write(join(project, ".kpm/templates/a.template"), "A=1\n");
    symlinkSync(join(project, ".kpm/templates"), join(project, ".kpm/templates/loop"));
    const found = projectFiles(project).files;
    expect(found).toContain(join(project, ".kpm/templates/a.template"));
    expect(found.length).toBeLessThan(4);
  });
});

describe("readRegularFile", () => {
  test("a link loop or a failing read is a problem in the bounded reader's words, not an exception", () => {
    const loop = join(root, "loop");
    symlinkSync(loop, loop);
    expect(readRegularFile(loop, 10)).toEqual({
      kind: "problem",
      detail: "too many levels of symbolic links",
    });
    // A regular file by fstat whose first page is unmapped: read(2) fails with EIO.
    expect(readRegularFile("/proc/self/mem", 10)).toEqual({ kind: "problem", detail: "input/output error" });
  });
});

describe("trustKey", () => {
  test("a project directory that does not exist keys by its resolved path", () => {
    const gone = join(root, "gone", "..", "gone2");
    expect(trustKey(gone, join(gone, ".kpm/config.yaml"))).toBe(join(root, "gone2/.kpm/config.yaml"));
  });
});

describe("TrustChecker", () => {
  test("accepts exactly the trusted bytes; changed bytes and unrecorded files are untrusted", () => {
    const file = write(join(project, ".kpm/templates/claude.template"), "A=${kms:llm/anthropic}\n");
    const checker = () => new TrustChecker(store);
    expect(checker().isTrusted(project, file, bytesOf(file))).toBe(false);
    trustDirectory(store, project);
    expect(checker().isTrusted(project, file, bytesOf(file))).toBe(true);
    writeFileSync(file, "A=${kms:llm/anthropic}\nB=${kms:kv/db/prod#password}\n");
    expect(checker().isTrusted(project, file, bytesOf(file))).toBe(false);
    const other = write(join(project, ".kpm/templates/other.template"), "A=${kms:llm/anthropic}\n");
    expect(checker().isTrusted(project, other, bytesOf(other))).toBe(false);
  });

  test("judges the bytes it is given, not what is on disk now", () => {
    const file = write(join(project, ".kpm/config.yaml"), "profile:\n  env: dev\n");
    trustDirectory(store, project);
    const reviewed = bytesOf(file);
    writeFileSync(file, "profile:\n  env: prod\n");
    const checker = new TrustChecker(store);
    expect(checker.isTrusted(project, file, reviewed)).toBe(true);
    expect(checker.isTrusted(project, file, bytesOf(file))).toBe(false);
  });

  test("reads the store on the first question only", () => {
    write(store, "{ not json");
    const checker = new TrustChecker(store);
    expect(() => checker.isTrusted(project, join(project, ".kpm/config.yaml"), new Uint8Array())).toThrow(
      TrustError,
    );
  });

  test("a project reached through a symlinked path is the same project", () => {
    const file = write(join(project, ".kpm/templates/a.template"), "A=1\n");
    const link = join(root, "link");
    symlinkSync(project, link);
    trustDirectory(store, link);
    expect(readTrustStore(store).has(file)).toBe(true);
    expect(new TrustChecker(store).isTrusted(project, file, bytesOf(file))).toBe(true);
    expect(
      new TrustChecker(store).isTrusted(`${link}/.`, join(link, ".kpm/templates/a.template"), bytesOf(file)),
    ).toBe(true);
  });

  test("a cloned repo cannot borrow another project's trust through a symlinked file or .kpm", () => {
    const good = join(root, "good");
    const trusted = write(
      join(good, ".kpm/templates/everything.template"),
      "ALL=${kms:kv/db/prod#password}\n",
    );
    write(join(good, ".kpm/secure-allowlist.yaml"), 'claude: ["*"]\n');
    trustDirectory(store, good);
    const evil = join(root, "evil");
    mkdirSync(join(evil, ".kpm/templates"), { recursive: true });
    const linked = join(evil, ".kpm/templates/claude.template");
    symlinkSync(trusted, linked);
    const other = join(root, "other");
    mkdirSync(other);
    symlinkSync(join(good, ".kpm"), join(other, ".kpm"));
    const checker = new TrustChecker(store);
    // The content is byte for byte what the user trusted: keyed by the file's real path, it would pass.
    expect(checker.isTrusted(good, realpathSync(linked), bytesOf(linked))).toBe(true);
    // Keyed by where the project put it, it does not.
    expect(checker.isTrusted(evil, linked, bytesOf(linked))).toBe(false);
    const viaDir = join(other, ".kpm/secure-allowlist.yaml");
    expect(checker.isTrusted(other, viaDir, bytesOf(viaDir))).toBe(false);
  });
});

describe("the store file", () => {
  test("is created 0600 in a 0700 directory whatever the umask, atomically, and sorted", () => {
    const previous = process.umask(0);
    try {
      write(join(project, ".kpm/templates/b.template"), "B=1\n");
      write(join(project, ".kpm/templates/a.template"), "A=1\n");
      trustDirectory(store, project);
    } finally {
      process.umask(previous);
    }
    expect(statSync(store).mode & 0o777).toBe(0o600);
    expect(statSync(join(store, "..")).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(store, ".."))).toEqual(["trust.json"]);
    const parsed = JSON.parse(readFileSync(store, "utf8")) as {
      version: number;
      files: Record<string, string>;
    };
    expect(parsed.version).toBe(1);
    expect(Object.keys(parsed.files)).toEqual([
      join(project, ".kpm/templates/a.template"),
      join(project, ".kpm/templates/b.template"),
    ]);
  });

  test("an existing data dir keeps its mode", () => {
    mkdirSync(join(store, ".."), { recursive: true, mode: 0o755 });
    chmodSync(join(store, ".."), 0o755);
    writeTrustStore(store, new Map());
    expect(statSync(join(store, "..")).mode & 0o777).toBe(0o755);
  });

  test("a write that fails leaves no temporary file and says what failed", () => {
    write(join(root, "data", "kpm"), "a file where the data dir should be");
    const bad = join(root, "data", "kpm", "trust.json");
    expect(() => writeTrustStore(bad, new Map())).toThrow(
      `kpm: cannot write trust store ${bad}: file exists`,
    );
    expect(readdirSync(join(root, "data"))).toEqual(["kpm"]);
  });

  const corruptCases: Array<[string, string, string]> = [
    ["not JSON", "{ nope", "not valid UTF-8 JSON"],
    ["not UTF-8", "\xff\xfe", "not valid UTF-8 JSON"],
    ["another version", '{"version":2,"files":{}}', 'expected {"version": 1, "files": {…}}'],
    ["files not a map", '{"version":1,"files":[]}', 'expected {"version": 1, "files": {…}}'],
    ["a relative path", '{"version":1,"files":{"p/x":"00"}}', "a file name is not an absolute path"],
    ["a bad hash", '{"version":1,"files":{"/p/x":"abc"}}', "the hash of /p/x is not a SHA-256 hex digest"],
    ["an upper-case hash", `{"version":1,"files":{"/p/x":"${"A".repeat(64)}"}}`, "the hash of /p/x"],
  ];
  for (const [name, text, detail] of corruptCases) {
    test(`${name}: one line naming the store, and kpm trust does not overwrite it`, () => {
      mkdirSync(join(store, ".."), { recursive: true });
      writeFileSync(store, Buffer.from(text, "latin1"), { mode: 0o600 });
      write(join(project, ".kpm/config.yaml"), "x: 1\n");
      for (const attempt of [
        () => readTrustStore(store),
        () => trustDirectory(store, project),
        () => untrustDirectory(store, project),
        () => listTrusted(store),
      ]) {
        let error: unknown;
        try {
          attempt();
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(TrustError);
        const message = (error as TrustError).message;
        expect(message).toStartWith(`kpm: trust store ${store} is unusable (`);
        expect(message).toContain(detail);
        expect(message).not.toContain("\n");
      }
      expect(readFileSync(store, "latin1")).toBe(text);
    });
  }

  test("a store that is a FIFO is refused without blocking", () => {
    mkdirSync(join(store, ".."), { recursive: true });
    Bun.spawnSync(["mkfifo", store]);
    expect(() => readTrustStore(store)).toThrow("is unusable (not a regular file)");
  });

  test("a store others can write is refused: they could make kpm use their files", () => {
    writeTrustStore(store, new Map([[join(project, "x"), "0".repeat(64)]]));
    chmodSync(store, 0o620);
    expect(() => readTrustStore(store)).toThrow(
      `kpm: trust store ${store} is writable by group or others (mode 0620); run: chmod 600 ${store}`,
    );
    chmodSync(store, 0o600);
    expect(readTrustStore(store).size).toBe(1);
  });
});

describe("untrustDirectory and listTrusted", () => {
  test("untrust forgets the directory and everything below it, and nothing else", () => {
    const nested = join(project, "sub");
    const a = write(join(project, ".kpm/config.yaml"), "a: 1\n");
    const b = write(join(nested, ".kpm/config.yaml"), "b: 1\n");
    const sibling = join(root, "p2");
    const c = write(join(sibling, ".kpm/config.yaml"), "c: 1\n");
    for (const dir of [project, nested, sibling]) trustDirectory(store, dir);
    expect(untrustDirectory(store, project).sort()).toEqual([a, b]);
    expect([...readTrustStore(store).keys()]).toEqual([c]);
    expect(untrustDirectory(store, project)).toEqual([]);
  });

  test("untrust works for a checkout that no longer exists", () => {
    const file = write(join(project, ".kpm/config.yaml"), "a: 1\n");
    trustDirectory(store, project);
    rmSync(project, { recursive: true });
    expect(untrustDirectory(store, project)).toEqual([file]);
  });

  test("list shows each record's hash and whether the file still matches", () => {
    const same = write(join(project, ".kpm/config.yaml"), "a: 1\n");
    const changed = write(join(project, ".kpm/templates/a.template"), "A=1\n");
    const gone = write(join(project, ".kpm/templates/b.template"), "B=1\n");
    trustDirectory(store, project);
    const hashes = readTrustStore(store);
    writeFileSync(changed, "A=2\n");
    rmSync(gone);
    expect(listTrusted(store)).toEqual([
      { path: same, hash: hashes.get(same) ?? "", status: "ok" },
      { path: changed, hash: hashes.get(changed) ?? "", status: "changed" },
      { path: gone, hash: hashes.get(gone) ?? "", status: "missing" },
    ]);
  });

  test("trustFiles records single files under a project (quickstart), keyed like the checker asks", () => {
    const file = write(join(project, ".kpm/templates/.env.template"), "A=1\n");
    const outcome = trustFiles(store, project, [file]);
    expect(outcome.trusted).toEqual([
      { path: file, key: trustKey(project, file), hash: sha256Hex(bytesOf(file)) },
    ]);
    expect(new TrustChecker(store).isTrusted(project, file, bytesOf(file))).toBe(true);
  });
});
