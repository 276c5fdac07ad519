// A reader for zip archives held in memory, written for torch.save files (entries stored,
// one top folder, sometimes zip64) but general enough for any archive a user may hand us.
// The archive is untrusted: every offset and size is checked against the buffer before use,
// declared sizes are capped, and inflation stops at the declared size, so a corrupt or
// hostile archive gives a BadZipFile naming the entry and the fault instead of a crash or
// an unbounded allocation.

import * as zlib from "node:zlib";
import { BadZipFile } from "./errors";

export interface ZipLimits {
  /** Largest uncompressed size of one entry, in bytes. */
  maxEntryBytes: number;
  /** Largest total uncompressed size of all entries read from one archive, in bytes. */
  maxTotalBytes: number;
  /** Most entries in the central directory. */
  maxEntries: number;
}

export const defaultZipLimits: ZipLimits = {
  maxEntryBytes: 2 ** 31 - 1,
  maxTotalBytes: 2 ** 33,
  maxEntries: 1_000_000,
};

export type ZipMethod = "stored" | "deflate";

export interface ZipEntry {
  readonly name: string;
  readonly method: ZipMethod;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly crc32: number;
  /** Offset of the entry's local header in the archive. */
  readonly localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

/** True when the bytes start like a zip archive (a local header, or the end record of an empty one). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const sig = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24);
  return sig >>> 0 === LOCAL_SIGNATURE || sig >>> 0 === EOCD_SIGNATURE;
}

export class ZipArchive {
  readonly entries: readonly ZipEntry[];
  private readonly byName = new Map<string, ZipEntry>();
  private readonly view: DataView;
  private totalRead = 0;

  /** Reads the central directory of `bytes` (the whole archive); entries are read on demand. */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly archiveName = "<bytes>",
    private readonly limits: ZipLimits = defaultZipLimits,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.entries = this.readCentralDirectory();
    for (const entry of this.entries) {
      // Two entries with one name make "which one is data/5" ambiguous; torch never writes that.
      if (this.byName.has(entry.name)) throw this.fault(`duplicate entry name '${entry.name}'`);
      this.byName.set(entry.name, entry);
    }
  }

  names(): string[] {
    return this.entries.map((e) => e.name);
  }

  entry(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /**
   * The uncompressed bytes of an entry, CRC-checked. Stored entries are views into the
   * archive buffer (no copy), so they stay valid only as long as that buffer is not reused.
   */
  read(nameOrEntry: string | ZipEntry): Uint8Array {
    const entry = typeof nameOrEntry === "string" ? this.byName.get(nameOrEntry) : nameOrEntry;
    if (!entry) throw this.fault(`there is no item named '${String(nameOrEntry)}' in the archive`);
    if (entry.uncompressedSize > this.limits.maxEntryBytes) {
      throw this.fault(`entry '${entry.name}' declares ${entry.uncompressedSize} bytes, over the limit of ${this.limits.maxEntryBytes}`);
    }
    if (this.totalRead + entry.uncompressedSize > this.limits.maxTotalBytes) {
      throw this.fault(`reading entry '${entry.name}' would take the archive past ${this.limits.maxTotalBytes} uncompressed bytes`);
    }
    const start = this.dataStart(entry);
    const raw = this.bytes.subarray(start, start + entry.compressedSize);
    const data = entry.method === "stored" ? raw : this.inflate(entry, raw);
    if (data.length !== entry.uncompressedSize) {
      throw this.fault(`entry '${entry.name}' holds ${data.length} bytes but declares ${entry.uncompressedSize}`);
    }
    const crc = crc32(data);
    if (crc !== entry.crc32) throw this.fault(`bad CRC-32 for entry '${entry.name}' (0x${hex(crc)} instead of 0x${hex(entry.crc32)})`);
    this.totalRead += data.length;
    return data;
  }

  private inflate(entry: ZipEntry, raw: Uint8Array): Uint8Array {
    try {
      // One byte past the declared size: an entry that inflates further is refused, not buffered.
      return zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize + 1) });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ERR_BUFFER_TOO_LARGE") {
        throw this.fault(`entry '${entry.name}' inflates past its declared ${entry.uncompressedSize} bytes (a zip bomb or a corrupt size)`);
      }
      throw this.fault(`entry '${entry.name}' is not valid deflate data (${(err as Error).message})`);
    }
  }

  /** Where an entry's data begins: after its local header, whose own name and extra lengths count. */
  private dataStart(entry: ZipEntry): number {
    const at = entry.localHeaderOffset;
    this.need(at, 30, `the local header of '${entry.name}'`);
    if (this.view.getUint32(at, true) !== LOCAL_SIGNATURE)
      throw this.fault(`bad local header signature for entry '${entry.name}' at offset ${at}`);
    const start = at + 30 + this.view.getUint16(at + 26, true) + this.view.getUint16(at + 28, true);
    this.need(start, entry.compressedSize, `the data of '${entry.name}'`);
    return start;
  }

  private readCentralDirectory(): ZipEntry[] {
    const eocd = this.findEndRecord();
    let count = this.view.getUint16(eocd + 10, true);
    let size = this.view.getUint32(eocd + 12, true);
    let offset = this.view.getUint32(eocd + 16, true);
    if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
      ({ count, size, offset } = this.readZip64End(eocd));
    }
    if (count > this.limits.maxEntries)
      throw this.fault(`the central directory lists ${count} entries, over the limit of ${this.limits.maxEntries}`);
    this.need(offset, size, "the central directory");
    const entries: ZipEntry[] = [];
    let at = offset;
    for (let i = 0; i < count; i++) {
      this.need(at, 46, `central directory entry ${i}`);
      if (this.view.getUint32(at, true) !== CENTRAL_SIGNATURE)
        throw this.fault(`bad central directory entry signature at offset ${at} (entry ${i})`);
      const flags = this.view.getUint16(at + 8, true);
      const methodCode = this.view.getUint16(at + 10, true);
      const crc = this.view.getUint32(at + 16, true);
      let compressedSize = this.view.getUint32(at + 20, true);
      let uncompressedSize = this.view.getUint32(at + 24, true);
      const nameLength = this.view.getUint16(at + 28, true);
      const extraLength = this.view.getUint16(at + 30, true);
      const commentLength = this.view.getUint16(at + 32, true);
      let localHeaderOffset = this.view.getUint32(at + 42, true);
      this.need(at + 46, nameLength + extraLength + commentLength, `central directory entry ${i}`);
      const nameBytes = this.bytes.subarray(at + 46, at + 46 + nameLength);
      const name = flags & 0x800 ? utf8(nameBytes, () => this.fault(`entry ${i} has a name that is not UTF-8`)) : latin1(nameBytes);
      if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
        ({ compressedSize, uncompressedSize, localHeaderOffset } = this.readZip64Extra(at + 46 + nameLength, extraLength, name, {
          compressedSize,
          uncompressedSize,
          localHeaderOffset,
        }));
      }
      if (flags & 0x1) throw this.fault(`entry '${name}' is encrypted`);
      const method = methodCode === 0 ? "stored" : methodCode === 8 ? "deflate" : undefined;
      if (!method) throw this.fault(`entry '${name}' uses compression method ${methodCode} (only stored and deflate are supported)`);
      if (method === "stored" && compressedSize !== uncompressedSize) {
        throw this.fault(`stored entry '${name}' declares ${compressedSize} bytes stored but ${uncompressedSize} uncompressed`);
      }
      this.need(localHeaderOffset, compressedSize, `the data of '${name}'`);
      entries.push({ name, method, compressedSize, uncompressedSize, crc32: crc, localHeaderOffset });
      at += 46 + nameLength + extraLength + commentLength;
    }
    if (at > offset + size) throw this.fault(`the central directory runs past its declared ${size} bytes`);
    return entries;
  }

  /** The end-of-central-directory record: searched backwards, since a comment may follow it. */
  private findEndRecord(): number {
    const last = this.bytes.length - EOCD_SIZE;
    const first = Math.max(0, last - MAX_COMMENT);
    for (let at = last; at >= first; at--) {
      if (this.view.getUint32(at, true) === EOCD_SIGNATURE && at + EOCD_SIZE + this.view.getUint16(at + 20, true) <= this.bytes.length) {
        return at;
      }
    }
    throw this.fault(
      this.bytes.length < EOCD_SIZE
        ? "file is too short to be a zip archive"
        : "no end of central directory record (not a zip archive, or truncated)",
    );
  }

  private readZip64End(eocd: number): { count: number; size: number; offset: number } {
    const locator = eocd - 20;
    if (locator < 0 || this.view.getUint32(locator, true) !== ZIP64_LOCATOR_SIGNATURE) {
      throw this.fault("the end record points to a zip64 record that is missing");
    }
    const record = this.u64(locator + 8, "zip64 end record offset");
    this.need(record, 56, "the zip64 end record");
    if (this.view.getUint32(record, true) !== ZIP64_EOCD_SIGNATURE) throw this.fault(`bad zip64 end record signature at offset ${record}`);
    return {
      count: this.u64(record + 32, "zip64 entry count"),
      size: this.u64(record + 40, "zip64 central directory size"),
      offset: this.u64(record + 48, "zip64 central directory offset"),
    };
  }

  /** Zip64 extended information (extra field 0x0001): 8-byte values, present only for the fields that overflowed. */
  private readZip64Extra(
    start: number,
    length: number,
    name: string,
    fields: { compressedSize: number; uncompressedSize: number; localHeaderOffset: number },
  ): { compressedSize: number; uncompressedSize: number; localHeaderOffset: number } {
    const end = start + length;
    for (let at = start; at + 4 <= end; ) {
      const id = this.view.getUint16(at, true);
      const size = this.view.getUint16(at + 2, true);
      if (at + 4 + size > end) break;
      if (id === 0x0001) {
        let field = at + 4;
        const next = (what: string): number => {
          if (field + 8 > at + 4 + size) throw this.fault(`the zip64 extra field of '${name}' is too short for its ${what}`);
          const value = this.u64(field, `${what} of '${name}'`);
          field += 8;
          return value;
        };
        const out = { ...fields };
        if (fields.uncompressedSize === 0xffffffff) out.uncompressedSize = next("uncompressed size");
        if (fields.compressedSize === 0xffffffff) out.compressedSize = next("compressed size");
        if (fields.localHeaderOffset === 0xffffffff) out.localHeaderOffset = next("local header offset");
        return out;
      }
      at += 4 + size;
    }
    throw this.fault(`entry '${name}' has 32-bit size fields set to 0xFFFFFFFF but no zip64 extra field`);
  }

  private u64(at: number, what: string): number {
    this.need(at, 8, what);
    const value = this.view.getBigUint64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fault(`${what} is ${value}, beyond any file this reader can hold`);
    return Number(value);
  }

  /** Fails unless `length` bytes starting at `at` lie inside the archive. */
  private need(at: number, length: number, what: string): void {
    if (at < 0 || length < 0 || at + length > this.bytes.length) {
      throw this.fault(`${what} (${length} bytes at offset ${at}) lies outside the ${this.bytes.length}-byte file (truncated or corrupt)`);
    }
  }

  private fault(message: string): BadZipFile {
    return new BadZipFile(`${this.archiveName}: ${message}`);
  }
}

/** Opens an in-memory archive; see ZipArchive. */
export function openZip(bytes: Uint8Array, archiveName?: string, limits?: Partial<ZipLimits>): ZipArchive {
  return new ZipArchive(bytes, archiveName, { ...defaultZipLimits, ...limits });
}

let crcTable: Uint32Array | undefined;

/** zlib.crc32 (native) exists from Node 20.15; earlier versions get the table below. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 (the zip/PNG polynomial). */
export function crc32(data: Uint8Array): number {
  if (typeof nativeCrc32 === "function") return nativeCrc32(data) >>> 0;
  return tableCrc32(data);
}

/** CRC-32 in JS, for Node versions without zlib.crc32 (exported so tests check both agree). */
export function tableCrc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function utf8(bytes: Uint8Array, fault: () => Error): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw fault();
  }
}
