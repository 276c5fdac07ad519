// Reads checkpoints written by torch.save (the zip format of torch >= 1.6) without running
// any of their code: the zip gives data.pkl and one entry per storage, and the pickle is
// unpickled with an allow-list of exactly the globals torch.save writes for tensors and
// modules. Tensors become TorchTensor views over their storage's bytes; modules (YOLOv5's
// DetectionModel, torch.nn layers) become inert PyObject records holding their __dict__.

import { promises as fs } from "node:fs";
import * as os from "node:os";
import { TorchFileError, UnpicklingError } from "./errors";
import { bfloat16ToFloat32Array, float16ToFloat32Array } from "./float16";
import {
  PyDict,
  PyGlobal,
  type PyHostValue,
  PyObject,
  PySet,
  PyTuple,
  type PyValue,
  recordClass,
  safeDataGlobal,
  typeName,
  unpickle,
} from "./pickle";
import { ZipArchive, type ZipLimits, defaultZipLimits, looksLikeZip } from "./zip-reader";

export type TorchDtype = "float16" | "bfloat16" | "float32" | "float64" | "int64" | "int32" | "int16" | "int8" | "uint8" | "bool";

export type StorageArray = Uint16Array | Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/** Bytes per element of each dtype. */
export const dtypeSize: Readonly<Record<TorchDtype, number>> = {
  float16: 2,
  bfloat16: 2,
  float32: 4,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** torch's legacy storage classes, as persistent ids name them. */
const storageDtypes: Readonly<Record<string, TorchDtype>> = {
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
  FloatStorage: "float32",
  DoubleStorage: "float64",
  LongStorage: "int64",
  IntStorage: "int32",
  ShortStorage: "int16",
  CharStorage: "int8",
  ByteStorage: "uint8",
  BoolStorage: "bool",
  UntypedStorage: "uint8",
};

/** torch.<name> dtype globals and the dtype they stand for. */
const dtypeGlobals: Readonly<Record<string, TorchDtype>> = {
  float16: "float16",
  half: "float16",
  bfloat16: "bfloat16",
  float32: "float32",
  float: "float32",
  float64: "float64",
  double: "float64",
  int64: "int64",
  long: "int64",
  int32: "int32",
  int: "int32",
  int16: "int16",
  short: "int16",
  int8: "int8",
  uint8: "uint8",
  bool: "bool",
};

/** Most dimensions a tensor may have (torch's own limit). */
const MAX_DIMS = 64;
/**
 * Most elements of a tensor that reads the same storage element more than once (a zero
 * stride, as torch.expand makes): its logical size is not bounded by the file, so it is capped.
 */
const MAX_EXPANDED_NUMEL = 1 << 26;

const REFUSAL =
  "only the classes and functions torch.save writes for tensors and modules are allowed (this file is not a checkpoint, or it was made to run code)";

/** A dtype value (torch.float16, ...) named by the pickle. */
export class TorchDtypeValue implements PyHostValue {
  readonly pyClass = "torch.dtype";
  constructor(readonly dtype: TorchDtype) {}
}

/** One storage of the checkpoint: `numel` elements of `dtype`, read from the zip entry data/<key>. */
export class TorchStorage implements PyHostValue {
  readonly pyClass = "torch.storage";
  private elements: StorageArray | undefined;

  constructor(
    readonly key: string,
    readonly dtype: TorchDtype,
    readonly numel: number,
    readonly location: string,
    /** The raw bytes, in the file's byte order. */
    readonly bytes: Uint8Array,
    readonly byteorder: "little" | "big",
  ) {}

  /** The elements as a typed array (float16/bfloat16 as their bit patterns), in host byte order. */
  array(): StorageArray {
    if (!this.elements) {
      const size = dtypeSize[this.dtype];
      const copy = new Uint8Array(this.bytes); // a copy: aligned, and ours to byte-swap (Buffer.slice would be a view)
      if (this.byteorder === "big" && size > 1) swapBytes(copy, size);
      this.elements = typedArrayOf(this.dtype, copy.buffer);
    }
    return this.elements;
  }
}

/** A tensor of the checkpoint: a strided view of a storage, read on demand. */
export class TorchTensor implements PyHostValue {
  readonly pyClass: string;

  constructor(
    readonly storage: TorchStorage,
    readonly storageOffset: number,
    readonly shape: number[],
    readonly stride: number[],
    readonly requiresGrad = false,
    /** True for torch.nn.Parameter (weights and biases), false for plain tensors and buffers. */
    readonly isParameter = false,
  ) {
    this.pyClass = isParameter ? "torch.nn.parameter.Parameter" : "torch.Tensor";
  }

  get dtype(): TorchDtype {
    return this.storage.dtype;
  }

  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** The elements in row-major order, in the storage's own typed array type. */
  toTypedArray(): StorageArray {
    const source = this.storage.array();
    const n = this.numel;
    if (isContiguous(this.shape, this.stride)) return source.slice(this.storageOffset, this.storageOffset + n);
    const out = typedArrayOf(this.dtype, new ArrayBuffer(n * dtypeSize[this.dtype]));
    gather(source, out, this.storageOffset, this.shape, this.stride);
    return out;
  }

  /** The values as float32, row-major; float16/bfloat16 decoded exactly, int64 rounded to the nearest float32. */
  toFloat32(): Float32Array {
    const values = this.toTypedArray();
    if (this.dtype === "float16") return float16ToFloat32Array(values as Uint16Array);
    if (this.dtype === "bfloat16") return bfloat16ToFloat32Array(values as Uint16Array);
    if (values instanceof Float32Array) return values;
    if (values instanceof BigInt64Array) return Float32Array.from(values, (v) => Number(v));
    return Float32Array.from(values as ArrayLike<number>);
  }

  /** The values as int32, for integer and bool tensors; fails for floats or int64 values out of range. */
  toInt32(): Int32Array {
    const values = this.toTypedArray();
    if (this.dtype === "float16" || this.dtype === "bfloat16" || this.dtype === "float32" || this.dtype === "float64") {
      throw new TorchFileError(`toInt32() of a ${this.dtype} tensor: use toFloat32()`);
    }
    if (values instanceof BigInt64Array) {
      return Int32Array.from(values, (v) => {
        if (v < -2147483648n || v > 2147483647n) throw new TorchFileError(`int64 value ${v} does not fit in int32`);
        return Number(v);
      });
    }
    return values instanceof Int32Array ? values : Int32Array.from(values as ArrayLike<number>);
  }
}

/** What torch.save was given (a checkpoint dict, a module record, a state_dict), as unpickled. */
export type TorchFile = PyValue;

/** A torch.save archive: the unpickled root and what the zip held around it. */
export interface TorchArchive {
  /** The path or name the bytes came from. */
  readonly name: string;
  /** The zip's top folder (e.g. "best"). */
  readonly archiveName: string;
  /** The unpickled object torch.save was given. */
  readonly root: PyValue;
  /** Every storage the pickle referenced, by key. */
  readonly storages: ReadonlyMap<string, TorchStorage>;
  readonly byteorder: "little" | "big";
  /** The archive's format version (the `version` entry), when present. */
  readonly version: string | undefined;
}

export interface TorchFileOptions {
  zipLimits?: Partial<ZipLimits>;
  /** Deepest container nesting allowed in data.pkl (default 1000). */
  maxDepth?: number;
}

/** Reads a torch.save file from disk: the object that was saved. See parseTorchArchive. */
export async function readTorchFile(path: string, options?: TorchFileOptions): Promise<TorchFile> {
  return parseTorchArchive(await fs.readFile(path), path, options).root;
}

/** Parses torch.save bytes: the object that was saved. See parseTorchArchive. */
export function parseTorchFile(bytes: Uint8Array, name?: string, options?: TorchFileOptions): TorchFile {
  return parseTorchArchive(bytes, name, options).root;
}

/** Reads a torch.save file from disk with its storages and archive details. */
export async function readTorchArchive(path: string, options?: TorchFileOptions): Promise<TorchArchive> {
  return parseTorchArchive(await fs.readFile(path), path, options);
}

/**
 * Parses torch.save bytes. Throws BadZipFile (container), UnpicklingError (data.pkl, including
 * refused globals) or TorchFileError (storages and tensors inconsistent with their entries).
 */
export function parseTorchArchive(bytes: Uint8Array, name = "<bytes>", options: TorchFileOptions = {}): TorchArchive {
  if (os.endianness() !== "LE") throw new TorchFileError("reading torch files needs a little-endian host");
  if (!looksLikeZip(bytes)) throw notAZip(bytes, name);
  const zip = new ZipArchive(bytes, name, { ...defaultZipLimits, ...options.zipLimits });
  const archiveName = findArchiveName(zip, name);
  const entry = (path: string) => `${archiveName}/${path}`;
  const text = (path: string) => (zip.has(entry(path)) ? new TextDecoder().decode(zip.read(entry(path))).trim() : undefined);

  const byteorderText = text("byteorder") ?? "little";
  if (byteorderText !== "little" && byteorderText !== "big")
    throw new TorchFileError(`${name}: unknown byteorder '${byteorderText.slice(0, 20)}'`);
  const byteorder: "little" | "big" = byteorderText;

  const storages = new Map<string, TorchStorage>();
  const persistentLoad = (pid: PyValue): PyValue => {
    const storage = loadStorage(pid, zip, entry, byteorder, name);
    const known = storages.get(storage.key);
    if (known) {
      if (known.dtype !== storage.dtype)
        throw new TorchFileError(`${name}: storage '${storage.key}' is loaded as both ${known.dtype} and ${storage.dtype}`);
      return known;
    }
    storages.set(storage.key, storage);
    return storage;
  };

  const root = unpickle(zip.read(entry("data.pkl")), {
    source: entry("data.pkl"),
    findGlobal: torchGlobal,
    refusalReason: REFUSAL,
    persistentLoad,
    maxDepth: options.maxDepth,
  });
  return { name, archiveName, root, storages, byteorder, version: text("version") };
}

/** Why bytes that are not a zip cannot be read: the legacy format gets its own advice. */
function notAZip(bytes: Uint8Array, name: string): TorchFileError {
  // Legacy torch.save (before 1.6) starts with a protocol-2 pickle of its magic number as LONG1.
  const legacyMagic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
  if (legacyMagic.every((b, i) => bytes[i] === b)) {
    return new TorchFileError(
      `${name} is in the legacy torch.save format (torch < 1.6), which this reader does not support: ` +
        `re-save it with a newer torch, e.g. torch.save(torch.load(path), path)`,
    );
  }
  return new TorchFileError(
    `${name} is not a torch.save file: it is not a zip archive (PytorchStreamReader failed reading zip archive: failed finding central directory)`,
  );
}

/** The top folder holding data.pkl: torch writes every entry under one such folder. */
function findArchiveName(zip: ZipArchive, name: string): string {
  const candidates = zip.names().filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  const first = zip.names()[0]?.split("/")[0];
  const chosen = candidates.find((n) => n.startsWith(`${first}/`)) ?? candidates[0];
  if (!chosen) {
    const torchScript = zip.names().some((n) => /^[^/]+\/constants\.pkl$/.test(n));
    throw new TorchFileError(
      torchScript
        ? `${name} is a TorchScript archive (torch.jit.save), not a torch.save checkpoint`
        : `${name} is a zip archive without a <folder>/data.pkl entry, so it is not a torch.save file`,
    );
  }
  return chosen.slice(0, chosen.indexOf("/"));
}

/** persistent_load: ('storage', torch.<Type>Storage, key, location, numel) → the storage, checked against its entry. */
function loadStorage(
  pid: PyValue,
  zip: ZipArchive,
  entry: (path: string) => string,
  byteorder: "little" | "big",
  name: string,
): TorchStorage {
  if (!(pid instanceof PyTuple) || pid.length !== 5 || pid.items[0] !== "storage") {
    throw new UnpicklingError(`unsupported persistent id ${describe(pid)}: torch.save writes ('storage', type, key, location, numel)`);
  }
  const [, type, key, location, numel] = pid.items;
  const dtype = type instanceof PyGlobal && type.module === "torch" ? storageDtypes[type.name] : undefined;
  if (!dtype) throw new UnpicklingError(`persistent id names ${typeName(type)}, not a torch storage type`);
  if (typeof key !== "string" || !/^[\w.-]{1,200}$/.test(key)) throw new UnpicklingError(`bad storage key ${describe(key)}`);
  if (typeof location !== "string") throw new UnpicklingError(`bad storage location ${describe(location)} for storage '${key}'`);
  if (!isCount(numel)) throw new UnpicklingError(`bad element count ${describe(numel)} for storage '${key}'`);
  const path = entry(`data/${key}`);
  const zipEntry = zip.entry(path);
  if (!zipEntry)
    throw new TorchFileError(
      `${name}: storage '${key}' has no entry ${path} (PytorchStreamReader failed locating file data/${key}: file not found)`,
    );
  const expected = numel * dtypeSize[dtype];
  // Checked before reading, so a storage that claims a huge size cannot make us allocate it.
  if (zipEntry.uncompressedSize !== expected) {
    throw new TorchFileError(
      `${name}: storage '${key}' declares ${numel} ${dtype} elements (${expected} bytes) but ${path} holds ${zipEntry.uncompressedSize} bytes`,
    );
  }
  return new TorchStorage(key, dtype, numel, location, zip.read(zipEntry), byteorder);
}

// --- the allow-list ---

function torchGlobal(module: string, name: string): PyValue | undefined {
  const data = safeDataGlobal(module, name);
  if (data) return data;
  if (module === "torch._utils") return rebuildGlobal(name);
  if (module === "torch._tensor" && name === "_rebuild_from_type_v2") return new PyGlobal(module, name, { call: rebuildFromType });
  if (module === "torch") {
    if (name in storageDtypes) return new PyGlobal(module, name); // named in persistent ids, never called
    if (name in dtypeGlobals) return new TorchDtypeValue(dtypeGlobals[name]);
    if (name === "Size") {
      const make = (args: readonly PyValue[]) => new PyTuple(args.length ? sizeItems(args[0]) : []);
      return new PyGlobal(module, name, { call: make, newObject: make });
    }
    if (name === "Tensor" || name === "device") return recordClass(module, name);
  }
  if ((module === "numpy.core.multiarray" || module === "numpy._core.multiarray") && name === "scalar") {
    return new PyGlobal(module, name, { call: numpyScalar });
  }
  if (module === "numpy" && name === "dtype") return recordClass(module, name);
  // Data that training scripts keep in a checkpoint's options: paths (rebuilt from their
  // parts, as a string) and argparse.Namespace (a record of its fields).
  if (module === "pathlib" && /^(Pure)?(Posix|Windows)?Path$/.test(name)) {
    return new PyGlobal(module, name, { call: (args) => pathFromParts(args, name.includes("Windows")) });
  }
  if (module === "argparse" && name === "Namespace") return recordClass(module, name);
  // Model classes are kept as records of their state; nothing of theirs is ever called.
  if (/^(models|ultralytics|torch\.nn)(\.|$)/.test(module) && /^[A-Za-z_]\w*$/.test(name)) return recordClass(module, name);
  return undefined;
}

function pathFromParts(parts: readonly PyValue[], windows: boolean): string {
  if (!parts.every((p) => typeof p === "string")) throw new UnpicklingError("pathlib path parts must be strings");
  const [first, ...rest] = parts as string[];
  if (first === undefined) return ".";
  const sep = windows ? "\\" : "/";
  return /[\\/]$/.test(first) ? first + rest.join(sep) : [first, ...rest].join(sep);
}

function rebuildGlobal(name: string): PyGlobal | undefined {
  const module = "torch._utils";
  switch (name) {
    case "_rebuild_tensor_v2": // (storage, offset, size, stride, requires_grad, backward_hooks[, metadata])
      return new PyGlobal(module, name, { call: (args) => rebuildTensor(args, args.length >= 6 && args.length <= 7, args[4] === true) });
    case "_rebuild_tensor": // (storage, offset, size, stride): before torch 1.0
      return new PyGlobal(module, name, { call: (args) => rebuildTensor(args, args.length === 4, false) });
    case "_rebuild_parameter": // (tensor, requires_grad, backward_hooks)
    case "_rebuild_parameter_with_state": // (tensor, requires_grad, backward_hooks, state)
      return new PyGlobal(module, name, { call: (args) => rebuildParameter(args, name) });
  }
  return undefined;
}

function rebuildTensor(args: readonly PyValue[], arityOk: boolean, requiresGrad: boolean): TorchTensor {
  if (!arityOk) throw new UnpicklingError(`_rebuild_tensor called with ${args.length} arguments`);
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof TorchStorage)) throw new UnpicklingError(`_rebuild_tensor expects a storage, got ${typeName(storage)}`);
  if (!isCount(offset)) throw new UnpicklingError(`bad storage offset ${describe(offset)}`);
  const shape = sizeItems(size);
  const strides = sizeItems(stride);
  if (strides.length !== shape.length)
    throw new UnpicklingError(`tensor size ${describe(size)} and stride ${describe(stride)} differ in length`);
  const numel = shape.reduce((a, b) => a * b, 1);
  if (numel > 0) {
    // The last element the view reads must lie inside the storage.
    const last = shape.reduce((sum, dim, i) => sum + (dim - 1) * strides[i], offset);
    if (last >= storage.numel) {
      throw new TorchFileError(
        `tensor of size ${describe(size)}, stride ${describe(stride)} at offset ${offset} reads element ${last} of storage '${storage.key}', which has ${storage.numel}`,
      );
    }
    if (numel > storage.numel && numel > MAX_EXPANDED_NUMEL) {
      throw new TorchFileError(
        `tensor of size ${describe(size)} repeats storage '${storage.key}' to ${numel} elements, over the limit of ${MAX_EXPANDED_NUMEL}`,
      );
    }
  }
  return new TorchTensor(storage, offset, shape, strides, requiresGrad);
}

function rebuildParameter(args: readonly PyValue[], name: string): TorchTensor {
  const [tensor, requiresGrad] = args;
  if (!(tensor instanceof TorchTensor)) throw new UnpicklingError(`${name} expects a tensor, got ${typeName(tensor)}`);
  return new TorchTensor(tensor.storage, tensor.storageOffset, tensor.shape, tensor.stride, requiresGrad === true, true);
}

/** _rebuild_from_type_v2(func, new_type, args, state): tensor subclasses; only the rebuild function matters here. */
function rebuildFromType(args: readonly PyValue[]): PyValue {
  const [func, , funcArgs] = args;
  if (!(func instanceof PyGlobal) || !func.behaviour.call || !(funcArgs instanceof PyTuple)) {
    throw new UnpicklingError("_rebuild_from_type_v2 expects (function, type, args, state)");
  }
  return func.behaviour.call(funcArgs.items);
}

/** numpy.core.multiarray.scalar(dtype, bytes): decoded from the bytes, as numpy would, without numpy. */
function numpyScalar(args: readonly PyValue[]): PyValue {
  const [dtype, data] = args;
  const code = dtype instanceof PyObject && dtype.className === "numpy.dtype" ? dtype.args[0] : undefined;
  const state = dtype instanceof PyObject ? dtype.state : undefined;
  const order = state instanceof PyTuple ? state.items[1] : "<";
  if (typeof code !== "string" || !(data instanceof Uint8Array)) throw new UnpicklingError("numpy scalar expects (numpy.dtype, bytes)");
  const match = /^([fiub])(\d)$/.exec(code);
  const size = match ? Number(match[2]) : 0;
  if (!match || data.length !== size) throw new UnpicklingError(`unsupported numpy scalar dtype '${code}' with ${data.length} bytes`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const little = order !== ">";
  const kind = match[1];
  if (kind === "b" && size === 1) return data[0] !== 0;
  if (kind === "f" && size === 8) return view.getFloat64(0, little);
  if (kind === "f" && size === 4) return view.getFloat32(0, little);
  if (kind === "f" && size === 2) return float16ToFloat32Array(new Uint16Array([view.getUint16(0, little)]))[0];
  if (kind === "i" || kind === "u") {
    const signed = kind === "i";
    if (size === 1) return signed ? view.getInt8(0) : view.getUint8(0);
    if (size === 2) return signed ? view.getInt16(0, little) : view.getUint16(0, little);
    if (size === 4) return signed ? view.getInt32(0, little) : view.getUint32(0, little);
    if (size === 8) {
      const big = signed ? view.getBigInt64(0, little) : view.getBigUint64(0, little);
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
  }
  throw new UnpicklingError(`unsupported numpy scalar dtype '${code}'`);
}

function sizeItems(value: PyValue | undefined): number[] {
  const items = value instanceof PyTuple ? value.items : Array.isArray(value) ? value : undefined;
  if (!items || items.length > MAX_DIMS || !items.every(isCount)) throw new UnpicklingError(`bad tensor size or stride ${describe(value)}`);
  return items as number[];
}

function isCount(value: PyValue | undefined): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** A short rendering of a value for messages. */
function describe(value: PyValue | undefined): string {
  if (value instanceof PyTuple)
    return `(${value.items.slice(0, 8).map(describe).join(", ")}${value.length > 8 ? ", ..." : value.length === 1 ? "," : ""})`;
  if (typeof value === "string") return JSON.stringify(value.slice(0, 60));
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  return typeName(value);
}

// --- strided reads ---

function typedArrayOf(dtype: TorchDtype, buffer: ArrayBuffer): StorageArray {
  switch (dtype) {
    case "float16":
    case "bfloat16":
      return new Uint16Array(buffer);
    case "float32":
      return new Float32Array(buffer);
    case "float64":
      return new Float64Array(buffer);
    case "int64":
      return new BigInt64Array(buffer);
    case "int32":
      return new Int32Array(buffer);
    case "int16":
      return new Int16Array(buffer);
    case "int8":
      return new Int8Array(buffer);
    case "uint8":
    case "bool":
      return new Uint8Array(buffer);
  }
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let at = 0; at + size <= bytes.length; at += size) bytes.subarray(at, at + size).reverse();
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/** Copies a strided view into `out` in row-major order, with an odometer over the indices. */
function gather(source: StorageArray, out: StorageArray, offset: number, shape: readonly number[], stride: readonly number[]): void {
  const n = out.length;
  if (n === 0) return;
  const dims = shape.length;
  const index = new Array<number>(dims).fill(0);
  let at = offset;
  // Both arrays have the same element kind (number or bigint), so the copy is type-correct.
  const src = source as unknown as ArrayLike<number>;
  const dst = out as unknown as { [i: number]: number };
  for (let i = 0; i < n; i++) {
    dst[i] = src[at];
    for (let d = dims - 1; d >= 0; d--) {
      index[d]++;
      at += stride[d];
      if (index[d] < shape[d]) break;
      at -= stride[d] * shape[d];
      index[d] = 0;
    }
  }
}

// --- walking modules and reading values ---

/** True for an nn.Module record: a PyObject whose __dict__ has _modules or _parameters. */
export function isModuleRecord(value: unknown): value is PyObject {
  const dict = value instanceof PyObject ? value.dict : undefined;
  return !!dict && (dict.get("_modules") instanceof PyDict || dict.get("_parameters") instanceof PyDict);
}

const MAX_MODULE_DEPTH = 1000;

/**
 * The state_dict of a module record, named as torch names it (model.0.conv.weight,
 * model.0.bn.running_mean, model.24.anchors): each module's parameters, then its persistent
 * buffers, then its children in order, skipping None entries. A dict of tensors (a saved
 * state_dict) is returned as it is.
 */
export function moduleStateDict(value: unknown): Map<string, TorchTensor> {
  const out = new Map<string, TorchTensor>();
  if (isModuleRecord(value)) {
    collectState(value, "", out, new Set(), 0);
    return out;
  }
  if (value instanceof PyDict) {
    for (const [key, tensor] of value) {
      if (typeof key !== "string" || !(tensor instanceof TorchTensor)) {
        const hint = value.has("model") ? " (for a checkpoint dict, pass pyGet(root, 'model'))" : "";
        throw new TorchFileError(`not a state_dict: entry ${describe(key)} holds ${typeName(tensor)}, not a tensor${hint}`);
      }
      out.set(key, tensor);
    }
    return out;
  }
  throw new TorchFileError(`moduleStateDict expects an nn.Module record or a dict of tensors, got ${typeName(value as PyValue)}`);
}

function collectState(module: PyObject, prefix: string, out: Map<string, TorchTensor>, ancestors: Set<PyObject>, depth: number): void {
  if (depth > MAX_MODULE_DEPTH) throw new TorchFileError(`modules nested deeper than ${MAX_MODULE_DEPTH} levels at '${prefix}'`);
  if (ancestors.has(module)) throw new TorchFileError(`module '${prefix}' contains itself`);
  const dict = module.dict as PyDict;
  const nonPersistent = dict.get("_non_persistent_buffers_set");
  const skip = nonPersistent instanceof PySet ? nonPersistent : new PySet(true);
  const tensors = (field: string, filter: (name: string) => boolean) => {
    const entries = dict.get(field);
    if (entries === undefined) return;
    if (!(entries instanceof PyDict))
      throw new TorchFileError(`${module.className} at '${prefix}' has ${field} of type ${typeName(entries)}`);
    for (const [name, tensor] of entries) {
      if (tensor === null || typeof name !== "string" || !filter(name)) continue;
      if (!(tensor instanceof TorchTensor))
        throw new TorchFileError(`'${prefix}${String(name)}' in ${field} is ${typeName(tensor)}, not a tensor`);
      out.set(prefix + name, tensor);
    }
  };
  tensors("_parameters", () => true);
  tensors("_buffers", (name) => !skip.has(name));
  const children = dict.get("_modules");
  if (!(children instanceof PyDict)) return;
  ancestors.add(module);
  for (const [name, child] of children) {
    if (child === null) continue;
    if (!isModuleRecord(child)) throw new TorchFileError(`'${prefix}${String(name)}' in _modules is ${typeName(child)}, not a module`);
    collectState(child, `${prefix}${String(name)}.`, out, ancestors, depth + 1);
  }
  ancestors.delete(module);
}

/**
 * Follows keys into a value: dict keys, attributes of records (their __dict__), list and tuple
 * indices. Undefined when any step is missing. pyGet(root, "model", "yaml", "nc").
 */
export function pyGet(value: unknown, ...keys: PyValue[]): PyValue | undefined {
  let current: unknown = value;
  for (const key of keys) {
    if (current instanceof PyDict) current = current.get(key);
    else if (current instanceof PyObject) current = current.dict?.get(key) ?? current.dictItems?.get(key);
    else if ((Array.isArray(current) || current instanceof PyTuple) && typeof key === "number") current = current.at(key);
    else return undefined;
    if (current === undefined) return undefined;
  }
  return current as PyValue; // with no keys, the value itself
}

/** An attribute of a record (module.yaml, module.stride), from its __dict__. */
export function attr(record: unknown, name: string): PyValue | undefined {
  return record instanceof PyObject ? record.dict?.get(name) : undefined;
}

/** What pyToJs makes: JSON-like data, with tensors, bytes and big integers kept as they are. */
export type PlainValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | TorchTensor
  | PlainValue[]
  | { [key: string]: PlainValue };

/**
 * Converts unpickled data to plain JS: dicts to objects (keys as strings), lists, tuples and
 * sets to arrays, records to objects with a __class__ field plus their __dict__, dtypes and
 * globals to their names. Fails on cycles and on nesting beyond `maxDepth`.
 */
export function pyToJs(value: unknown, maxDepth = 1000): PlainValue {
  const ancestors = new Set<object>();
  const convert = (v: PyValue | undefined, depth: number): PlainValue => {
    if (v === undefined || v === null) return null;
    if (typeof v !== "object" || v instanceof Uint8Array || v instanceof TorchTensor) return v;
    if (v instanceof TorchDtypeValue) return `torch.${v.dtype}`;
    if (v instanceof PyGlobal) return v.qualifiedName;
    if (depth >= maxDepth) throw new TorchFileError(`value nested deeper than ${maxDepth} levels`);
    if (ancestors.has(v)) throw new TorchFileError("value contains itself (a reference cycle)");
    ancestors.add(v);
    let out: PlainValue;
    if (Array.isArray(v) || v instanceof PyTuple || v instanceof PySet) {
      out = Array.from(v, (item) => convert(item, depth + 1));
    } else if (v instanceof PyDict) {
      out = Object.fromEntries(Array.from(v, ([key, item]) => [keyText(key), convert(item, depth + 1)]));
    } else if (v instanceof PyObject) {
      const fields: [string, PlainValue][] = [["__class__", v.className]];
      for (const [key, item] of v.dict ?? []) fields.push([keyText(key), convert(item, depth + 1)]);
      out = Object.fromEntries(fields);
    } else {
      out = v.pyClass; // another host value: its class name
    }
    ancestors.delete(v);
    return out;
  };
  return convert(value as PyValue | undefined, 0);
}

function keyText(key: PyValue): string {
  if (typeof key === "string") return key;
  if (key === null) return "None";
  if (typeof key === "boolean") return key ? "True" : "False";
  if (typeof key === "number" || typeof key === "bigint") return String(key);
  if (key instanceof PyTuple) return `(${key.items.map(keyText).join(", ")})`;
  return typeName(key);
}
