// Every magic, registered by importing its file. Add a magic: write its file, import it here.
import "./time";
import "./timeit";
import "./who";
import "./env";
import "./lsmagic";
import "./backend";
import "./shapes";
import "./summary";
import "./trace";
import "./memory";
import "./memit";
import "./gpu";
import "./loss";
export { defineMagic, getMagic, allMagics, helpText, UsageError, type Magic, type MagicContext } from "./registry";
export { runShell } from "./shell";
export { parseCell, typescriptOnly, type CellPart } from "./parse";
