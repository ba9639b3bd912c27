// `kpm show [VAR_NAME] [--profile] [--json]` (§8.4): kpm-managed variables, never values.
import { pingListener } from "@kpm/session";
import { defineKpmCommand } from "../cli/command.ts";
import { writeStdout } from "../cli/io.ts";
import { padChars, plural } from "../cli/text.ts";
import { runtimeDirFor } from "../listener-client.ts";
import { type ManagedBlob, managedBlobs } from "../managed-env.ts";
import type { Env } from "../paths.ts";
import { loadMergedProfile, renderProfileLines } from "../profile.ts";

interface ListenerState {
  running: boolean;
  strict: boolean;
  ttlSeconds: number | null;
}

async function listenerState(env: Env, sessionId: string): Promise<ListenerState> {
  const { findListenerSocket } = await import("@kpm/session");
  const socket = findListenerSocket(sessionId, env, runtimeDirFor(env));
  const ping = socket ? await pingListener(socket) : null;
  if (!ping) return { running: false, strict: false, ttlSeconds: null };
  const ttl = ping.expires_at
    ? Math.max(0, Math.floor((Date.parse(ping.expires_at) - Date.now()) / 1000))
    : null;
  return { running: true, strict: ping.strict, ttlSeconds: ttl };
}

export function formatDuration(seconds: number): string {
  return seconds >= 60
    ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`
    : `${seconds}s`;
}

const marker = (blob: ManagedBlob) => (blob.kind === "strict" ? "● strict" : "● encrypted");

export default defineKpmCommand({
  meta: { name: "show", description: "Show kpm-managed variables (never values)" },
  examples: [
    { command: "kpm show", about: "every kpm-managed variable, never values" },
    { command: "kpm show ANTHROPIC_API_KEY --profile" },
  ],
  usage: "[VAR_NAME] [--profile] [--json]",
  args: {
    //blog:part-3
    profile: { type: "boolean", description: "Also show the merged profile variables" },
    json: { type: "boolean", description: "Print JSON" },
  },
  run: async ({ args, data: ctx }) => {
    const blobs = managedBlobs(ctx.env);
    const name = args._[0];
    const out: string[] = [];
    if (args.json) {
      const first = blobs[0];
      const state = first ? await listenerState(ctx.env, first.sessionId) : null;
      const json = {
        session: first?.sessionId ?? null,
        strict: state?.strict ?? first?.kind === "strict",
        ttl_seconds: state?.ttlSeconds ?? null,
        listener: state?.running ? "running" : "not running",
        variables: blobs.map((blob) => ({ name: blob.name, kind: blob.kind, session: blob.sessionId })),
      };
      await writeStdout(`${JSON.stringify(json, null, 2)}\n`);
      return 0;
    }
    if (name !== undefined) {
      const blob = blobs.find((candidate) => candidate.name === name);
      if (!blob) {
        out.push(`${name} is not a KPM-managed secret in the current environment.`);
      } else {
        const state = await listenerState(ctx.env, blob.sessionId);
        const ttl = state.running
          ? state.ttlSeconds === null
            ? "  TTL: strict: no TTL"
            : `  TTL: ${formatDuration(state.ttlSeconds)} remaining`
          : "  TTL: listener not running";
        const preview = blob.value.length <= 40 ? blob.value : `${blob.value.slice(0, 40)}...`;
        out.push(
          `  ${padChars(blob.name, 25)} ${marker(blob)}`,
          `  Session: ${blob.sessionId}`,
          ttl,
          `  Value: ${preview} (use 'kpm run' to decrypt)`,
        );
      }
    } else if (blobs.length === 0) {
      out.push(
        "No KPM-managed secrets found in current environment.",
        "Load secrets with: eval $(kpm env --from <template> --output shell)",
      );
    } else {
      const first = blobs[0] as ManagedBlob;
      const state = await listenerState(ctx.env, first.sessionId);
      const suffix = !state.running
        ? " (listener not running)"
        : state.strict || state.ttlSeconds === null
          ? " (strict: no TTL)"
          : ` (TTL: ${formatDuration(state.ttlSeconds)} remaining)`;
      out.push(`KPM Session: ${first.sessionId}${suffix}`, "");
      for (const blob of blobs) out.push(`  ${padChars(blob.name, 25)} ${marker(blob)}`);
      out.push("", `${plural(blobs.length, "secret")} managed`);
    }
    if (args.profile) {
      const profile = await loadMergedProfile(ctx);
      if (profile.size === 0) out.push("", "Profile: (no .kpm/config.yaml found in cwd or ancestors)");
      else out.push("", "Profile:", ...renderProfileLines(profile).map((line) => `  ${line}`));
    }
    await writeStdout(`${out.join("\n")}\n`);
    return 0;
  },
});
