// Caps for the kinds of file read by more than one package. Kinds owned by one package keep their
// cap there (templates, allow-lists, `kpm add` values); docs/limits.md lists them all.

export const MiB = 1024 * 1024;

/** config.yaml: `--config`, <ConfigDir>/config.yaml and every `.kpm/config.yaml` of the profile walk. */
export const MAX_CONFIG_BYTES = MiB;

/** A PEM file: client cert, key and CA bundle, and the dev server's PKI. */
export const MAX_PEM_BYTES = MiB;
