// Secret-type auto-detection for `kpm add` (§11.6): first matching rule wins.

const PRIVATE_KEY_MARKERS = [
  "-----BEGIN OPENSSH PRIVATE KEY-----",
  "-----BEGIN RSA PRIVATE KEY-----",
  "-----BEGIN EC PRIVATE KEY-----",
  "-----BEGIN PRIVATE KEY-----",
  "-----BEGIN DSA PRIVATE KEY-----",
  "-----BEGIN ENCRYPTED PRIVATE KEY-----",
];
const CERTIFICATE_MARKERS = ["-----BEGIN CERTIFICATE-----", "-----BEGIN TRUSTED CERTIFICATE-----"];
const CONNECTION_SCHEMES = [
  "postgres://",
  "postgresql://",
  "mongodb://",
  "mongodb+srv://",
  "mysql://",
  "mysql+ssl://",
  "redis://",
  "rediss://",
  "amqp://",
  "amqps://",
  "sqlserver://",
  "mssql://",
  "oracle://",
  "clickhouse://",
];
const JWT = /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const TOKEN_PATTERNS = [
  /^gh[pousr]_[A-Za-z0-9]{36,}$/,
  /^(sk|pk|rk)_(live|test)_[A-Za-z0-9]{16,}$/,
  /^xox[apbsr]-[0-9A-Za-z-]{10,}$/,
  /^AKIA[0-9A-Z]{16}$/,
];
const TOKEN_PREFIXES = [
  "sk-",
  "sk_test_",
  "sk_live_",
  "pk_test_",
  "pk_live_",
  "rk_test_",
  "rk_live_",
  "sg-",
  "SG.",
  "Bearer ",
  "token_",
  "key-",
  "api_",
];
const HEX = /^[0-9A-Fa-f]+$/;

export type SecretType = "ssh-key" | "certificate" | "connection-string" | "jwt" | "api-token" | "generic";

export function detectSecretType(value: string): SecretType {
  const text = value.trim();
  if (PRIVATE_KEY_MARKERS.some((marker) => text.includes(marker))) return "ssh-key";
  if (CERTIFICATE_MARKERS.some((marker) => text.includes(marker))) return "certificate";
  if (CONNECTION_SCHEMES.some((scheme) => text.startsWith(scheme))) return "connection-string";
  if (JWT.test(text)) return "jwt";
  if (TOKEN_PATTERNS.some((pattern) => pattern.test(text))) return "api-token";
  if (TOKEN_PREFIXES.some((prefix) => text.startsWith(prefix))) return "api-token";
  if (HEX.test(text) && [32, 40, 64].includes(text.length)) return "api-token";
  return "generic";
}
