// %lsmagic: the available magics, as IPython lists them.
import { allMagics, defineMagic, parseMagicArgs } from "./registry";

defineMagic({
  name: "lsmagic",
  kind: "line",
  usage: "%lsmagic",
  help: "List the available line and cell magics. Help on one: %name?",
  run(args, ctx) {
    parseMagicArgs(this, args, {}, false);
    const line = allMagics()
      .filter((m) => m.kind !== "cell")
      .map((m) => `%${m.name}`);
    const cell = allMagics()
      .filter((m) => m.kind !== "line")
      .map((m) => `%%${m.name}`);
    ctx.print(
      `Available line magics:\n${line.join("  ")}\n\nAvailable cell magics:\n${cell.join("  ")}\n\nShell commands: !command.  Help on a magic: %name?\n`,
    );
  },
});
