import { formatSize } from "./format";

export interface OutOfMemoryDetails {
  requested: number;
  capacity: number;
  allocated: number;
  reserved: number;
  /** Where it happened, e.g. "train" or "val". */
  phase?: string;
  /** True when the capacity is a declared budget, not a real device limit. */
  simulated: boolean;
  backend: string;
}

/**
 * PyTorch's torch.OutOfMemoryError, with the message of its CUDA caching allocator
 * (PyTorch 2.x wording), and a note saying when the limit is simulated.
 */
export class OutOfMemoryError extends Error {
  constructor(readonly details: OutOfMemoryDetails) {
    super(outOfMemoryMessage(details));
    this.name = "OutOfMemoryError";
  }
}

export function outOfMemoryMessage(d: OutOfMemoryDetails): string {
  const free = Math.max(0, d.capacity - d.reserved);
  let msg =
    `CUDA out of memory. Tried to allocate ${formatSize(d.requested)}. ` +
    `GPU 0 has a total capacity of ${formatSize(d.capacity)} of which ${formatSize(free)} is free. ` +
    `Including non-PyTorch memory, this process has ${formatSize(d.reserved)} memory in use. ` +
    `Of the allocated memory ${formatSize(d.allocated)} is allocated by PyTorch, and ` +
    `${formatSize(d.reserved - d.allocated)} is reserved by PyTorch but unallocated. ` +
    `If reserved but unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True ` +
    `to avoid fragmentation.  See documentation for Memory Management  ` +
    `(https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)`;
  if (d.simulated) {
    msg += ` (simulated: budget set by setMemoryBudget; backend ${d.backend} has no device memory limit`;
    msg += d.phase ? `; failed during ${d.phase})` : ")";
  }
  return msg;
}
