// Every webgpu test file imports this first: SwiftShader's ICD is set before Dawn creates
// its instance. Where SwiftShader or the Vulkan loader is missing the tests fail (never
// skip) with the apt-get command that installs them.
import * as tf from "@tensorflow/tfjs";
import { useSwiftShaderForTests } from "../../src/tfjs/webgpu/swiftshader-for-tests";
import { switchBackend } from "../../src/tfjs";

let missing: Error | undefined;
try {
  useSwiftShaderForTests();
} catch (err) {
  missing = err as Error;
}

/** Throws the install instructions when SwiftShader is not here. */
export function requireSwiftShader(): void {
  if (missing) throw missing;
}

/** The webgpu backend on SwiftShader, asked for by name (selection alone would skip it). */
export async function useWebgpu(): Promise<void> {
  requireSwiftShader();
  const report = await switchBackend("webgpu");
  if (tf.getBackend() !== "webgpu") throw new Error(`webgpu did not start: ${report.describe()}`);
  // tfjs-backend-webgpu runs ops on small CPU-resident inputs on the CPU; the tests' tensors
  // are small, and what they test is the device.
  tf.env().set("WEBGPU_CPU_FORWARD", false);
}
