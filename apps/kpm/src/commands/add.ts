// `kpm add <service/name>` (§11.1): store a secret from a masked prompt, a pipe or a file.
import { normalizeExpires } from "@kpm/agentkms-client/expires";
import { type SecretValueProblem, secretValueProblem } from "@kpm/agentkms-client/secret-value";
import { BoundedReadError, readFileBounded, readStreamBounded } from "@kpm/bounded-read";
import { defineKpmCommand } from "../cli/command.ts";
import { CliError, UsageError } from "../cli/errors.ts";
import { confirm, readMaskedValue, stdinIsTerminal } from "../cli/prompt.ts";
import { detectSecretType } from "../secret-type.ts";

const MAX_VALUE_BYTES = 1_000_000;
/**
 * Reading stops past this many bytes (`--from-file /dev/zero`, `< /dev/urandom`). It is above
 * MAX_VALUE_BYTES so that a value at the limit still fits with the trailing newlines a pipe adds,
 * and a value a little over the limit is refused with its exact size.
 */
const MAX_VALUE_READ = 1024 * 1024;

export default defineKpmCommand({
  meta: { name: "add", description: "Store a secret (prompt, stdin or --from-file)" },
  examples: [
    { command: "kpm add cloudflare/dns-token", about: "masked prompt" },
    { command: 'echo "sk-xxx" | kpm add anthropic/api-key', about: "from a pipe" },
    { command: "kpm add gcp/sa-key --from-file key.json --tags ci,prod", about: "from a file, tagged" },
  ],
  usage: "<service/name> [flags]",
  args: {
    service: { type: "string", description: "Service part of the path", valueHint: "service" },
    name: { type: "string", description: "Name part of the path", valueHint: "name" },
    "from-file": {
      type: "string",
      description: "Read the value from a file (bytes verbatim)",
      valueHint: "path",
    },
    description: { type: "string", description: "Description", valueHint: "text" },
    tags: { type: "string", description: "Comma-separated tags", valueHint: "a,b" },
    type: { type: "string", description: "Secret type (default: auto-detected)", valueHint: "type" },
    expires: { type: "string", description: "Expiry: RFC 3339 or YYYY-MM-DD", valueHint: "date" },
    force: { type: "boolean", description: "Overwrite an existing secret without asking" },
  },
  run: async ({ args, data: ctx }) => {
    const path = args._[0] ?? (args.service && args.name ? `${args.service}/${args.name}` : undefined);
    if (!path) {
      throw new UsageError(
        "kpm add: path required (e.g. kpm add cloudflare/dns-token)",
        "  or use: kpm add --service cloudflare --name dns-token",
      );
    }
    if (!path.includes("/"))
      throw new UsageError("error: path must be service/name (e.g. cloudflare/dns-token)");
    const { credentialStorePath } = await import("@kpm/agentkms-client");
    const credential = credentialStorePath(path);
    if (credential) {
      // A registry secret named llm/… or kv/… would never be read by ${kms:llm/…} or ${kms:kv/…}.
      throw new CliError([
        `error: ${path} names the credential store, which kpm add does not write (it writes the registry: service/name)`,
        `  with the dev server: printf %s "$VALUE" | kpm dev secrets set ${credential.devPath} ${credential.field}   (see docs/secrets.md)`,
      ]);
    }
    const expires = expiresFlag(args.expires);
    const tags = (args.tags ?? "")
      .split(",")
      .map((tag) => tag.trim())
      .filter((tag) => tag.length > 0);

    const client = await ctx.client();
    const fromFile = args["from-file"];
    const interactive = !fromFile && stdinIsTerminal();
    let existing: Awaited<ReturnType<typeof client.getMetadata>> = null;
    try {
      existing = await client.getMetadata(path);
    } catch (error) {
      ctx.log.debug(`warning: could not check whether ${path} exists: ${(error as Error).message}`);
    }
    if (existing && !existing.deleted && !args.force) {
      if (!interactive) {
        throw new CliError(
          `error: ${path} exists (v${existing.version}); use --force to overwrite when input is non-interactive`,
        );
      }
      const next = existing.version + 1;
      if (!(await confirm(`${path} exists (v${existing.version}). Update to v${next}? [y/N] `))) {
        throw new CliError("error: cancelled");
      }
    }

    const value = await readValue(fromFile ? ctx.flagPath(fromFile) : undefined, interactive);
    const type = args.type && args.type.length > 0 ? args.type : detectSecretType(value);
    let written: Awaited<ReturnType<typeof client.writeSecret>>;
    try {
      written = await client.writeSecret(path, { value });
    } catch (error) {
      throw new CliError(`error: store secret: ${(error as Error).message}`);
    }

    const wantsMetadata =
      Boolean(args.description) ||
      tags.length > 0 ||
      Boolean(args.type) ||
      type !== "generic" ||
      Boolean(expires);
    if (wantsMetadata) {
      try {
        await client.writeMetadata(path, {
          ...(args.description ? { description: args.description } : {}),
          ...(tags.length > 0 ? { tags } : {}),
          type,
          ...(expires ? { expires } : {}),
        });
      } catch (error) {
        ctx.log.warn(`warning: metadata not saved: ${(error as Error).message}`);
      }
    }
    const tagged = tags.length > 0 ? ` (tagged: ${tags.join(", ")})` : "";
    ctx.log.info(`Stored ${written.path} v${written.version}${tagged} [${type}]`);
    return 0;
  },
});

/** `--expires` as the timestamp to store (agentkms-client's rule), or the usage error. */
function expiresFlag(value: string | undefined): string | undefined {
  const expires = normalizeExpires(value);
  if (expires !== null) return expires;
  throw new CliError(
    `error: invalid --expires "${value}": use RFC 3339 (2026-12-31T00:00:00Z) or YYYY-MM-DD`,
  );
}

async function readValue(fromFile: string | undefined, interactive: boolean): Promise<string> {
  let bytes: Uint8Array;
  if (fromFile) {
    try {
      bytes = readFileBounded(fromFile, MAX_VALUE_READ);
    } catch (error) {
      if (error instanceof BoundedReadError && error.code === "too_large") throw valueTooLarge(error.size);
      throw new CliError(`error: read file: ${fromFile}: ${(error as Error).message}`);
    }
  } else if (interactive) {
    try {
      bytes = await readMaskedValue("Value: ");
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`error: read value: ${(error as Error).message}`);
    }
  } else {
    try {
      bytes = await readStreamBounded(Bun.stdin.stream(), MAX_VALUE_READ);
    } catch (error) {
      if (error instanceof BoundedReadError && error.code === "too_large") throw valueTooLarge(undefined);
      throw new CliError(`error: read stdin: ${(error as Error).message}`);
    }
    let end = bytes.length;
    while (end > 0 && bytes[end - 1] === 0x0a) end--;
    bytes = bytes.subarray(0, end);
  }
  if (bytes.length === 0) throw new CliError("error: empty value");
  if (bytes.length > MAX_VALUE_BYTES) {
    throw new CliError(
      `error: value too large (${bytes.length} bytes; AgentKMS accepts at most 1 MiB per request)`,
    );
  }
  let value: string;
  try {
    value = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw refusedValue("is not valid UTF-8");
  } finally {
    if (!fromFile) bytes.fill(0);
  }
  // A NUL byte could never reach a child's environment: refused here, before anything is sent.
  const problem = secretValueProblem(value);
  if (problem !== null) throw refusedValue(problem);
  return value;
}

/** The refusal names the problem only: the runtime's own errors for such values quote them. */
function refusedValue(problem: SecretValueProblem): CliError {
  return new CliError(`error: value ${problem}; encode binary secrets (for example base64) before storing`);
}

/**
 * The read stopped at MAX_VALUE_READ: the size is known for a regular file (fstat), not for a
 * stream or device. Same words as the MAX_VALUE_BYTES check in readValue.
 */
function valueTooLarge(size: number | undefined): CliError {
  const what = size === undefined ? `more than ${MAX_VALUE_READ}` : `${size}`;
  return new CliError(`error: value too large (${what} bytes; AgentKMS accepts at most 1 MiB per request)`);
}
