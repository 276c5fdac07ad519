// WebGPU through Dawn: which adapters selection may take, and the hooks that make the
// backend safe to train on (errors thrown, sync reads explained, many-input kernels split, Pad and binary ops past rank 4).
export { classifyAdapter, classifyGpuAdapter, skippedSoftwareAdapter, type AdapterKind, type AdapterInfoLike } from "./adapter-kind";
export { installWebgpuBackend } from "./install";
export { WebGPUDeviceError } from "./device-errors";
export { SYNC_READ_MESSAGE } from "./sync-read";
export { maxInputsPerProgram } from "./many-input-kernels";
export { stockWebgpuKernel } from "./kernel-replacements";
export { webgpuDeviceMemory, type WebgpuDeviceMemory } from "./device-memory";
