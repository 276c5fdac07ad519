/**
 * A model of PyTorch's CUDA caching allocator, fed with the real allocation and free
 * events of TensorFlow.js tensors (one event per data buffer). It exists so that a CPU
 * or WebGPU run can show the memory figures a CUDA user sees, and fail the way they fail.
 *
 * What it models (c10/cuda/CUDACachingAllocator.cpp, simplified):
 * - Requests are rounded up to 512 bytes. Requests of at most 1 MiB come from a small
 *   pool of 2 MiB segments; larger ones from a large pool: 20 MiB segments for requests
 *   under 10 MiB, otherwise the request rounded up to 2 MiB.
 * - A request takes the best-fitting free block of its pool (smallest that fits) and the
 *   block is split when the remainder is worth keeping; otherwise a new segment is
 *   "cudaMalloc'ed" and `reserved` grows.
 * - Freed blocks go back to the cache (merged with free neighbours in their segment),
 *   never to the device: `reserved` only grows. That is why, on the H100 figures in
 *   test/fixtures/yolov5-v7.0-h100-memory.json, a validation pass at twice the training
 *   batch grows reserved memory although its peak is far below the training peak: its
 *   activations are larger than any cached block, so they need new segments on top of
 *   the ones training keeps (e.g. yolov5n amp, train 16: reserved 2118 MiB; val 32 peak
 *   703 MiB; reserved after val 2294 MiB). With the same batch, val fits in the cache.
 * - When a new segment would exceed the device capacity, fully free segments are released
 *   (as PyTorch does before giving up) and the request retried; if it still does not fit,
 *   the allocation fails with the figures the CUDA out-of-memory message reports.
 * What it does not model: streams, expandable segments, the CUDA context, kernel workspaces
 * (cuDNN), other processes; tfjs's own buffer reuse (WebGPU) is hidden from it.
 */

const SMALL_SIZE = 1 << 20; // requests up to this come from the small pool
const SMALL_SEGMENT = 2 << 20; // small pool segment size
const LARGE_SEGMENT = 20 << 20; // large pool segment for requests under MIN_LARGE_ALLOC
const MIN_LARGE_ALLOC = 10 << 20;
const ROUND_LARGE = 2 << 20;
const MIN_BLOCK = 512;

interface Block {
  segment: Segment;
  offset: number;
  size: number;
  free: boolean;
  prev?: Block;
  next?: Block;
}
interface Segment {
  size: number;
  small: boolean;
  head: Block;
  seq: number;
}

/** Free blocks of one pool ordered as best fit searches them: size, then segment age, then offset. */
class FreeBlocks {
  private readonly blocks: Block[] = [];
  private static before(a: Block, b: Block): boolean {
    return a.size !== b.size ? a.size < b.size : a.segment.seq !== b.segment.seq ? a.segment.seq < b.segment.seq : a.offset < b.offset;
  }
  private position(b: Block): number {
    let lo = 0,
      hi = this.blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (FreeBlocks.before(this.blocks[mid], b)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  insert(b: Block): void {
    this.blocks.splice(this.position(b), 0, b);
  }
  remove(b: Block): void {
    const i = this.position(b);
    if (this.blocks[i] === b) this.blocks.splice(i, 1);
  }
  /** The smallest free block of at least `size` (the first such in segment order). */
  bestFit(size: number): Block | undefined {
    let lo = 0,
      hi = this.blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.blocks[mid].size < size) lo = mid + 1;
      else hi = mid;
    }
    return this.blocks[lo];
  }
}

export interface AllocatorStats {
  /** Bytes held by live blocks (PyTorch's memory_allocated). */
  allocated: number;
  /** Bytes in segments obtained from the device (memory_reserved). */
  reserved: number;
  peakAllocated: number;
  peakReserved: number;
  segments: number;
}

/** Thrown by `allocate` when the device capacity would be exceeded. */
export class AllocationFailure extends Error {
  constructor(
    readonly requested: number,
    readonly stats: AllocatorStats,
    readonly capacity: number,
  ) {
    super(`allocation of ${requested} bytes exceeds capacity ${capacity}`);
  }
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

export class CachingAllocator {
  private readonly segments: Segment[] = [];
  // Best fit looks up free blocks by size instead of walking every block of every segment:
  // a training step makes thousands of allocations.
  private readonly freeSmall = new FreeBlocks();
  private readonly freeLarge = new FreeBlocks();
  private segmentSeq = 0;
  private allocated = 0;
  private reserved = 0;
  private peakAllocated = 0;
  private peakReserved = 0;

  /** `capacity` in bytes; Infinity for no limit. */
  constructor(public capacity = Infinity) {}

  /** Allocates `bytes`; returns a handle for `free`. Throws AllocationFailure over capacity unless `force`. */
  allocate(bytes: number, force = false): Block {
    const size = Math.max(MIN_BLOCK, roundUp(bytes, MIN_BLOCK));
    const small = size <= SMALL_SIZE;
    let block = this.bestFit(size, small);
    if (!block) {
      const segSize = small ? SMALL_SEGMENT : size < MIN_LARGE_ALLOC ? LARGE_SEGMENT : roundUp(size, ROUND_LARGE);
      if (!force && this.reserved + segSize > this.capacity) {
        this.releaseFreeSegments();
        if (this.reserved + segSize > this.capacity) throw new AllocationFailure(size, this.stats(), this.capacity);
      }
      const segment: Segment = { size: segSize, small, head: undefined as unknown as Block, seq: this.segmentSeq++ };
      segment.head = { segment, offset: 0, size: segSize, free: true };
      this.segments.push(segment);
      this.reserved += segSize;
      this.peakReserved = Math.max(this.peakReserved, this.reserved);
      block = segment.head;
    } else {
      this.pool(block).remove(block);
    }
    this.split(block, size);
    block.free = false;
    this.allocated += block.size;
    this.peakAllocated = Math.max(this.peakAllocated, this.allocated);
    return block;
  }

  free(block: Block): void {
    if (block.free) return;
    block.free = true;
    this.allocated -= block.size;
    // merge with free neighbours so the segment can serve larger requests again
    let merged = block;
    if (block.next?.free) {
      this.pool(block.next).remove(block.next);
      this.merge(block, block.next);
    }
    if (block.prev?.free) {
      this.pool(block.prev).remove(block.prev);
      this.merge(block.prev, block);
      merged = block.prev;
    }
    this.pool(merged).insert(merged);
  }

  private pool(b: Block): FreeBlocks {
    return b.segment.small ? this.freeSmall : this.freeLarge;
  }

  stats(): AllocatorStats {
    return {
      allocated: this.allocated,
      reserved: this.reserved,
      peakAllocated: this.peakAllocated,
      peakReserved: this.peakReserved,
      segments: this.segments.length,
    };
  }

  /** torch.cuda.reset_peak_memory_stats(). */
  resetPeaks(): void {
    this.peakAllocated = this.allocated;
    this.peakReserved = this.reserved;
  }

  /** torch.cuda.empty_cache(): gives fully free segments back to the device. */
  releaseFreeSegments(): void {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i];
      if (s.head.free && !s.head.next) {
        this.pool(s.head).remove(s.head);
        this.reserved -= s.size;
        this.segments.splice(i, 1);
      }
    }
  }

  private bestFit(size: number, small: boolean): Block | undefined {
    return (small ? this.freeSmall : this.freeLarge).bestFit(size);
  }

  private split(block: Block, size: number): void {
    const remaining = block.size - size;
    // PyTorch keeps a remainder of a small block if >= 512 B, of a large block if > 1 MiB
    const worth = block.segment.small ? remaining >= MIN_BLOCK : remaining > SMALL_SIZE;
    if (!worth) return;
    const rest: Block = { segment: block.segment, offset: block.offset + size, size: remaining, free: true, prev: block, next: block.next };
    if (block.next) block.next.prev = rest;
    block.next = rest;
    block.size = size;
    this.pool(rest).insert(rest);
  }

  private merge(a: Block, b: Block): void {
    a.size += b.size;
    a.next = b.next;
    if (b.next) b.next.prev = a;
  }
}

export type AllocatorBlock = Block;
