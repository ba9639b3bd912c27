// Interactive input: a masked value prompt on a TTY and one-line answers (pipes work too).
import { CliError } from "./errors.ts";
import { isatty, writeStderr } from "./io.ts";

export function stdinIsTerminal(): boolean {
  return isatty(0);
}

/** An answer longer than this is not "y": reading stops (`kpm remove x < /dev/zero` ends at once). */
const MAX_ANSWER_BYTES = 4096;

/** Reads one line from stdin (terminal or pipe), at most MAX_ANSWER_BYTES of it; null at EOF before any byte. */
export async function readLine(): Promise<string | null> {
  const decoder = new TextDecoder();
  let text = "";
  let sawData = false;
  let length = 0;
  const reader = Bun.stdin.stream().getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      sawData = true;
      length += value.length;
      text += decoder.decode(value, { stream: true });
      const newline = text.indexOf("\n");
      if (newline !== -1) return text.slice(0, newline);
      if (length > MAX_ANSWER_BYTES) {
        await reader.cancel().catch(() => {});
        return text;
      }
    }
  } finally {
    reader.releaseLock();
  }
  return sawData ? text : null;
}

/** `question [y/N] ` on stderr; true only for y/Y (trimmed). */
export async function confirm(question: string): Promise<boolean> {
  await writeStderr(question);
  const answer = await readLine();
  return answer !== null && ["y", "Y"].includes(answer.trim());
}

/** Prompts `Value: ` on stderr with echo off; returns the bytes typed before Enter. */
export async function readMaskedValue(prompt: string): Promise<Uint8Array> {
  const { stdin } = process;
  await writeStderr(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  const bytes: number[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        for (const byte of chunk) {
          if (byte === 0x0d || byte === 0x0a) {
            stdin.off("data", onData);
            resolve();
            return;
          }
          if (byte === 0x03 || byte === 0x04) {
            stdin.off("data", onData);
            reject(new CliError("error: cancelled"));
            return;
          }
          if (byte === 0x7f || byte === 0x08) {
            // Backspace removes one whole UTF-8 character.
            while (bytes.length > 0 && ((bytes.pop() as number) & 0xc0) === 0x80) {}
            continue;
          }
          bytes.push(byte);
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    await writeStderr("\n");
  }
  const value = Uint8Array.from(bytes);
  bytes.fill(0);
  return value;
}
