// Which reference types read the credential store rather than the registry (wire §7): `llm/…`
// and `kv/…` are reserved, so a registry secret stored under those names is never read by a
// template. `kpm add` uses this to stop and say where such a secret belongs.

/** A path that names the credential store, with the dev-store path and field that hold it. */
export interface CredentialStorePath {
  kind: "llm" | "kv";
  /** The reference as a template writes it, e.g. `llm/openai` or `kv/db/prod#password`. */
  reference: string;
  /** The dev store's path for it (`kpm dev secrets set <devPath> <field>`). */
  devPath: string;
  field: string;
}

/** `llm/<provider>` or `kv/<path>[#field]` → where it lives; a registry path → null. */
export function credentialStorePath(path: string): CredentialStorePath | null {
  const slash = path.indexOf("/");
  if (slash <= 0) return null;
  const type = path.slice(0, slash);
  const rest = path.slice(slash + 1);
  if (type === "llm") return { kind: "llm", reference: path, devPath: `llm/${rest}`, field: "api_key" };
  if (type !== "kv") return null;
  const hash = rest.indexOf("#");
  const kvPath = hash < 0 ? rest : rest.slice(0, hash);
  const field = hash < 0 ? "value" : rest.slice(hash + 1);
  return { kind: "kv", reference: path, devPath: `generic/${kvPath}`, field };
}
