import * as path from "node:path";
import { frameworkError } from "../framework-error";

/** Where warnings go: the kernel passes a function that writes into the running cell. */
export type Warn = (message: string) => void;

export const defaultWarn: Warn = (message) => console.warn(message);

/** An Error named as the original framework's (AssertionError, FileNotFoundError, ...): see framework-error.ts. */
export function namedError(name: string, message: string): Error {
  return frameworkError(name, message, namedError);
}

/** A path as users should read it in messages: relative to the dataset root when inside it. */
export function displayPath(file: string, root: string): string {
  const rel = path.relative(root, file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : file;
}

/** A short reason from whatever a decoder or fs threw. */
export function reasonOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && e.code === "ENOENT") return "[Errno 2] No such file or directory";
  if (e && typeof e.message === "string") return e.message.split("\n")[0];
  return String(err);
}
