// A pickle virtual machine for untrusted input: it reads every opcode of protocols 0-5 that
// CPython's pickler emits, but it never imports or calls anything by itself. Each global the
// stream names goes through the host's `findGlobal` hook, which either returns an inert
// stand-in (a PyGlobal whose behaviour is plain data construction) or refuses it; a stream
// without a hook can only hold plain data. Lengths, memo indices, nesting depth and integer
// sizes are checked as they are read, so malformed or hostile bytes end in an UnpicklingError
// naming the opcode and byte offset rather than a crash, a hang or an unbounded allocation.

import { UnpicklingError } from "./errors";

/** Anything an unpickled stream can produce. */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PySet
  | PyObject
  | PyGlobal
  | PyHostValue;

/** A value made by a host hook (a tensor, a storage, a dtype): the VM passes it along untouched. */
export interface PyHostValue {
  /** The Python class the value stands for, e.g. "torch.Tensor". */
  readonly pyClass: string;
}

/** A Python tuple: immutable, so its nesting depth is known when it is made. */
export class PyTuple implements Iterable<PyValue> {
  constructor(readonly items: readonly PyValue[]) {}
  get length(): number {
    return this.items.length;
  }
  at(index: number): PyValue | undefined {
    return this.items.at(index);
  }
  [Symbol.iterator](): Iterator<PyValue> {
    return this.items[Symbol.iterator]();
  }
}

/**
 * A Python dict: a Map in insertion order whose keys compare by value as in Python, so a
 * tuple key (1, 2) finds the entry made with another (1, 2) tuple. String keys, by far the
 * most common, go to the Map directly; other keys map to the first equal key object seen.
 */
export class PyDict extends Map<PyValue, PyValue> {
  private readonly originals = new Map<string, PyValue>();
  /** Instance attributes set by BUILD (e.g. a state_dict's `_metadata`). */
  attributes: PyDict | undefined;
  override get(key: PyValue): PyValue | undefined {
    if (typeof key === "string") return super.get(key);
    const original = this.originals.get(hashKey(key));
    return original === undefined ? undefined : super.get(original);
  }
  override has(key: PyValue): boolean {
    return typeof key === "string" ? super.has(key) : this.originals.has(hashKey(key));
  }
  override set(key: PyValue, value: PyValue): this {
    if (typeof key === "string") return super.set(key, value);
    // Python keeps the first key object and its position when an equal key is assigned again.
    const slot = hashKey(key);
    let original = this.originals.get(slot);
    if (original === undefined) this.originals.set(slot, (original = key));
    return super.set(original, value);
  }
  override delete(key: PyValue): boolean {
    if (typeof key === "string") return super.delete(key);
    const slot = hashKey(key);
    const original = this.originals.get(slot);
    this.originals.delete(slot);
    return original !== undefined && super.delete(original);
  }
  override clear(): void {
    this.originals.clear();
    super.clear();
  }
}

/** A Python set or frozenset. */
export class PySet implements Iterable<PyValue> {
  private readonly slots = new Map<string, PyValue>();
  constructor(
    readonly frozen: boolean,
    items: Iterable<PyValue> = [],
  ) {
    for (const item of items) this.slots.set(hashKey(item), item);
  }
  get size(): number {
    return this.slots.size;
  }
  has(item: PyValue): boolean {
    return this.slots.has(hashKey(item));
  }
  add(item: PyValue): void {
    if (this.frozen) throw new UnpicklingError("cannot add items to a frozenset");
    this.slots.set(hashKey(item), item);
  }
  values(): IterableIterator<PyValue> {
    return this.slots.values();
  }
  [Symbol.iterator](): IterableIterator<PyValue> {
    return this.slots.values();
  }
}

/**
 * An instance of a class the host allowed as an inert record: the class name, the arguments it
 * was made with, and the state BUILD gave it. No code of the class ever runs.
 */
export class PyObject {
  /** The state BUILD set: usually the instance __dict__, sometimes a (dict, slots) tuple. */
  state: PyValue | undefined;
  /** Items added by APPEND(S) to a list subclass. */
  listItems: PyValue[] | undefined;
  /** Items added by SETITEM(S) to a dict subclass. */
  dictItems: PyDict | undefined;

  constructor(
    readonly module: string,
    readonly name: string,
    readonly args: readonly PyValue[] = [],
    readonly kwargs?: PyDict,
  ) {}

  /** "models.common.Conv" */
  get className(): string {
    return `${this.module}.${this.name}`;
  }

  /** The instance __dict__, when BUILD gave one. */
  get dict(): PyDict | undefined {
    if (this.state instanceof PyDict) return this.state;
    if (this.state instanceof PyTuple && this.state.items[0] instanceof PyDict) return this.state.items[0];
    return undefined;
  }
}

/** How an allowed global behaves when the stream calls it (REDUCE, INST, OBJ) or instantiates it (NEWOBJ). */
export interface GlobalBehaviour {
  call?(args: readonly PyValue[]): PyValue;
  newObject?(args: readonly PyValue[], kwargs: PyDict | undefined): PyValue;
}

/** What GLOBAL and STACK_GLOBAL push for an allowed name. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly behaviour: GlobalBehaviour = {},
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A global that builds inert PyObject records whether called or instantiated. */
export function recordClass(module: string, name: string): PyGlobal {
  const make = (args: readonly PyValue[], kwargs?: PyDict) => new PyObject(module, name, args, kwargs);
  return new PyGlobal(module, name, { call: (args) => make(args), newObject: make });
}

export interface UnpicklerOptions {
  /** Name of the stream in messages, e.g. "best/data.pkl". */
  source?: string;
  /**
   * Resolves a global (module, name) to what the stream may use; undefined refuses it. The
   * default refuses everything except `safeDataGlobal`'s containers.
   */
  findGlobal?: (module: string, name: string) => PyValue | undefined;
  /** Why a refused global is refused, appended to the error message. */
  refusalReason?: string;
  /** Resolves persistent ids (PERSID, BINPERSID); without it they are an error, as in Python. */
  persistentLoad?: (pid: PyValue) => PyValue;
  /** Deepest nesting of containers allowed (default 1000). */
  maxDepth?: number;
}

/** Python's limit on decimal digits in int() conversions (sys.int_max_str_digits). */
const MAX_DECIMAL_DIGITS = 4300;
/** Bytes in one LONG4 integer: far above any checkpoint's needs, far below a memory problem. */
const MAX_LONG_BYTES = 1 << 20;
const DEFAULT_MAX_DEPTH = 1000;

/** Unpickles `bytes` with the given hooks. Throws UnpicklingError for anything malformed or refused. */
export function unpickle(bytes: Uint8Array, options: UnpicklerOptions = {}): PyValue {
  return new Unpickler(bytes, options).load();
}

/**
 * The data-only globals plain Python pickles use for containers: OrderedDict, set, frozenset,
 * and the protocol-2 spellings of bytes and bytearray. Undefined for anything else.
 */
export function safeDataGlobal(module: string, name: string): PyGlobal | undefined {
  const builtins = module === "builtins" || module === "__builtin__";
  if (module === "collections" && name === "OrderedDict") {
    return new PyGlobal(module, name, { call: (args) => dictFrom(args, name), newObject: () => new PyDict() });
  }
  if (builtins && (name === "set" || name === "frozenset")) {
    const make = (args: readonly PyValue[]) => new PySet(name === "frozenset", args.length ? iterate(args[0], name) : []);
    return new PyGlobal(module, name, { call: make, newObject: () => new PySet(name === "frozenset") });
  }
  if ((module === "_codecs" && name === "encode") || (builtins && (name === "bytearray" || name === "bytes"))) {
    return new PyGlobal(module, name, { call: (args) => bytesFrom(args, `${module}.${name}`) });
  }
  return undefined;
}

function dictFrom(args: readonly PyValue[], what: string): PyDict {
  const dict = new PyDict();
  if (args.length === 0) return dict;
  for (const pair of iterate(args[0], what)) {
    const items = pair instanceof PyTuple ? pair.items : Array.isArray(pair) ? pair : undefined;
    if (items?.length !== 2) throw new UnpicklingError(`${what}() expects (key, value) pairs`);
    dict.set(items[0], items[1]);
  }
  return dict;
}

function iterate(value: PyValue, what: string): Iterable<PyValue> {
  if (Array.isArray(value) || value instanceof PyTuple || value instanceof PySet) return value;
  if (value instanceof PyDict) return value.keys();
  throw new UnpicklingError(`${what}() expects an iterable, not ${typeName(value)}`);
}

/** `_codecs.encode(text, 'latin1')` and `bytearray(text, 'latin-1')`: how protocol 2 spells bytes. */
function bytesFrom(args: readonly PyValue[], what: string): Uint8Array {
  const [text, encoding] = args;
  if (args.length === 0) return new Uint8Array(0);
  if (text instanceof Uint8Array) return new Uint8Array(text);
  if (Array.isArray(text)) return Uint8Array.from(text.map((v) => (typeof v === "number" && v >= 0 && v < 256 ? v : 0)));
  if (typeof text !== "string" || (encoding !== "latin1" && encoding !== "latin-1")) {
    throw new UnpicklingError(`${what}() is only supported for (str, 'latin1') arguments`);
  }
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 255) throw new UnpicklingError(`${what}(): character out of latin-1 range`);
    out[i] = code;
  }
  return out;
}

/** Python's type name for a value, for messages. */
export function typeName(value: PyValue | undefined): string {
  if (value === undefined) return "nothing";
  if (value === null) return "NoneType";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  if (typeof value === "bigint") return "int";
  if (typeof value === "string") return "str";
  if (value instanceof Uint8Array) return "bytes";
  if (Array.isArray(value)) return "list";
  if (value instanceof PyTuple) return "tuple";
  if (value instanceof PyDict) return "dict";
  if (value instanceof PySet) return value.frozen ? "frozenset" : "set";
  if (value instanceof PyObject) return value.className;
  if (value instanceof PyGlobal) return value.qualifiedName;
  return value.pyClass;
}

const identities = new WeakMap<object, number>();
let nextIdentity = 0;

/** A string equal for equal hashable Python values (1 == 1.0 == True), for dict and set slots. */
function hashKey(key: PyValue): string {
  if (key === null) return "N";
  switch (typeof key) {
    case "boolean":
      return key ? "i1" : "i0";
    case "number":
      return Number.isInteger(key) ? `i${BigInt(key)}` : `f${key}`;
    case "bigint":
      return `i${key}`;
    case "string":
      return JSON.stringify(key);
  }
  if (key instanceof Uint8Array) return `b${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("hex")}`;
  // Tuples and frozensets are immutable and their depth is bounded when made, so this recursion is bounded.
  if (key instanceof PyTuple) return `(${key.items.map(hashKey).join(",")})`;
  if (key instanceof PySet && key.frozen) return `{${[...key.values()].map(hashKey).sort().join(",")}}`;
  if (key instanceof PyGlobal) return `g${key.qualifiedName}`;
  if (Array.isArray(key) || key instanceof PyDict || key instanceof PySet) {
    throw new UnpicklingError(`unhashable type: '${typeName(key)}' used as a dict key or set item`);
  }
  let id = identities.get(key);
  if (id === undefined) identities.set(key, (id = nextIdentity++));
  return `o${id}`;
}

/** Opcode bytes, named as in CPython's pickletools. */
const Op = {
  MARK: 0x28,
  STOP: 0x2e,
  POP: 0x30,
  POP_MARK: 0x31,
  DUP: 0x32,
  FLOAT: 0x46,
  INT: 0x49,
  BININT: 0x4a,
  BININT1: 0x4b,
  LONG: 0x4c,
  BININT2: 0x4d,
  NONE: 0x4e,
  PERSID: 0x50,
  BINPERSID: 0x51,
  REDUCE: 0x52,
  STRING: 0x53,
  BINSTRING: 0x54,
  SHORT_BINSTRING: 0x55,
  UNICODE: 0x56,
  BINUNICODE: 0x58,
  APPEND: 0x61,
  BUILD: 0x62,
  GLOBAL: 0x63,
  DICT: 0x64,
  EMPTY_DICT: 0x7d,
  APPENDS: 0x65,
  GET: 0x67,
  BINGET: 0x68,
  INST: 0x69,
  LONG_BINGET: 0x6a,
  LIST: 0x6c,
  EMPTY_LIST: 0x5d,
  OBJ: 0x6f,
  PUT: 0x70,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  SETITEM: 0x73,
  TUPLE: 0x74,
  EMPTY_TUPLE: 0x29,
  SETITEMS: 0x75,
  BINFLOAT: 0x47,
  PROTO: 0x80,
  NEWOBJ: 0x81,
  EXT1: 0x82,
  EXT2: 0x83,
  EXT4: 0x84,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  LONG4: 0x8b,
  BINBYTES: 0x42,
  SHORT_BINBYTES: 0x43,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINBYTES8: 0x8e,
  EMPTY_SET: 0x8f,
  ADDITEMS: 0x90,
  FROZENSET: 0x91,
  NEWOBJ_EX: 0x92,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
  BYTEARRAY8: 0x96,
  NEXT_BUFFER: 0x97,
  READONLY_BUFFER: 0x98,
} as const;

const opNames = new Map<number, string>(Object.entries(Op).map(([name, code]) => [code, name]));

const utf8 = new TextDecoder("utf-8");

class Unpickler {
  private pos = 0;
  private opStart = 0;
  private op = 0;
  private stack: PyValue[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, PyValue>();
  /**
   * Nesting depth of each container made so far (absent: a leaf, depth 0). A Map, not a
   * WeakMap: it lives only for one load, and Map lookups are several times faster.
   */
  private readonly depths = new Map<object, number>();
  private readonly view: DataView;
  private readonly source: string;
  private readonly maxDepth: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: UnpicklerOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.source = options.source ?? "pickle data";
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  load(): PyValue {
    for (;;) {
      if (this.pos >= this.bytes.length) throw this.fault("pickle data was truncated (no STOP opcode)");
      this.opStart = this.pos;
      this.op = this.bytes[this.pos++];
      if (this.op === Op.STOP) return this.pop();
      this.step();
    }
  }

  private step(): void {
    switch (this.op) {
      case Op.PROTO: {
        const version = this.u8();
        if (version > 5) throw this.fault(`unsupported pickle protocol: ${version}`);
        return;
      }
      case Op.FRAME: {
        const length = this.u64();
        if (length > this.bytes.length - this.pos) throw this.fault(`frame of ${length} bytes runs past the end of the data`);
        return;
      }
      case Op.MARK:
        return void this.marks.push(this.stack.length);
      case Op.POP:
        return void (this.marks.length && this.marks[this.marks.length - 1] === this.stack.length ? this.popMark() : this.pop());
      case Op.POP_MARK:
        return void this.popMark();
      case Op.DUP:
        return this.push(this.top());
      case Op.NONE:
        return this.push(null);
      case Op.NEWTRUE:
        return this.push(true);
      case Op.NEWFALSE:
        return this.push(false);
      case Op.BININT:
        return this.push(this.view.getInt32(this.take(4), true));
      case Op.BININT1:
        return this.push(this.u8());
      case Op.BININT2:
        return this.push(this.view.getUint16(this.take(2), true));
      case Op.INT:
        return this.push(this.textInt(this.line(), true));
      case Op.LONG:
        return this.push(this.textInt(this.line().replace(/L$/, ""), false));
      case Op.LONG1:
        return this.push(this.binaryLong(this.u8()));
      case Op.LONG4:
        return this.push(this.binaryLong(this.length32()));
      case Op.FLOAT:
        return this.push(this.textFloat(this.line()));
      case Op.BINFLOAT:
        return this.push(this.view.getFloat64(this.take(8), false));
      case Op.STRING:
        return this.push(this.quotedString(this.line()));
      case Op.BINSTRING:
        return this.push(utf8.decode(this.slice(this.length32())));
      case Op.SHORT_BINSTRING:
        return this.push(utf8.decode(this.slice(this.u8())));
      case Op.UNICODE:
        return this.push(rawUnicodeEscape(this.line(), () => this.fault("bad raw-unicode-escape string")));
      case Op.BINUNICODE:
        return this.push(utf8.decode(this.slice(this.length32())));
      case Op.SHORT_BINUNICODE:
        return this.push(utf8.decode(this.slice(this.u8())));
      case Op.BINUNICODE8:
        return this.push(utf8.decode(this.slice(this.u64())));
      case Op.BINBYTES:
        return this.push(this.bytesCopy(this.length32()));
      case Op.SHORT_BINBYTES:
        return this.push(this.bytesCopy(this.u8()));
      case Op.BINBYTES8:
        return this.push(this.bytesCopy(this.u64()));
      case Op.BYTEARRAY8:
        return this.push(this.bytesCopy(this.u64()));
      case Op.READONLY_BUFFER:
        return void this.top();
      case Op.NEXT_BUFFER:
        throw this.fault("out-of-band buffers (NEXT_BUFFER) are not supported");
      case Op.EMPTY_LIST:
        return this.push([]);
      case Op.EMPTY_DICT:
        return this.push(new PyDict());
      case Op.EMPTY_SET:
        return this.push(new PySet(false));
      case Op.EMPTY_TUPLE:
        return this.push(this.tuple([]));
      case Op.TUPLE1:
        return this.push(this.tuple(this.popN(1)));
      case Op.TUPLE2:
        return this.push(this.tuple(this.popN(2)));
      case Op.TUPLE3:
        return this.push(this.tuple(this.popN(3)));
      case Op.TUPLE:
        return this.push(this.tuple(this.popMark()));
      case Op.LIST: {
        const list = this.popMark();
        this.noteChildren(list, list);
        return this.push(list);
      }
      case Op.DICT: {
        const items = this.popMark();
        const dict = new PyDict();
        this.setItems(dict, items);
        return this.push(dict);
      }
      case Op.FROZENSET: {
        const items = this.popMark();
        const set = new PySet(
          true,
          this.guard(() => items),
        );
        this.noteChildren(set, items);
        return this.push(set);
      }
      case Op.APPEND: {
        const item = this.pop();
        return this.appendItems(this.top(), [item]);
      }
      case Op.APPENDS: {
        const items = this.popMark();
        return this.appendItems(this.top(), items);
      }
      case Op.SETITEM: {
        const [key, value] = this.popN(2);
        return this.setItems(this.top(), [key, value]);
      }
      case Op.SETITEMS: {
        const items = this.popMark();
        return this.setItems(this.top(), items);
      }
      case Op.ADDITEMS: {
        const items = this.popMark();
        const set = this.top();
        if (!(set instanceof PySet) || set.frozen) throw this.fault(`ADDITEMS on ${typeName(set)}, not a set`);
        this.guard(() => items.forEach((item) => set.add(item)));
        return this.noteChildren(set, items);
      }
      case Op.GET:
        return this.push(this.memoGet(this.textIndex(this.line())));
      case Op.BINGET:
        return this.push(this.memoGet(this.u8()));
      case Op.LONG_BINGET:
        return this.push(this.memoGet(this.view.getUint32(this.take(4), true)));
      case Op.PUT:
        return this.memoPut(this.textIndex(this.line()));
      case Op.BINPUT:
        return this.memoPut(this.u8());
      case Op.LONG_BINPUT:
        return this.memoPut(this.view.getUint32(this.take(4), true));
      case Op.MEMOIZE:
        return this.memoPut(this.memo.size);
      case Op.GLOBAL: {
        const module = this.line();
        const name = this.line();
        return this.push(this.resolveGlobal(module, name));
      }
      case Op.STACK_GLOBAL: {
        const [module, name] = this.popN(2);
        if (typeof module !== "string" || typeof name !== "string") throw this.fault("STACK_GLOBAL needs two strings (module, name)");
        return this.push(this.resolveGlobal(module, name));
      }
      case Op.EXT1:
      case Op.EXT2:
      case Op.EXT4:
        throw this.fault("extension registry codes (EXT1/EXT2/EXT4) are not supported: they name globals through copyreg");
      case Op.REDUCE: {
        const [callable, args] = this.popN(2);
        return this.push(this.call(callable, this.tupleItems(args, "REDUCE arguments")));
      }
      case Op.INST: {
        const module = this.line();
        const name = this.line();
        const args = this.popMark();
        return this.push(this.call(this.resolveGlobal(module, name), args));
      }
      case Op.OBJ: {
        const items = this.popMark();
        if (items.length === 0) throw this.fault("OBJ without a class");
        return this.push(this.call(items[0], items.slice(1)));
      }
      case Op.NEWOBJ: {
        const [cls, args] = this.popN(2);
        return this.push(this.newObject(cls, this.tupleItems(args, "NEWOBJ arguments"), undefined));
      }
      case Op.NEWOBJ_EX: {
        const [cls, args, kwargs] = this.popN(3);
        if (!(kwargs instanceof PyDict)) throw this.fault("NEWOBJ_EX keyword arguments are not a dict");
        return this.push(this.newObject(cls, this.tupleItems(args, "NEWOBJ_EX arguments"), kwargs));
      }
      case Op.BUILD: {
        const state = this.pop();
        return this.build(this.top(), state);
      }
      case Op.PERSID:
        return this.push(this.persistent(this.line()));
      case Op.BINPERSID:
        return this.push(this.persistent(this.pop()));
      default:
        throw this.fault(`invalid load key, '${printable(this.op)}'`);
    }
  }

  // --- reading the byte stream ---

  /** Advances past `n` bytes and returns where they start; fails if the data ends first. */
  private take(n: number): number {
    if (n > this.bytes.length - this.pos)
      throw this.fault(`pickle data was truncated (needs ${n} more bytes, ${this.bytes.length - this.pos} left)`);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  private u8(): number {
    return this.bytes[this.take(1)];
  }
  private length32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  private u64(): number {
    const value = this.view.getBigUint64(this.take(8), true);
    if (value > BigInt(this.bytes.length)) throw this.fault(`length ${value} is longer than the whole pickle`);
    return Number(value);
  }
  /** A copy (a Buffer's slice() would be a view of the whole input). */
  private bytesCopy(length: number): Uint8Array {
    return new Uint8Array(this.slice(length));
  }
  private slice(length: number): Uint8Array {
    const at = this.take(length);
    return this.bytes.subarray(at, at + length);
  }
  /** A protocol-0 argument: bytes up to the next newline, as latin-1 text. */
  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw this.fault("pickle data was truncated (a line argument has no newline)");
    let text = "";
    for (let i = this.pos; i < end; i++) text += String.fromCharCode(this.bytes[i]);
    this.pos = end + 1;
    return text;
  }

  private textInt(text: string, allowBool: boolean): number | bigint | boolean {
    if (allowBool && text === "00") return false;
    if (allowBool && text === "01") return true;
    const digits = text.trim();
    if (!/^[+-]?\d+$/.test(digits)) throw this.fault(`invalid literal for int(): '${digits.slice(0, 40)}'`);
    if (digits.length > MAX_DECIMAL_DIGITS)
      throw this.fault(`integer literal of ${digits.length} digits exceeds the limit of ${MAX_DECIMAL_DIGITS}`);
    return narrow(BigInt(digits));
  }

  private textFloat(text: string): number {
    const trimmed = text.trim();
    if (/^(?:[+-]?(?:inf|infinity|nan))$/i.test(trimmed)) {
      return /nan/i.test(trimmed) ? NaN : trimmed.startsWith("-") ? -Infinity : Infinity;
    }
    if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(trimmed))
      throw this.fault(`could not convert string to float: '${trimmed.slice(0, 40)}'`);
    return Number(trimmed);
  }

  /** LONG1/LONG4: little-endian two's complement of `length` bytes. */
  private binaryLong(length: number): number | bigint {
    if (length > MAX_LONG_BYTES) throw this.fault(`integer of ${length} bytes exceeds the limit of ${MAX_LONG_BYTES}`);
    const bytes = this.slice(length);
    if (length === 0) return 0;
    let hex = "";
    for (let i = length - 1; i >= 0; i--) hex += bytes[i].toString(16).padStart(2, "0");
    let value = BigInt(`0x${hex}`);
    if (bytes[length - 1] & 0x80) value -= 1n << BigInt(8 * length);
    return narrow(value);
  }

  /** STRING: a Python 2 str repr in quotes, with backslash escapes. */
  private quotedString(text: string): string {
    const quote = text[0];
    if (text.length < 2 || (quote !== "'" && quote !== '"') || text[text.length - 1] !== quote) {
      throw this.fault("the STRING opcode argument must be quoted");
    }
    return pythonEscapes(text.slice(1, -1), () => this.fault("bad escape in a STRING argument"));
  }

  private textIndex(text: string): number {
    if (!/^\d{1,10}$/.test(text)) throw this.fault(`bad memo index '${text.slice(0, 20)}'`);
    return Number(text);
  }

  // --- the stack ---

  private push(value: PyValue): void {
    this.stack.push(value);
  }
  private pop(): PyValue {
    const floor = this.marks.length ? this.marks[this.marks.length - 1] : 0;
    if (this.stack.length <= floor) throw this.fault("unpickling stack underflow");
    return this.stack.pop() as PyValue;
  }
  private top(): PyValue {
    const floor = this.marks.length ? this.marks[this.marks.length - 1] : 0;
    if (this.stack.length <= floor) throw this.fault("unpickling stack underflow");
    return this.stack[this.stack.length - 1];
  }
  private popN(n: number): PyValue[] {
    const floor = this.marks.length ? this.marks[this.marks.length - 1] : 0;
    if (this.stack.length - floor < n) throw this.fault("unpickling stack underflow");
    return this.stack.splice(this.stack.length - n, n);
  }
  private popMark(): PyValue[] {
    const at = this.marks.pop();
    if (at === undefined) throw this.fault("could not find MARK");
    return this.stack.splice(at);
  }

  private memoGet(index: number): PyValue {
    const value = this.memo.get(index);
    if (value === undefined) throw this.fault(`memo value not found at index ${index}`);
    return value;
  }
  private memoPut(index: number): void {
    this.memo.set(index, this.top());
  }

  // --- containers and their depth ---

  /** Records that `container` now holds `children`; fails once nesting passes maxDepth. */
  private noteChildren(container: object, children: Iterable<PyValue>): void {
    const before = this.depths.get(container) ?? 1;
    let depth = before;
    for (const child of children) {
      if (typeof child === "object" && child !== null) depth = Math.max(depth, (this.depths.get(child) ?? 0) + 1);
    }
    if (depth === before && this.depths.has(container)) return;
    if (depth > this.maxDepth) throw this.fault(`containers nested deeper than ${this.maxDepth} levels`);
    this.depths.set(container, depth);
  }

  private tuple(items: PyValue[]): PyTuple {
    const tuple = new PyTuple(items);
    this.noteChildren(tuple, items);
    return tuple;
  }

  private tupleItems(value: PyValue, what: string): readonly PyValue[] {
    if (value instanceof PyTuple) return value.items;
    throw this.fault(`${what} must be a tuple, not ${typeName(value)}`);
  }

  private appendItems(target: PyValue, items: PyValue[]): void {
    if (Array.isArray(target)) {
      for (const item of items) target.push(item);
    } else if (target instanceof PyObject) {
      (target.listItems ??= []).push(...items);
    } else {
      throw this.fault(`cannot append to ${typeName(target)}`);
    }
    this.noteChildren(target, items);
  }

  private setItems(target: PyValue, items: PyValue[]): void {
    if (items.length % 2 !== 0) throw this.fault("odd number of items for SETITEMS");
    if (!(target instanceof PyDict) && !(target instanceof PyObject)) throw this.fault(`cannot set items on ${typeName(target)}`);
    const dict = target instanceof PyDict ? target : (target.dictItems ??= new PyDict());
    this.guard(() => {
      for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
    });
    this.noteChildren(target, items);
  }

  /** BUILD: set an object's state. Only inert records and dicts (attributes) take one. */
  private build(target: PyValue, state: PyValue): void {
    if (target instanceof PyObject) {
      target.state = state;
    } else if (target instanceof PyDict && (state instanceof PyDict || state === null)) {
      if (state) target.attributes = state;
    } else {
      throw this.fault(`BUILD on ${typeName(target)}, which takes no state`);
    }
    this.noteChildren(target, [state]);
  }

  // --- globals, calls and persistent ids: only through the host's hooks ---

  private resolveGlobal(module: string, name: string): PyValue {
    const value = (this.options.findGlobal ?? safeDataGlobal)(module, name);
    if (value === undefined) {
      const reason = this.options.refusalReason ?? "only plain data containers are allowed";
      throw this.fault(`refusing to load global '${module}.${name}' from ${this.source}: ${reason}`, false);
    }
    return value;
  }

  private call(callable: PyValue, args: readonly PyValue[]): PyValue {
    if (!(callable instanceof PyGlobal) || !callable.behaviour.call) throw this.fault(`${typeName(callable)} is not callable here`);
    const call = callable.behaviour.call;
    const result = this.guard(() => call(args));
    if (typeof result === "object" && result !== null) this.noteChildren(result, args);
    return result;
  }

  private newObject(cls: PyValue, args: readonly PyValue[], kwargs: PyDict | undefined): PyValue {
    if (!(cls instanceof PyGlobal) || !cls.behaviour.newObject)
      throw this.fault(`${typeName(cls)} cannot be instantiated with NEWOBJ here`);
    const make = cls.behaviour.newObject;
    const result = this.guard(() => make(args, kwargs));
    if (typeof result === "object" && result !== null) this.noteChildren(result, args);
    return result;
  }

  private persistent(pid: PyValue): PyValue {
    const load = this.options.persistentLoad;
    if (!load) throw this.fault("A load persistent id instruction was encountered, but no persistent_load function was specified.");
    return this.guard(() => load(pid));
  }

  /** Runs a hook or container operation, adding this opcode's position to an UnpicklingError it throws. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof UnpicklingError && !err.message.includes(" (at byte ")) throw this.fault(err.message);
      throw err;
    }
  }

  private fault(message: string, withPosition = true): UnpicklingError {
    if (!withPosition) return new UnpicklingError(message);
    const name = opNames.get(this.op) ?? `0x${this.op.toString(16)}`;
    return new UnpicklingError(`${message} (at byte ${this.opStart} of ${this.source}, opcode ${name})`);
  }
}

/** A bigint as a plain number when it is exactly representable. */
function narrow(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function printable(code: number): string {
  return code >= 0x20 && code < 0x7f ? String.fromCharCode(code) : `\\x${code.toString(16).padStart(2, "0")}`;
}

const simpleEscapes: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  n: "\n",
  t: "\t",
  r: "\r",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  "0": "\0",
};

/** Python 2 str literal escapes: \\n, \\xHH, octal and the quote escapes. */
function pythonEscapes(text: string, fault: () => Error): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === undefined) throw fault();
    if (next === "x") {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw fault();
      out += String.fromCharCode(parseInt(hex, 16));
      i += 2;
    } else if (/[0-7]/.test(next)) {
      const octal = /^[0-7]{1,3}/.exec(text.slice(i))![0];
      out += String.fromCharCode(parseInt(octal, 8) & 0xff);
      i += octal.length - 1;
    } else if (next in simpleEscapes) {
      out += simpleEscapes[next];
    } else {
      out += `\\${next}`;
    }
  }
  return out;
}

/** The UNICODE opcode's raw-unicode-escape: \\uXXXX and \\UXXXXXXXX, everything else literal. */
function rawUnicodeEscape(text: string, fault: () => Error): string {
  return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, short: string | undefined, long: string | undefined) => {
    const code = parseInt(short ?? long ?? "", 16);
    if (code > 0x10ffff) throw fault();
    return String.fromCodePoint(code);
  });
}
