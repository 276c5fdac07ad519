#!/usr/bin/env node
// tfjs-lab's command line: a table from command to the file that implements it.
import { kernelCommand } from "./kernel-command";
import { installCommand } from "./install-command";
import { runCommand } from "./run-command";
import { reproduceCommand } from "./reproduce-command";
import { buildNotebooksCommand } from "./build-notebooks-command";

const COMMANDS: Record<string, { usage: string; run: (args: string[]) => Promise<number> }> = {
  kernel: { usage: "tfjs-lab kernel CONNECTION_FILE          start the Jupyter kernel (Jupyter calls this)", run: kernelCommand },
  install: { usage: "tfjs-lab install [--user|--sys-prefix|--prefix P] [--name N]   install the kernelspec", run: installCommand },
  run: { usage: "tfjs-lab run NOTEBOOK... [--out DIR] [--allow-errors] [--timeout S]   execute notebooks in-process", run: runCommand },
  "build-notebooks": {
    usage: "tfjs-lab build-notebooks [SRC...] [--out DIR]   build notebooks/*.ipynb from notebooks/src/*.ts",
    run: buildNotebooksCommand,
  },
  reproduce: {
    usage: "tfjs-lab reproduce [--out DIR]          run every notebook in notebooks/, write out/ and print what each reproduced",
    run: reproduceCommand,
  },
};

function usage(): string {
  return `Usage:\n${Object.values(COMMANDS)
    .map((c) => `  ${c.usage}`)
    .join("\n")}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`tfjs-lab: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  return cmd.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0 || process.argv[2] !== "kernel") process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`tfjs-lab: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
