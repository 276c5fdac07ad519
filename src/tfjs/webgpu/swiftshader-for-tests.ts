// Tests only: points the Vulkan loader at the SwiftShader driver Debian's chromium ships, so
// WebGPU (Dawn) runs on the CPU of a machine without a GPU. The product never calls this: a
// user's machine uses the drivers it has. Must run before Dawn creates its instance.
import * as fs from "node:fs";
import { spawnSync } from "node:child_process";

export const SWIFTSHADER_APT_COMMAND = "apt-get update && apt-get install -y chromium libvulkan1";

/** Where chromium-common puts the ICD manifest on Debian and Ubuntu. */
const KNOWN_ICDS = ["/usr/lib/chromium/vk_swiftshader_icd.json", "/usr/lib/chromium-browser/vk_swiftshader_icd.json"];

function findIcd(): string | undefined {
  const known = KNOWN_ICDS.find((p) => fs.existsSync(p));
  if (known) return known;
  const listed = spawnSync("dpkg", ["-L", "chromium-common"], { encoding: "utf8" });
  return listed.status === 0
    ? listed.stdout.split("\n").find((l) => l.endsWith("/vk_swiftshader_icd.json") && fs.existsSync(l))
    : undefined;
}

/** Dawn dlopens the system's Vulkan loader; chromium's private copy is not on the search path. */
function vulkanLoaderInstalled(): boolean {
  try {
    return fs.readFileSync("/etc/ld.so.cache").includes("libvulkan.so.1");
  } catch {
    return false;
  }
}

/**
 * Sets VK_DRIVER_FILES (and the older VK_ICD_FILENAMES) to SwiftShader's ICD and returns
 * its path; throws with the apt-get command when SwiftShader or the Vulkan loader is missing.
 */
export function useSwiftShaderForTests(): string {
  const icd = findIcd();
  const missing = [
    icd ? undefined : "SwiftShader's vk_swiftshader_icd.json (package chromium-common)",
    vulkanLoaderInstalled() ? undefined : "the Vulkan loader libvulkan.so.1 (package libvulkan1)",
  ].filter(Boolean);
  if (missing.length) {
    throw new Error(
      `WebGPU tests run on SwiftShader, and this machine lacks ${missing.join(" and ")}. Install them with: ${SWIFTSHADER_APT_COMMAND}`,
    );
  }
  process.env.VK_DRIVER_FILES = icd;
  process.env.VK_ICD_FILENAMES = icd;
  return icd!;
}
