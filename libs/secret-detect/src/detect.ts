// The credential detectors: a variable name that says "secret" (GH_TOKEN, DB_PASSWORD, AWS_*), or a
// value shaped like one (a known key prefix, a private-key PEM block, a JWT, a long random string).
// A hex value is never flagged by its value: hashes and commit ids are hex, and are not secrets.
import { shannonEntropy } from "./entropy.ts";

/** Why a variable looks like a credential: a stable rule id and a short human reason (never the value). */
export interface Detection {
  rule: string;
  reason: string;
}

/** Name words that mark a credential wherever they stand (`GH_TOKEN`, `PASSWORD_FILE`). */
const SECRET_WORDS = new Set([
  "SECRET",
  "SECRETS",
  "PASSWORD",
  "PASSWORDS",
  "PASSWD",
  "PASSPHRASE",
  "CREDENTIAL",
  "CREDENTIALS",
  "CREDS",
  "APIKEY",
  "AUTH",
  "COOKIE",
  "PAT",
]);

/** Word endings that mark one too, glued to another word: `GHTOKEN`, `DBPASSWORD`, `CLIENTSECRET`. */
const SECRET_ENDINGS = ["TOKEN", "TOKENS", "SECRET", "PASSWORD", "PASSWD"];

/** A name that starts with one of these belongs to a credential family (AWS_ACCESS_KEY_ID, …). */
const SECRET_PREFIXES = ["AWS_"];

export function detectName(name: string): Detection | null {
  const upper = name.toUpperCase();
  for (const prefix of SECRET_PREFIXES)
    if (upper.startsWith(prefix))
      return { rule: "name-prefix", reason: `name starts with ${prefix} (a credential family)` };
  const words = upper.split("_").filter((word) => word.length > 0);
  for (const word of words) {
    if (SECRET_WORDS.has(word)) return { rule: "name-word", reason: `name contains ${word}` };
    const ending = SECRET_ENDINGS.find((end) => word.endsWith(end));
    if (ending !== undefined) return { rule: "name-word", reason: `name contains ${ending}` };
  }
  // `*_KEY` (API_KEY, PRIVATE_KEY, ACCESS_KEY, OPENAI_KEY): a key, unless it is the whole name.
  if (words.length > 1 && words[words.length - 1] === "KEY")
    return { rule: "name-key", reason: "name ends in _KEY" };
  return null;
}

interface ValueRule {
  rule: string;
  reason: string;
  pattern: RegExp;
}

/** Known credential formats, most specific first; each requires the body a real one has. */
const VALUE_RULES: ValueRule[] = [
  {
    rule: "pem-private-key",
    reason: "value holds a PEM private key",
    pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/,
  },
  {
    rule: "anthropic-key",
    reason: "value has the sk-ant- key prefix",
    pattern: /^sk-ant-[A-Za-z0-9_-]{16,}/,
  },
  { rule: "openai-key", reason: "value has the sk- key prefix", pattern: /^sk-[A-Za-z0-9_-]{20,}/ },
  {
    rule: "github-token",
    reason: "value has a GitHub token prefix",
    pattern: /^(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})/,
  },
  { rule: "gitlab-token", reason: "value has the glpat- token prefix", pattern: /^glpat-[A-Za-z0-9_-]{20,}/ },
  {
    rule: "slack-token",
    reason: "value has a Slack token prefix",
    pattern: /^xox[abposr]-[A-Za-z0-9-]{10,}/,
  },
  { rule: "aws-access-key", reason: "value is an AWS access key id", pattern: /^(?:AKIA|ASIA)[A-Z0-9]{16}$/ },
  { rule: "google-api-key", reason: "value has the AIza key prefix", pattern: /^AIza[A-Za-z0-9_-]{35}$/ },
  { rule: "npm-token", reason: "value has the npm_ token prefix", pattern: /^npm_[A-Za-z0-9]{36}$/ },
  {
    rule: "stripe-key",
    reason: "value has a Stripe live key prefix",
    pattern: /^(?:sk|rk)_live_[A-Za-z0-9]{16,}/,
  },
  {
    rule: "jwt",
    reason: "value is a JSON Web Token",
    pattern: /^eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*$/,
  },
  {
    rule: "url-credentials",
    reason: "value is a URL with a password",
    pattern: /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/,
  },
];

/** The random-string rule: long, one token of key characters, mixed classes, high entropy. */
const MIN_RANDOM_LENGTH = 24;
const MIN_RANDOM_ENTROPY = 4;
const KEY_CHARACTERS = /^[A-Za-z0-9+/=_.~-]+$/;
const HEX = /^(?:0x)?[0-9a-fA-F-]+$/;

export function detectValue(value: string): Detection | null {
  for (const { rule, reason, pattern } of VALUE_RULES) if (pattern.test(value)) return { rule, reason };
  return looksRandom(value)
    ? { rule: "high-entropy", reason: "value is a long random-looking string" }
    : null;
}

function looksRandom(value: string): boolean {
  if (value.length < MIN_RANDOM_LENGTH || !KEY_CHARACTERS.test(value)) return false;
  // Hashes, commit ids and UUIDs are hex: never flagged by value.
  if (HEX.test(value)) return false;
  // A path or a dotted name (a/b/c, org.example.app) is words, not a key.
  if (value.startsWith("/") || value.startsWith("./") || value.startsWith("~")) return false;
  if (!/[a-z]/.test(value) || !/[A-Z]/.test(value) || !/[0-9]/.test(value)) return false;
  if (isWordLike(value)) return false;
  return shannonEntropy(value) >= MIN_RANDOM_ENTROPY;
}

/**
 * Identifiers (MyApplicationVersion2024Build, node_modules2024ProjectDir) are mostly words: runs
 * of an optional capital and 2+ lowercase letters cover two thirds of them. In a random base62
 * string they rarely do (about 8 in 100 strings of 24 characters, 3 in 100 of 32).
 */
function isWordLike(value: string): boolean {
  let inWords = 0;
  for (const run of value.match(/[A-Z]?[a-z]{2,}/g) ?? []) inWords += run.length;
  return inWords * 3 >= value.length * 2;
}

/** A variable that looks like a credential, by name first, then by value; an empty value carries nothing. */
export function detect(name: string, value: string): Detection | null {
  if (value.length === 0) return null;
  return detectName(name) ?? detectValue(value);
}
