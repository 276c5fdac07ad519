// Which adapters count as software (CPU emulation): from the names drivers report and the
// fallback flag; hardware ones are left alone. No GPU needed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { classifyAdapter, skippedSoftwareAdapter } from "../../src/tfjs/webgpu";

test("software adapters are recognised by name or by the fallback flag", () => {
  const software = [
    { vendor: "google", architecture: "swiftshader", device: "swiftshader-device-subzero-", description: "SwiftShader driver 5.0.0" },
    { vendor: "mesa", description: "llvmpipe (LLVM 15.0.6, 256 bits)" },
    { vendor: "mesa", device: "lavapipe" },
    { vendor: "microsoft", description: "Microsoft Basic Render Driver" },
    { vendor: "nvidia", description: "some adapter", isFallbackAdapter: true },
  ];
  for (const info of software) assert.equal(classifyAdapter(info).software, true, JSON.stringify(info));
  assert.equal(classifyAdapter({ vendor: "intel" }, true).software, true, "GPUAdapter.isFallbackAdapter (older API)");
  for (const info of [
    { vendor: "nvidia", architecture: "hopper", description: "NVIDIA H200" },
    { vendor: "amd", architecture: "rdna-3", description: "AMD Radeon RX 7900 XTX (RADV NAVI31)" },
    { vendor: "apple", architecture: "metal-3", description: "Apple M2" },
  ]) {
    assert.equal(classifyAdapter(info).software, false, JSON.stringify(info));
  }
});

test("the skip line names the adapter, says why, and how to use it anyway", () => {
  const kind = classifyAdapter({ vendor: "google", architecture: "swiftshader", description: "SwiftShader driver 5.0.0" });
  assert.equal(kind.name, "SwiftShader driver 5.0.0");
  assert.equal(
    skippedSoftwareAdapter(kind, "TFJS_LAB_BACKEND"),
    "skipped the software adapter 'SwiftShader driver 5.0.0' (SwiftShader, CPU emulation, slower than wasm); TFJS_LAB_BACKEND=webgpu uses it",
  );
  assert.equal(classifyAdapter({ vendor: "nvidia", architecture: "hopper" }).name, "nvidia hopper");
});
