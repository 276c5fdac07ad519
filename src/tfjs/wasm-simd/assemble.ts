// Build step (`npm run build`, after tsc): assembles the WebAssembly text of the SIMD
// kernels into .wasm files next to this script's compiled JavaScript, where the loader
// looks for them. wabt is a devDependency: nothing here runs in the kernel.
import * as fs from "node:fs";
import * as path from "node:path";
import { SIMD_VARIANTS, simdKernelFile, simdKernelsWat } from "./module-wat";
import { enableRelaxedSimd } from "./relaxed-simd";

type Wabt = {
  parseWat(name: string, text: string, features: Record<string, boolean>): { toBinary(o: object): { buffer: Uint8Array }; destroy(): void };
};

async function main(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wabt = await (require("wabt") as () => Promise<Wabt>)();
  enableRelaxedSimd(); // so that the fused variants validate on engines that ship it behind a flag
  for (const variant of SIMD_VARIANTS) {
    const file = simdKernelFile(variant);
    const parsed = wabt.parseWat(file, simdKernelsWat(variant), {
      simd: true,
      threads: true,
      bulk_memory: true,
      relaxed_simd: variant.fused,
    });
    try {
      const { buffer } = parsed.toBinary({});
      if (!WebAssembly.validate(buffer)) throw new Error(`${file} does not validate`);
      fs.writeFileSync(path.join(__dirname, file), buffer);
    } finally {
      parsed.destroy();
    }
  }
}

main().catch((e) => {
  console.error(`assembling the SIMD kernels failed: ${(e as Error).message}`);
  process.exit(1);
});
