// `kpm completion bash|zsh|fish` (§12.4): print a completion script generated from the command
// definitions, so a new command or flag completes without touching the scripts.
import { defineKpmCommand } from "../cli/command.ts";
import { UsageError } from "../cli/errors.ts";
import { writeStdout } from "../cli/io.ts";

const SHELLS = ["bash", "zsh", "fish"] as const;
type Shell = (typeof SHELLS)[number];
const isShell = (value: string): value is Shell => (SHELLS as readonly string[]).includes(value);

export default defineKpmCommand({
  meta: { name: "completion", description: "Print shell completion (bash, zsh, fish)" },
  examples: [
    { command: "source <(kpm completion bash)" },
    { command: "kpm completion fish > ~/.config/fish/completions/kpm.fish" },
  ],
  usage: "<bash|zsh|fish>",
  notes: [
    "Install:",
    "  bash:  echo 'source <(kpm completion bash)' >> ~/.bashrc",
    "  zsh:   echo 'source <(kpm completion zsh)' >> ~/.zshrc   (after compinit)",
    "  fish:  kpm completion fish > ~/.config/fish/completions/kpm.fish",
  ],
  run: async ({ args }) => {
    const shell = args._[0];
    if (shell === undefined)
      throw new UsageError(
        "kpm completion: which shell? Use one of: bash, zsh, fish",
        "Example: source <(kpm completion bash)",
      );
    if (!isShell(shell))
      throw new UsageError(`kpm completion: unsupported shell "${shell}" (use bash, zsh or fish)`);
    const { loadCommandTree } = await import("../completion/model.ts");
    const tree = await loadCommandTree();
    const render = {
      bash: async () => (await import("../completion/bash.ts")).bashScript(tree),
      zsh: async () => (await import("../completion/zsh.ts")).zshScript(tree),
      fish: async () => (await import("../completion/fish.ts")).fishScript(tree),
    }[shell];
    await writeStdout(await render());
    return 0;
  },
});
