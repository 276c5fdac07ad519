// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header naming each tensor's dtype, shape and [begin, end) byte range
// in the data that follows, and an optional __metadata__ of string -> string. Decoding checks
// what the reference implementation checks (header size and start, known dtypes, ranges that
// tile the data exactly, sizes that match the shapes), with messages naming the tensor.

import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SafetensorError } from "./errors";
import type { TorchDtype } from "./torch-file";

export type SafetensorsDtype = "F16" | "BF16" | "F32" | "F64" | "I64" | "I32" | "I16" | "I8" | "U8" | "U16" | "U32" | "U64" | "BOOL";

export type SafetensorsData =
  | Uint16Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** The elements in row-major order; F16 and BF16 as their bit patterns. */
  data: SafetensorsData;
}

export interface NamedSafetensorsTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: readonly number[];
  data: SafetensorsData;
}

export interface DecodedSafetensors {
  /** In the order of their data in the file. */
  tensors: Map<string, SafetensorsTensor>;
  /** The header's __metadata__ ({} when absent). */
  metadata: Record<string, string>;
}

/** The reference implementation's limit on the JSON header. */
export const MAX_HEADER_BYTES = 100_000_000;

interface DtypeInfo {
  size: number;
  make: (buffer: ArrayBuffer) => SafetensorsData;
  is: (data: SafetensorsData) => boolean;
}

const dtypes: Readonly<Record<SafetensorsDtype, DtypeInfo>> = {
  F64: { size: 8, make: (b) => new Float64Array(b), is: (d) => d instanceof Float64Array },
  I64: { size: 8, make: (b) => new BigInt64Array(b), is: (d) => d instanceof BigInt64Array },
  U64: { size: 8, make: (b) => new BigUint64Array(b), is: (d) => d instanceof BigUint64Array },
  F32: { size: 4, make: (b) => new Float32Array(b), is: (d) => d instanceof Float32Array },
  I32: { size: 4, make: (b) => new Int32Array(b), is: (d) => d instanceof Int32Array },
  U32: { size: 4, make: (b) => new Uint32Array(b), is: (d) => d instanceof Uint32Array },
  F16: { size: 2, make: (b) => new Uint16Array(b), is: (d) => d instanceof Uint16Array },
  BF16: { size: 2, make: (b) => new Uint16Array(b), is: (d) => d instanceof Uint16Array },
  I16: { size: 2, make: (b) => new Int16Array(b), is: (d) => d instanceof Int16Array },
  U16: { size: 2, make: (b) => new Uint16Array(b), is: (d) => d instanceof Uint16Array },
  I8: { size: 1, make: (b) => new Int8Array(b), is: (d) => d instanceof Int8Array },
  U8: { size: 1, make: (b) => new Uint8Array(b), is: (d) => d instanceof Uint8Array },
  BOOL: { size: 1, make: (b) => new Uint8Array(b), is: (d) => d instanceof Uint8Array },
};

const arrayNames: Readonly<Record<SafetensorsDtype, string>> = {
  F64: "Float64Array",
  I64: "BigInt64Array",
  U64: "BigUint64Array",
  F32: "Float32Array",
  I32: "Int32Array",
  U32: "Uint32Array",
  F16: "Uint16Array",
  BF16: "Uint16Array",
  I16: "Int16Array",
  U16: "Uint16Array",
  I8: "Int8Array",
  U8: "Uint8Array",
  BOOL: "Uint8Array",
};

const torchDtypes: Readonly<Record<TorchDtype, SafetensorsDtype>> = {
  float16: "F16",
  bfloat16: "BF16",
  float32: "F32",
  float64: "F64",
  int64: "I64",
  int32: "I32",
  int16: "I16",
  int8: "I8",
  uint8: "U8",
  bool: "BOOL",
};

/** The safetensors dtype code of a torch dtype ("float16" → "F16"). */
export function safetensorsDtypeOf(dtype: TorchDtype): SafetensorsDtype {
  return torchDtypes[dtype];
}

function isDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === "string" && Object.hasOwn(dtypes, value);
}

function requireLittleEndianHost(): void {
  // Typed arrays use the host's byte order and the format is little-endian.
  if (os.endianness() !== "LE") throw new SafetensorError("safetensors needs a little-endian host");
}

/** Element count of a shape, or undefined when a dimension is not a non-negative safe integer. */
function numelOf(shape: readonly unknown[]): number | undefined {
  let n = 1;
  for (const dim of shape) {
    if (typeof dim !== "number" || !Number.isSafeInteger(dim) || dim < 0) return undefined;
    n *= dim;
    if (!Number.isSafeInteger(n)) return undefined;
  }
  return n;
}

/**
 * Encodes tensors as safetensors: sorted by element size (largest first) then name, so each
 * tensor's data is aligned to its element size, and the header padded with spaces to 8 bytes.
 */
export function encodeSafetensors(tensors: readonly NamedSafetensorsTensor[], metadata?: Record<string, string>): Uint8Array {
  requireLittleEndianHost();
  const seen = new Set<string>();
  for (const t of tensors) {
    if (typeof t.name !== "string" || t.name.length === 0 || t.name === "__metadata__")
      throw new SafetensorError(`invalid tensor name ${JSON.stringify(t.name)}`);
    if (seen.has(t.name)) throw new SafetensorError(`tensor '${t.name}' is given twice`);
    seen.add(t.name);
    if (!isDtype(t.dtype)) throw new SafetensorError(`tensor '${t.name}': unknown dtype ${JSON.stringify(t.dtype)}`);
    const numel = numelOf(t.shape);
    if (numel === undefined) throw new SafetensorError(`tensor '${t.name}': invalid shape ${JSON.stringify(t.shape)}`);
    if (!dtypes[t.dtype].is(t.data))
      throw new SafetensorError(
        `tensor '${t.name}': ${t.dtype} data must be a ${arrayNames[t.dtype]}, not ${t.data?.constructor?.name ?? typeof t.data}`,
      );
    if (t.data.length !== numel)
      throw new SafetensorError(
        `tensor '${t.name}': shape [${t.shape.join(", ")}] has ${numel} elements but the data has ${t.data.length}`,
      );
  }
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== "string") throw new SafetensorError(`metadata '${key}' must be a string, not ${typeof value}`);
    }
  }

  const ordered = [...tensors].sort(
    (a, b) => dtypes[b.dtype].size - dtypes[a.dtype].size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of ordered) {
    const end = offset + t.data.byteLength;
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, end] };
    offset = end;
  }
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const headerLength = Math.ceil(json.length / 8) * 8;
  if (headerLength > MAX_HEADER_BYTES)
    throw new SafetensorError(`the header would be ${headerLength} bytes, over the limit of ${MAX_HEADER_BYTES}`);

  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const t of ordered) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes and validates safetensors bytes; tensor data is copied into fresh, aligned arrays. */
export function decodeSafetensors(bytes: Uint8Array, name = "safetensors data"): DecodedSafetensors {
  requireLittleEndianHost();
  const fail = (message: string) => new SafetensorError(`${name}: ${message}`);
  if (bytes.length < 8) throw fail(`the file is ${bytes.length} bytes, too small to hold the 8-byte header length`);
  const declared = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) throw fail(`the header length ${declared} is over the limit of ${MAX_HEADER_BYTES} bytes`);
  const headerLength = Number(declared);
  if (8 + headerLength > bytes.length)
    throw fail(`the header length ${headerLength} runs past the end of the ${bytes.length}-byte file (truncated?)`);

  let text: string;
  try {
    text = strictUtf8.decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw fail("the header is not valid UTF-8");
  }
  if (!text.startsWith("{")) throw fail("the header does not start with '{'");
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw fail(`the header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw fail("the header is not a JSON object");

  const entries = Object.entries(header as Record<string, unknown>);
  const metadata: Record<string, string> = Object.create(null);
  const described: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [key, value] of entries) {
    if (key === "__metadata__") {
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw fail("__metadata__ is not an object");
      for (const [metaKey, metaValue] of Object.entries(value)) {
        if (typeof metaValue !== "string") throw fail(`__metadata__ '${metaKey}' is not a string`);
        metadata[metaKey] = metaValue;
      }
      continue;
    }
    if (typeof value !== "object" || value === null) throw fail(`tensor '${key}' is not described by an object`);
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (!isDtype(dtype)) throw fail(`tensor '${key}' has unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape)) throw fail(`tensor '${key}' has no shape list`);
    const numel = numelOf(shape);
    if (numel === undefined) throw fail(`tensor '${key}' has invalid shape ${JSON.stringify(shape).slice(0, 80)}`);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => typeof o === "number" && Number.isSafeInteger(o) && o >= 0)
    ) {
      throw fail(`tensor '${key}' has invalid data_offsets ${JSON.stringify(offsets)?.slice(0, 80)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) throw fail(`tensor '${key}' has data_offsets [${begin}, ${end}] that end before they begin`);
    const expected = numel * dtypes[dtype].size;
    if (end - begin !== expected)
      throw fail(
        `tensor '${key}' of ${dtype} shape [${shape.join(", ")}] needs ${expected} bytes but data_offsets [${begin}, ${end}] give ${end - begin}`,
      );
    described.push({ name: key, dtype, shape: shape as number[], begin, end });
  }

  // The ranges must tile the data exactly: no gaps, no overlaps, nothing left over.
  const dataLength = bytes.length - 8 - headerLength;
  described.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  for (const t of described) {
    if (t.begin !== expectedBegin) {
      throw fail(
        t.begin < expectedBegin
          ? `tensor '${t.name}' at [${t.begin}, ${t.end}] overlaps the tensor before it (which ends at ${expectedBegin})`
          : `there is a gap of ${t.begin - expectedBegin} bytes before tensor '${t.name}' at [${t.begin}, ${t.end}]`,
      );
    }
    expectedBegin = t.end;
  }
  if (expectedBegin !== dataLength) {
    throw fail(
      expectedBegin > dataLength
        ? `the tensors need ${expectedBegin} bytes of data but the file has ${dataLength} after the header (truncated?)`
        : `the file has ${dataLength - expectedBegin} bytes after the last tensor's data`,
    );
  }

  const start = 8 + headerLength;
  const tensors = new Map<string, SafetensorsTensor>();
  for (const t of described) {
    // A copy in a fresh buffer, aligned for any element size (a Buffer's slice() would be a view).
    const copy = new Uint8Array(bytes.subarray(start + t.begin, start + t.end));
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data: dtypes[t.dtype].make(copy.buffer) });
  }
  return { tensors, metadata: { ...metadata } };
}

/** Reads and decodes a .safetensors file. */
export async function readSafetensorsFile(file: string): Promise<DecodedSafetensors> {
  return decodeSafetensors(await fs.readFile(file), file);
}

/**
 * Writes a .safetensors file atomically: to a temporary file in the same folder, flushed,
 * then renamed over `file`, so readers never see a half-written file.
 */
export async function writeSafetensorsFile(
  file: string,
  tensors: readonly NamedSafetensorsTensor[],
  metadata?: Record<string, string>,
): Promise<void> {
  const bytes = encodeSafetensors(tensors, metadata);
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const handle = await fs.open(temp, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}
