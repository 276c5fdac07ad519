// Software or hardware: a WebGPU adapter that emulates a GPU on the CPU (SwiftShader,
// llvmpipe, lavapipe, WARP) is far slower than the wasm backend, so selection never takes
// one unless webgpu is asked for by name.

/** The fields of GPUAdapterInfo (or the older requestAdapterInfo()) that name an adapter. */
export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

export interface AdapterKind {
  /** A short human name, e.g. 'SwiftShader driver 5.0.0'. */
  name: string;
  software: boolean;
  /** Why it counts as software, when it does. */
  why?: string;
}

/** Names of CPU rasterisers that drivers report as adapters. */
const SOFTWARE_NAMES: [RegExp, string][] = [
  [/swiftshader/i, "SwiftShader"],
  [/llvmpipe/i, "llvmpipe"],
  [/lavapipe/i, "lavapipe"],
  [/softpipe/i, "softpipe"],
  [/microsoft basic render driver/i, "Microsoft Basic Render Driver"],
  [/\bwarp\b/i, "WARP"],
];

export function adapterName(info: AdapterInfoLike): string {
  const parts = [info.description, info.device, [info.vendor, info.architecture].filter(Boolean).join(" ")];
  return parts.map((p) => p?.trim()).find((p) => p) ?? "unnamed adapter";
}

export function classifyAdapter(info: AdapterInfoLike, adapterIsFallback?: boolean): AdapterKind {
  const name = adapterName(info);
  const text = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(" ");
  const known = SOFTWARE_NAMES.find(([re]) => re.test(text));
  if (known) return { name, software: true, why: `${known[1]}, CPU emulation` };
  // The spec's flag for an adapter that may be slow (usually software).
  if (info.isFallbackAdapter || adapterIsFallback) return { name, software: true, why: "a fallback adapter, CPU emulation" };
  return { name, software: false };
}

/** The probe's line when selection passes over a software adapter. */
export function skippedSoftwareAdapter(kind: AdapterKind, envVar: string): string {
  return `skipped the software adapter '${kind.name}' (${kind.why}, slower than wasm); ${envVar}=webgpu uses it`;
}

interface AdapterLike {
  info?: AdapterInfoLike;
  isFallbackAdapter?: boolean;
  requestAdapterInfo?: () => Promise<AdapterInfoLike>;
}

/** Reads an adapter's info through whichever API this WebGPU implementation has. */
export async function classifyGpuAdapter(adapter: unknown): Promise<AdapterKind> {
  const a = adapter as AdapterLike;
  const info = a.info ?? (a.requestAdapterInfo ? await a.requestAdapterInfo() : {});
  return classifyAdapter(info, a.isFallbackAdapter);
}
