// The kernel_info_reply content: who this kernel is and what language it speaks.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { PROTOCOL_VERSION } from "./messages";

function packageVersion(packageJson: string): string | undefined {
  try {
    return JSON.parse(readFileSync(packageJson, "utf8")).version;
  } catch {
    return undefined;
  }
}

function typescriptVersion(): string {
  try {
    return packageVersion(require.resolve("typescript/package.json")) ?? "5";
  } catch {
    return "5";
  }
}

let cached: Record<string, unknown> | undefined;

export function kernelInfo(): Record<string, unknown> {
  if (cached) return cached;
  // dist/src/kernel/ -> package root
  const version = packageVersion(path.resolve(__dirname, "..", "..", "..", "package.json")) ?? "0.0.0";
  const tsVersion = typescriptVersion();
  cached = {
    status: "ok",
    protocol_version: PROTOCOL_VERSION,
    implementation: "tfjs-lab",
    implementation_version: version,
    language_info: {
      name: "typescript",
      version: tsVersion,
      mimetype: "text/typescript",
      file_extension: ".ts",
      codemirror_mode: { name: "javascript", typescript: true },
      pygments_lexer: "typescript",
    },
    banner: `tfjs-lab ${version}: TypeScript ${tsVersion} on Node.js ${process.version}, with TensorFlow.js (tf), arquero (aq) and the toolkit (lab) preloaded`,
    help_links: [
      { text: "TensorFlow.js API", url: "https://js.tensorflow.org/api/latest/" },
      { text: "TypeScript handbook", url: "https://www.typescriptlang.org/docs/handbook/intro.html" },
      { text: "Arquero API", url: "https://idl.uw.edu/arquero/api/" },
    ],
    debugger: false,
  };
  return cached;
}
