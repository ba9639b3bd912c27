// What a scan reports: where a secret sits, which rule matched, and a preview that can never
// reveal the value (its first 4 characters and its length).

export interface Finding {
  /** File path as given or listed (relative to the scan root when walked), or a source label. */
  file: string;
  /** 1-based line and column of the secret's first character. */
  line: number;
  column: number;
  /** Stable rule id: `secretlint/<rule>/<message>` or `kpm/<rule>`. */
  rule: string;
  /** First 4 characters and the length: `ghp_…(40 chars)`. */
  preview: string;
}

const PREVIEW_CHARACTERS = 4;

/** The only form in which a found value leaves the scanner. Short values show no characters. */
export function redact(value: string): string {
  const shown = value.length > PREVIEW_CHARACTERS * 2 ? value.slice(0, PREVIEW_CHARACTERS) : "";
  return `${shown}…(${value.length} chars)`;
}
