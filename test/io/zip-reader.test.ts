import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { BadZipFile, crc32, openZip } from "../../src/toolkit/io";
import { tableCrc32 } from "../../src/toolkit/io/zip-reader";

const BEST = path.join(__dirname, "../../../test/fixtures/yolov5-v7.0-run/run/weights/best.pt");

interface BuildEntry {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
  /** Uncompressed size to declare instead of the real one (a lying header). */
  declaredSize?: number;
}

/** A zip written by hand, so sizes can lie and zip64 records can be forced. */
function buildZip(entries: BuildEntry[], opts: { zip64?: boolean; comment?: string } = {}): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const body = e.deflate ? zlib.deflateRawSync(e.data) : Buffer.from(e.data);
    const name = Buffer.from(e.name, "utf8");
    const size = e.declaredSize ?? e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(opts.zip64 ? 45 : 20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc32(e.data), 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const extra = Buffer.alloc(opts.zip64 ? 28 : 0);
    if (opts.zip64) {
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(size), 4);
      extra.writeBigUInt64LE(BigInt(body.length), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
    }
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(opts.zip64 ? 45 : 20, 4);
    central.writeUInt16LE(opts.zip64 ? 45 : 20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(e.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc32(e.data), 16);
    central.writeUInt32LE(opts.zip64 ? 0xffffffff : body.length, 20);
    central.writeUInt32LE(opts.zip64 ? 0xffffffff : size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(opts.zip64 ? 0xffffffff : offset, 42);
    centrals.push(central, name, extra);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const tail: Buffer[] = [];
  if (opts.zip64) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(45, 12);
    record.writeUInt16LE(45, 14);
    record.writeBigUInt64LE(BigInt(entries.length), 24);
    record.writeBigUInt64LE(BigInt(entries.length), 32);
    record.writeBigUInt64LE(BigInt(cd.length), 40);
    record.writeBigUInt64LE(BigInt(offset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(offset + cd.length), 8);
    locator.writeUInt32LE(1, 16);
    tail.push(record, locator);
  }
  const comment = Buffer.from(opts.comment ?? "");
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(opts.zip64 ? 0xffff : entries.length, 8);
  end.writeUInt16LE(opts.zip64 ? 0xffff : entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(opts.zip64 ? 0xffffffff : offset, 16);
  end.writeUInt16LE(comment.length, 20);
  return Uint8Array.from(Buffer.concat([...locals, cd, ...tail, end, comment]));
}

async function withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tfjs-lab-zip-"));
  try {
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function python(script: string, ...args: string[]): string {
  return execFileSync("/usr/bin/python3", ["-c", script, ...args], { encoding: "utf8" });
}

test("archives from Python's zipfile: stored and deflated entries, UTF-8 names, a comment", async () => {
  await withTemp(async (dir) => {
    const file = path.join(dir, "a.zip");
    python(
      `
import zipfile, sys
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr(zipfile.ZipInfo('top/stored.bin'), bytes(range(256)) * 4)
    z.writestr('top/deflated.txt', 'hello ' * 1000, compress_type=zipfile.ZIP_DEFLATED)
    z.writestr('top/empty', b'')
    z.writestr('top/ünï.txt', 'x', compress_type=zipfile.ZIP_DEFLATED)
    z.comment = b'a comment'`,
      file,
    );
    const zip = openZip(await fs.readFile(file), "a.zip");
    assert.deepEqual(zip.names(), ["top/stored.bin", "top/deflated.txt", "top/empty", "top/ünï.txt"]);
    assert.equal(zip.entry("top/stored.bin")!.method, "stored");
    assert.equal(zip.entry("top/deflated.txt")!.method, "deflate");
    assert.deepEqual(
      Buffer.from(zip.read("top/stored.bin")),
      Buffer.concat(Array(4).fill(Buffer.from(Array.from({ length: 256 }, (_, i) => i)))),
    );
    assert.equal(Buffer.from(zip.read("top/deflated.txt")).toString(), "hello ".repeat(1000));
    assert.equal(zip.read("top/empty").length, 0);
    assert.equal(Buffer.from(zip.read("top/ünï.txt")).toString(), "x");
    assert.throws(
      () => zip.read("top/missing"),
      (e: Error) => e instanceof BadZipFile && /no item named 'top\/missing'/.test(e.message),
    );
  });
});

test("best.pt: 360 stored entries under best/, each CRC-checked", async () => {
  const zip = openZip(await fs.readFile(BEST), "best.pt");
  assert.equal(zip.entries.length, 360);
  assert.equal(zip.names()[0], "best/data.pkl");
  assert.ok(zip.entries.every((e) => e.method === "stored" && e.name.startsWith("best/")));
  assert.equal(Buffer.from(zip.read("best/version")).toString(), "3\n");
  assert.equal(zip.read("best/data.pkl").length, 77730);
  assert.equal(zip.read("best/data/0").length, 3456);
});

test("zip64 end records and extra fields are followed, and Python agrees the archive is valid", async () => {
  const bytes = buildZip(
    [
      { name: "a/x", data: Buffer.from("zip64 stored") },
      { name: "a/y", data: Buffer.from("z".repeat(500)), deflate: true },
    ],
    { zip64: true, comment: "c" },
  );
  const zip = openZip(bytes);
  assert.equal(Buffer.from(zip.read("a/x")).toString(), "zip64 stored");
  assert.equal(Buffer.from(zip.read("a/y")).toString(), "z".repeat(500));
  await withTemp(async (dir) => {
    const file = path.join(dir, "z64.zip");
    await fs.writeFile(file, bytes);
    const out = python(
      `import zipfile, sys\nz = zipfile.ZipFile(sys.argv[1])\nprint(z.testzip(), [z.read(n).decode()[:5] for n in z.namelist()])`,
      file,
    );
    assert.equal(out.trim(), "None ['zip64', 'zzzzz']");
  });
});

test("CRC-32 matches zlib's (the JS table and the native one)", () => {
  const data = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 31 + 7) & 0xff);
  assert.equal(tableCrc32(data), crc32(data));
  assert.equal(tableCrc32(Buffer.from("123456789")), 0xcbf43926);
});

test("zip bombs: a declared size over the limit, and an entry that inflates past its declared size, fail fast", () => {
  const zeros = new Uint8Array(64 << 20);
  const honest = buildZip([{ name: "bomb", data: zeros, deflate: true }]);
  assert.ok(honest.length < 200_000); // 64 MiB of zeros deflate to about 64 KiB
  let started = Date.now();
  assert.throws(
    () => openZip(honest, "bomb.zip", { maxEntryBytes: 1 << 20 }).read("bomb"),
    (e: Error) => e instanceof BadZipFile && /declares 67108864 bytes, over the limit of 1048576/.test(e.message),
  );
  assert.ok(Date.now() - started < 1000);
  const liar = buildZip([{ name: "bomb", data: zeros, deflate: true, declaredSize: 1000 }]);
  started = Date.now();
  assert.throws(
    () => openZip(liar, "liar.zip").read("bomb"),
    (e: Error) => e instanceof BadZipFile && /inflates past its declared 1000 bytes/.test(e.message),
  );
  assert.ok(Date.now() - started < 1000);
  const total = buildZip([
    { name: "a", data: new Uint8Array(600) },
    { name: "b", data: new Uint8Array(600) },
  ]);
  const zip = openZip(total, "t.zip", { maxTotalBytes: 1000 });
  zip.read("a");
  assert.throws(() => zip.read("b"), /past 1000 uncompressed bytes/);
});

test("corrupt archives: each fault is a BadZipFile naming it", () => {
  const good = buildZip([{ name: "a/data.pkl", data: Buffer.from("payload bytes") }]);
  const patched = (at: number, bytes: number[]) => {
    const copy = Uint8Array.from(good);
    copy.set(bytes, at);
    return copy;
  };
  const cd = good.length - 22 - 46 - "a/data.pkl".length;
  const cases: [string, () => unknown, RegExp][] = [
    ["not a zip", () => openZip(Buffer.from("just some text that is long enough")), /no end of central directory record/],
    ["too short", () => openZip(Buffer.from("PK")), /too short/],
    ["truncated", () => openZip(good.subarray(0, good.length - 30)), /no end of central directory|outside/],
    ["bad CRC", () => openZip(patched(30 + 10, [0x58])).read("a/data.pkl"), /bad CRC-32 for entry 'a\/data.pkl'/],
    ["bad local signature", () => openZip(patched(0, [0, 0])).read("a/data.pkl"), /bad local header signature/],
    ["central directory out of range", () => openZip(patched(good.length - 6, [0xff, 0xff, 0xff, 0x7f])), /outside the \d+-byte file/],
    ["encrypted", () => openZip(patched(cd + 8, [0x01, 0x08])), /encrypted/],
    ["unknown method", () => openZip(patched(cd + 10, [12, 0])), /compression method 12/],
    ["stored size mismatch", () => openZip(patched(cd + 24, [1, 0, 0, 0])), /declares 13 bytes stored but 1 uncompressed/],
    ["zip64 marker without extra", () => openZip(patched(cd + 20, [0xff, 0xff, 0xff, 0xff])), /no zip64 extra field/],
    [
      "duplicate names",
      () =>
        openZip(
          buildZip([
            { name: "x", data: new Uint8Array(1) },
            { name: "x", data: new Uint8Array(2) },
          ]),
        ),
      /duplicate entry name 'x'/,
    ],
    [
      "bad deflate",
      () => {
        const zip = buildZip([{ name: "d", data: Buffer.from("abc".repeat(50)), deflate: true }]);
        zip[30 + 1] ^= 0xff;
        zip[30 + 2] ^= 0xff;
        return openZip(zip).read("d");
      },
      /not valid deflate data|bad CRC|holds \d+ bytes|inflates past/,
    ],
  ];
  for (const [what, run, pattern] of cases) {
    assert.throws(run, (e: Error) => e instanceof BadZipFile && pattern.test(e.message), what);
  }
});
