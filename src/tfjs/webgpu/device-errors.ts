// Dawn reports a failed validation (a pipeline over a limit, a bad buffer) through the
// device's 'uncapturederror' event and carries on: the op's result is zeros or garbage and
// nothing throws. Wrong numbers without an error are the worst failure, so every such
// error is thrown: from the device call that caused it when Dawn reports it there (pipeline
// and bind group creation), else from the next op or read on the backend.

/** The parts of tfjs-backend-webgpu's WebGPUBackend that the hooks wrap. */
export interface WebgpuBackendLike {
  device: GpuDeviceLike;
  runWebGPUProgram(
    program: { constructor: { name: string }; shaderKey?: string },
    inputs: unknown[],
    ...rest: unknown[]
  ): { dataId: object };
  read(dataId: object): Promise<unknown>;
  readSync(dataId: object): unknown;
  disposeData(dataId: object, force?: boolean): boolean;
}

export interface GpuDeviceLike {
  limits: { maxStorageBuffersPerShaderStage: number; [k: string]: number };
  lost?: Promise<{ reason?: string; message?: string }>;
  addEventListener(
    type: "uncapturederror",
    listener: (ev: { error: { message: string; constructor: { name: string } }; preventDefault?(): void }) => void,
  ): void;
  adapterInfo?: Record<string, unknown>;
}

export class WebGPUDeviceError extends Error {
  constructor(message: string, name: string) {
    super(message);
    this.name = name;
  }
}

/** One error as Dawn reported it: its class name (GPUValidationError, ...) and text. */
interface Reported {
  name: string;
  message: string;
  during?: string;
}

/** 'GPUValidationError' -> 'validation error', for the message. */
function kindOf(name: string): string {
  return name
    .replace(/^GPU/, "")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase();
}

function toError(reports: Reported[], consequence: string): WebGPUDeviceError {
  const [first] = reports;
  const where = first.during ? ` while running ${first.during}` : "";
  const more = reports.length > 1 ? ` (and ${reports.length - 1} more after it)` : "";
  return new WebGPUDeviceError(`WebGPU ${kindOf(first.name)}${where}${more}; ${consequence}:\n${first.message.trim()}`, first.name);
}

/** What a caught error means for the results, by where it was caught. */
const AT_THE_CALL = "the op was not run";
const LATER = "ops queued since the last read may not have run, so their results are not valid";

/**
 * Device calls whose errors Dawn reports synchronously, inside the call. Throwing there,
 * before the op records its dispatch, keeps the invalid pipeline out of the command
 * buffer: otherwise the whole buffer, with the valid ops queued beside it, fails at submit.
 */
const CHECKED_DEVICE_CALLS = ["createComputePipeline", "createBindGroup", "createBuffer", "createShaderModule"] as const;

const hooked = new WeakSet<object>();

/** Makes the device's errors throw from the call, op or read that follows them (idempotent per backend). */
export function surfaceDeviceErrors(backend: WebgpuBackendLike): void {
  if (hooked.has(backend)) return;
  hooked.add(backend);
  const pending: Reported[] = [];
  let running: string | undefined;
  const device = backend.device;
  device.addEventListener("uncapturederror", (ev) => {
    pending.push({ name: ev.error.constructor.name, message: ev.error.message, during: running });
    ev.preventDefault?.(); // it is thrown, so Dawn need not print it as well
  });
  void device.lost?.then((info) => {
    if (info.reason !== "destroyed") pending.push({ name: "GPUDeviceLostError", message: info.message ?? "the device was lost" });
  });
  const throwPending = (consequence = LATER): void => {
    if (pending.length) throw toError(pending.splice(0), consequence);
  };

  const calls = device as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of CHECKED_DEVICE_CALLS) {
    const call = calls[name]?.bind(device);
    if (!call) continue;
    calls[name] = (...args: unknown[]) => {
      const made = call(...args);
      throwPending(AT_THE_CALL);
      return made;
    };
  }
  const run = backend.runWebGPUProgram.bind(backend);
  backend.runWebGPUProgram = (program, inputs, ...rest) => {
    throwPending();
    running = `'${program.constructor.name}'`;
    try {
      return run(program, inputs, ...rest);
    } finally {
      running = undefined;
    }
  };
  // Errors found at submit (an encoder's finish, the queue) invalidate every op since the last one.
  const read = backend.read.bind(backend);
  backend.read = async (dataId) => {
    throwPending();
    const values = await read(dataId);
    throwPending();
    return values;
  };
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId) => {
    throwPending();
    const values = readSync(dataId);
    throwPending();
    return values;
  };
}
