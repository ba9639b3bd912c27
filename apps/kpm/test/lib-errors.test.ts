// The one table from library errors to CLI text (cli/lib-errors.ts), with the real error classes.
// The expectations below are typed `Record<Code, …>`: a library that adds a code breaks
// `bun run check` here and in the table until both word it.
import { describe, expect, test } from "bun:test";
import { AGENTKMS_ERROR_CODES, AgentKmsError, type AgentKmsErrorCode } from "@kpm/agentkms-client";
import { DevError, type DevErrorCode } from "@kpm/agentkms-dev";
import { AllowlistError, type AllowlistErrorCode } from "@kpm/allowlist";
import { BoundedReadError } from "@kpm/bounded-read";
import { SessionError, type SessionErrorCode } from "@kpm/session/client";
import { CodecError, type CodecErrorCode } from "@kpm/strict-codec";
import { TemplateError, type TemplateErrorCode } from "@kpm/template/core";
import { TrustError, type TrustErrorCode } from "@kpm/trust";
import { CliError } from "../src/cli/errors.ts";
import {
  failureLine,
  failureText,
  isLibError,
  libErrorText,
  type Operation,
  toCliError,
} from "../src/cli/lib-errors.ts";

const M = "the message";

/** The CLI line each code prints without an operation, and under each operation that rewords it. */
type Expected = { plain: string } & Partial<Record<Operation, string>>;

const agentKms: Record<AgentKmsErrorCode, Expected> = {
  config: { plain: `error: ${M}`, create_client: `error creating client: ${M}` },
  http: { plain: `error: ${M}`, create_client: `error creating client: ${M}` },
  transport: { plain: `error: ${M}`, create_client: `error creating client: ${M}` },
  decode: { plain: `error: ${M}`, create_client: `error creating client: ${M}` },
  invalid_path: { plain: `error: ${M}`, create_client: `error creating client: ${M}` },
  redirect: { plain: `error: ${M}`, create_client: `error creating client: ${M}` },
  resolve: { plain: `error: ${M}`, create_client: `error creating client: ${M}` },
  missing_key: { plain: M },
  missing_field: { plain: M },
  registry_fallback: { plain: M },
};

const allowlist: Record<AllowlistErrorCode, Expected> = {
  not_found: { plain: M },
  parse: { plain: M },
  untrusted: { plain: M },
  audit_log: { plain: M },
};

const codec: Record<CodecErrorCode, Expected> = {
  invalid_blob: { plain: `error: ${M}` },
  invalid_strict_blob: { plain: `error: ${M}` },
  decrypt_failed: { plain: `error: ${M}` },
  invalid_ref: { plain: `error: ${M}` },
};

const dev: Record<DevErrorCode, Expected> = {
  pki_exists: { plain: `error: ${M}` },
  no_pki: { plain: `error: ${M}` },
  ca_expiring: { plain: `error: ${M}` },
  invalid_cn: { plain: `error: ${M}` },
  store_corrupt: { plain: `error: ${M}` },
  store_locked: { plain: `error: ${M}` },
  not_found: { plain: `error: ${M}` },
  invalid_path: { plain: `error: ${M}` },
  invalid_fields: { plain: `error: ${M}` },
  invalid_value: { plain: `error: ${M}` },
  policy: { plain: `error: ${M}` },
  io: { plain: `error: ${M}` },
  listen: { plain: `error: ${M}` },
  addr_in_use: { plain: `error: ${M}` },
};

const connecting = `error connecting to decrypt socket: ${M}`;
const session: Record<SessionErrorCode, Expected> = {
  runtime_dir: { plain: `error: ${M}`, decrypt_request: connecting },
  runtime_dir_create: { plain: `error: ${M}`, decrypt_request: connecting },
  socket_refused: { plain: `error: ${M}`, decrypt_request: connecting },
  socket_path_too_long: { plain: `error: ${M}`, decrypt_request: connecting },
  sid_taken: { plain: `error: ${M}`, decrypt_request: connecting },
  listener_start: { plain: `error: ${M}`, decrypt_request: connecting },
  no_listener: { plain: `error: ${M}`, decrypt_request: connecting },
  connect: { plain: `error: ${M}`, decrypt_request: connecting },
  send: { plain: `error: ${M}`, decrypt_request: `error sending request: ${M}` },
  read: { plain: `error: ${M}`, decrypt_request: `error reading response: ${M}` },
};

const parsing = `error parsing template: ${M}`;
const template: Record<TemplateErrorCode, Expected> = {
  parse: { plain: `error: ${M}`, load_template: parsing },
  include: { plain: `error: ${M}`, load_template: parsing },
  profile: { plain: `error: ${M}`, load_template: M },
  io: { plain: `error: ${M}`, load_template: parsing },
  config: { plain: `error: ${M}`, load_template: parsing },
  untrusted: { plain: `error: ${M}`, load_template: parsing },
};

const trust: Record<TrustErrorCode, Expected> = {
  corrupt: { plain: M },
  unsafe: { plain: M },
  io: { plain: M },
};

const OPERATIONS: Operation[] = ["create_client", "load_template", "decrypt_request"];

function checkAll<Code extends string>(
  className: string,
  expected: Record<Code, Expected>,
  make: (code: Code) => Error,
): void {
  describe(className, () => {
    for (const code of Object.keys(expected) as Code[]) {
      test(`${code} reads as the CLI prints it`, () => {
        const error = make(code);
        const want = expected[code];
        expect(isLibError(error)).toBe(true);
        expect(libErrorText(error)).toBe(want.plain);
        for (const operation of OPERATIONS)
          expect(libErrorText(error, operation)).toBe(want[operation] ?? want.plain);
        const cli = toCliError(error);
        expect(cli).toBeInstanceOf(CliError);
        expect((cli as CliError).lines).toEqual([want.plain]);
        expect((cli as CliError).exitCode).toBe(1);
      });
    }
  });
}

checkAll("AgentKmsError", agentKms, (code) => new AgentKmsError(code, M));
checkAll("AllowlistError", allowlist, (code) => new AllowlistError(code, M));
checkAll("CodecError", codec, (code) => new CodecError(code, M));
checkAll("DevError", dev, (code) => new DevError(code, M));
checkAll("SessionError", session, (code) => new SessionError(code, M));
checkAll("TemplateError", template, (code) => new TemplateError(code, M));
checkAll("TrustError", trust, (code) => new TrustError(code, M));

describe("the table and the libraries agree", () => {
  test("every AgentKmsError code the library lists is worded", () => {
    expect(Object.keys(agentKms).sort()).toEqual([...AGENTKMS_ERROR_CODES].sort());
  });

  test("a code the table does not know is not worded as if it did", () => {
    const unknown = new SessionError("brand_new" as SessionErrorCode, M);
    expect(isLibError(unknown)).toBe(false);
    expect(libErrorText(unknown)).toBeUndefined();
    expect(toCliError(unknown)).toBe(unknown);
  });
});

describe("toCliError and failureText", () => {
  test("a hint line follows the error line", () => {
    const cli = toCliError(new AgentKmsError("http", M), undefined, "tip: try this") as CliError;
    expect(cli.lines).toEqual([`error: ${M}`, "tip: try this"]);
  });

  test("a CliError and errors of no library pass through unchanged", () => {
    const cli = new CliError("already worded");
    expect(toCliError(cli)).toBe(cli);
    const plain = new Error(M);
    expect(toCliError(plain)).toBe(plain);
    // A bounded read's message is a reason its caller words in context, not a line of its own.
    const read = BoundedReadError.tooLarge("file", 1024);
    expect(libErrorText(read)).toBeUndefined();
    expect(libErrorText("not an error")).toBeUndefined();
  });

  test("failureText is the message of an error, or the value as text", () => {
    expect(failureText(new TrustError("io", M))).toBe(M);
    expect(failureText(new Error(M))).toBe(M);
    expect(failureText(42)).toBe("42");
  });
});

describe("failureLine", () => {
  test("a library error reads as its table line; anything else as error: <message>", () => {
    expect(failureLine(new AgentKmsError("missing_key", M))).toBe(M);
    expect(failureLine(new SessionError("send", M), "decrypt_request")).toBe(`error sending request: ${M}`);
    expect(failureLine(new Error(M))).toBe(`error: ${M}`);
    expect(failureLine("text")).toBe("error: text");
  });
});
