// What `kpm run` hands the child: its environment and the injected secret values (for masking).
export interface ChildPlan {
  env: Record<string, string | undefined>;
  /** Values that came from AgentKMS or a listener (masking needles; not plain entries or defaults). */
  secrets: string[];
  /** Number of template/blob variables set as plaintext. */
  injected: number;
  /** The checked real path of a pinned tool (--secure): executed instead of looking <cmd> up again. */
  executable?: string | undefined;
  /** --secure with brokered variables: the proxy that lives as long as the child (broker-mode.ts). */
  broker?: { close(): Promise<void> } | undefined;
}

/** `kpm: unset <VAR>: <reason>` — the variable is absent from the child (§8.2). */
export function unsetLine(variable: string, reason: string): string {
  return `kpm: unset ${variable}: ${reason}`;
}
