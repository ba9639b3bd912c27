// The credential detectors: each name and value rule fires on the real shape, and look-alikes
// (hashes, commit ids, UUIDs, paths, identifiers, locale and proxy values) are left alone.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { detect, detectName, detectValue, shannonEntropy } from "../src/index.ts";

describe("detectName", () => {
  const flagged: Array<[string, string]> = [
    ["GH_TOKEN", "name-word"],
    ["GITHUB_TOKEN", "name-word"],
    ["NPMTOKEN", "name-word"],
    ["VAULT_TOKENS", "name-word"],
    ["DB_PASSWORD", "name-word"],
    ["MYSQL_PWD_PASSWD", "name-word"],
    ["GPG_PASSPHRASE", "name-word"],
    ["AZURE_CLIENT_SECRET", "name-word"],
    ["CLIENTSECRET", "name-word"],
    ["GOOGLE_APPLICATION_CREDENTIALS", "name-word"],
    ["DOCKER_CREDS", "name-word"],
    ["SENTRY_AUTH", "name-word"],
    ["SESSION_COOKIE", "name-word"],
    ["GITLAB_PAT", "name-word"],
    ["STRIPE_APIKEY", "name-word"],
    ["OPENAI_API_KEY", "name-key"],
    ["SSH_PRIVATE_KEY", "name-key"],
    ["AWS_SECRET_ACCESS_KEY", "name-prefix"],
    ["AWS_PROFILE", "name-prefix"],
    ["gh_token", "name-word"],
  ];
  for (const [name, rule] of flagged)
    test(`${name} is a credential name (${rule})`, () => {
      expect(detectName(name)?.rule).toBe(rule);
    });

  const clean = [
    "PATH",
    "HOME",
    "TOKENIZERS_PARALLELISM",
    "KEYBOARD_LAYOUT",
    "KEY",
    "PWD",
    "AUTHOR_NAME",
    "XAUTHORITY",
    "SECRETARY",
    "LANG",
  ];
  for (const name of clean)
    test(`${name} is not a credential name`, () => {
      expect(detectName(name)).toBeNull();
    });

  test("a word counts only as a whole word or a glued ending", () => {
    expect(detectName("PASSWORD_STORE")?.reason).toBe("name contains PASSWORD");
    expect(detectName("TOKEN_")?.reason).toBe("name contains TOKEN");
    expect(detectName("AWS_REGION")?.reason).toBe("name starts with AWS_ (a credential family)");
    expect(detectName("A_KEY")?.reason).toBe("name ends in _KEY");
  });
});

describe("detectValue", () => {
  const rsa = ["-----BEGIN RSA PRIVATE KEY-----", "MIIBOgIBAAJBAK", "-----END RSA PRIVATE KEY-----"].join(
    "\n",
  );
  const flagged: Array<[string, string]> = [
    [rsa, "pem-private-key"],
    ["-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----", "pem-private-key"],
    ["-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE\n", "pem-private-key"],
    ["-----BEGIN PGP PRIVATE KEY BLOCK-----\n", "pem-private-key"],
    ["sk-ant-api03-abcdefghijklmnopqrstuv", "anthropic-key"],
    ["sk-proj-abcdefghijklmnopqrstuvwx", "openai-key"],
    [`ghp_${"a1B2".repeat(9)}`, "github-token"],
    [`gho_${"a1B2".repeat(9)}`, "github-token"],
    [`github_pat_${"11ABCDEFG0".repeat(3)}`, "github-token"],
    ["glpat-abcdefghij0123456789", "gitlab-token"],
    ["xoxb-1234567890-abcdefghij", "slack-token"],
    ["xoxp-1234567890-abcdefghij", "slack-token"],
    ["AKIAIOSFODNN7EXAMPLE", "aws-access-key"],
    ["ASIAIOSFODNN7EXAMPLE", "aws-access-key"],
    [`AIza${"Sy0123456789abcdefghijklmnopqrstuvw"}`, "google-api-key"],
    [`npm_${"a1B2c3D4e5".repeat(3)}abcdef`, "npm-token"],
    ["sk_live_abcdefghijklmnop", "stripe-key"],
    ["rk_live_abcdefghijklmnop", "stripe-key"],
    ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl", "jwt"],
    ["postgres://app:hunter2@db.internal:5432/app", "url-credentials"],
    ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "high-entropy"],
    ["Xk9vQ2mP7rT4wZ8bN3cF6hJ1", "high-entropy"],
  ];
  for (const [value, rule] of flagged)
    test(`${rule}: ${value.split("\n")[0]?.slice(0, 24)}…`, () => {
      expect(detectValue(value)?.rule).toBe(rule);
    });

  const lookAlikes: Array<[string, string]> = [
    ["a git commit id", "3f786850e387550fdab836ed7e6dc881de23001b"],
    ["a SHA-256 digest", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["an upper-case hex digest", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4"],
    ["a 0x-prefixed hex value", "0x3f786850e387550fdab836ed7e6dc881de23001b"],
    ["a UUID", "123e4567-e89b-12d3-a456-426614174000"],
    ["a certificate PEM block", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"],
    ["a short sk- value", "sk-SK"],
    ["a short ghp_ value", "ghp_short"],
    ["a lower-case akia", "akiaiosfodnn7example"],
    ["an AKIA value of the wrong length", "AKIAIOSFODNN7EXAMPLE1234"],
    ["a path", "/home/user/.local/share/Projects2024/build/Output"],
    ["a home-relative path", "~/Projects2024/buildOutputDirectoryX"],
    ["a CamelCase identifier", "MyApplicationVersion2024Build"],
    ["an identifier with words", "ThisIsAVeryLongCamelCaseIdentifierName2"],
    ["a dotted name", "org.gradle.jvmargs=Xmx2048mProject"],
    ["a locale", "en_US.UTF-8"],
    ["a proxy URL without password", "http://proxy.example.com:3128"],
    ["a user agent with spaces", "npm/10.2.3 node/v20.10.0 linux x64 workspaces/false"],
    ["LS_COLORS", "rs=0:di=01;34:ln=01;36:mh=00:pi=40;33:so=01;35"],
    ["a long repeated value", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAa1"],
    ["letters only", "QWERTYuiopASDFGHjklZXCVBnmQWERTY"],
    ["a short random value", "Xk9vQ2mP7rT"],
    ["a JWT-like value without a payload", "eyJhbGciOiJIUzI1NiJ9"],
  ];
  for (const [what, value] of lookAlikes)
    test(`${what} is not flagged`, () => {
      expect(detectValue(value)).toBeNull();
    });

  test("hex values of any length are never flagged by value", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{8,128}$/), (hex) => {
        expect(detectValue(hex)).toBeNull();
      }),
    );
  });

  test("a reason never contains the value", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("sk-ant-", "ghp_", "glpat-", "xoxb-", "AKIA", "eyJ", ""),
        fc.stringMatching(/^[A-Z0-9]{8,40}$/),
        (prefix, body) => {
          const found = detect("SOME_TOKEN", `${prefix}${body}`) ?? detectValue(`${prefix}${body}`);
          expect(found?.reason.includes(body) ?? false).toBe(false);
        },
      ),
    );
  });
});

describe("detect", () => {
  test("a name rule wins over a value rule; an empty value is never flagged", () => {
    expect(detect("GH_TOKEN", "AKIAIOSFODNN7EXAMPLE")?.rule).toBe("name-word");
    expect(detect("MY_VAR", "AKIAIOSFODNN7EXAMPLE")?.rule).toBe("aws-access-key");
    expect(detect("GH_TOKEN", "")).toBeNull();
    expect(detect("EDITOR", "vim")).toBeNull();
  });
});

describe("shannonEntropy", () => {
  test("is 0 for empty and uniform strings, log2(n) for n distinct characters", () => {
    expect(shannonEntropy("")).toBe(0);
    expect(shannonEntropy("aaaa")).toBe(0);
    expect(shannonEntropy("ab")).toBe(1);
    expect(shannonEntropy("abcdefgh")).toBe(3);
  });
});
