import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  BadZipFile,
  FileFormatError,
  TorchFileError,
  UnpicklingError,
  crc32,
  moduleStateDict,
  openZip,
  parseTorchFile,
  pyGet,
  pyToJs,
  recordClass,
  safeDataGlobal,
  unpickle,
  type PyValue,
} from "../../src/toolkit/io";

const BEST = path.join(__dirname, "../../../test/fixtures/yolov5-v7.0-run/run/weights/best.pt");
const REFUSAL =
  "only the classes and functions torch.save writes for tensors and modules are allowed (this file is not a checkpoint, or it was made to run code)";

function python(script: string, ...args: string[]): string {
  return execFileSync("/usr/bin/python3", ["-c", script, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
}

/** A zip of stored entries, as torch.save writes them (without its alignment padding). */
function storedZip(entries: [string, Uint8Array][]): Uint8Array {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt32LE(crc32(data), 14);
    header.writeUInt32LE(data.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    parts.push(header, nameBytes, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt32LE(crc32(data), 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Uint8Array.from(Buffer.concat([...parts, cd, end]));
}

const pt = (pickle: Uint8Array, extra: [string, Uint8Array][] = []) =>
  storedZip([["archive/data.pkl", pickle], ...extra, ["archive/version", Buffer.from("3\n")]]);
const hex = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));
const latin1 = (s: string) => Uint8Array.from(Buffer.from(s, "latin1"));

function refuses(run: () => unknown, global: string, what: string): void {
  assert.throws(
    run,
    (e: Error) => {
      assert.ok(e instanceof UnpicklingError, `${what}: ${e}`);
      assert.ok(e.message.includes(`refusing to load global '${global}'`), `${what}: ${e.message}`);
      return true;
    },
    what,
  );
}

test("pickles that would run a command in Python are refused, naming the global, and nothing runs", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tfjs-lab-hostile-"));
  try {
    const marker = path.join(dir, "pwned");
    const lines = python(
      `
import pickle, os, subprocess, builtins, sys
marker = sys.argv[1]
class System:
    def __reduce__(self): return (os.system, ('touch ' + marker,))
class Eval:
    def __reduce__(self): return (builtins.eval, ("__import__('os').system('touch %s')" % marker,))
class Popen:
    def __reduce__(self): return (subprocess.Popen, (['touch', marker],))
for cls in (System, Eval, Popen):
    for p in (0, 2, 4):
        # Wrapped in a checkpoint-like dict, as a poisoned best.pt would be.
        print(cls.__name__, p, pickle.dumps({'epoch': 1, 'model': cls()}, protocol=p).hex())`,
      marker,
    )
      .trim()
      .split("\n");
    // Protocols 0-2 write Python 2's module names (__builtin__) for compatibility.
    const globals = (kind: string, protocol: number) =>
      ({
        System: "posix.system",
        Eval: protocol < 3 ? "__builtin__.eval" : "builtins.eval",
        Popen: protocol < 3 ? "commands.Popen" : "subprocess.Popen",
      })[kind]!;
    assert.equal(lines.length, 9);
    for (const line of lines) {
      const [kind, protocol, payload] = line.split(" ");
      const bytes = hex(payload);
      const what = `${kind} protocol ${protocol}`;
      const global = globals(kind, Number(protocol));
      refuses(() => unpickle(bytes), global, what);
      refuses(() => parseTorchFile(pt(bytes), "poisoned.pt"), global, what);
      assert.throws(() => parseTorchFile(pt(bytes), "poisoned.pt"), {
        message: `refusing to load global '${global}' from archive/data.pkl: ${REFUSAL}`,
      });
    }
    // Hand-written forms: INST, OBJ and STACK_GLOBAL, plus names near the allowed ones.
    const forms: [string, Uint8Array][] = [
      ["os.system", latin1(`(S'touch ${marker}'\nios\nsystem\n.`)],
      ["os.system", latin1(`(cos\nsystem\nS'touch ${marker}'\no.`)],
      ["posix.system", Uint8Array.from([...hex("80048c05706f736978948c0673797374656d9493"), 0x2e])],
      ["builtins.getattr", latin1("cbuiltins\ngetattr\n.")],
      ["__builtin__.eval", latin1("c__builtin__\neval\n.")],
      ["copyreg._reconstructor", latin1("ccopyreg\n_reconstructor\n.")],
      ["torch.load", latin1("ctorch\nload\n.")],
      ["torch._utils._rebuild_device_tensor_from_numpy", latin1("ctorch._utils\n_rebuild_device_tensor_from_numpy\n.")],
      ["numpy.core.multiarray._reconstruct", latin1("cnumpy.core.multiarray\n_reconstruct\n.")],
      ["torch.serialization._load", latin1("ctorch.serialization\n_load\n.")],
    ];
    for (const [global, bytes] of forms) {
      refuses(() => parseTorchFile(pt(bytes)), global, global);
      refuses(() => unpickle(bytes), global, global);
    }
    // Model classes are records whose code never runs, so a "call" of one is harmless data.
    const record = parseTorchFile(pt(latin1(`cmodels.common\nsystem\n(S'touch ${marker}'\ntR.`)));
    assert.deepEqual(pyToJs(record), { __class__: "models.common.system" });
    assert.ok(!existsSync(marker), "nothing ran");

    // The payloads are real: Python's own pickle runs the first one.
    python(`import pickle, sys\npickle.loads(bytes.fromhex(sys.argv[1]))`, lines[1].split(" ")[2]);
    assert.ok(existsSync(marker), "the payload does run in Python");
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

// data.pkl of one tensor over storage '0', with numel, size, stride and offset as given.
function tensorPickle(storageType: string, numel: number, size: number[], stride: number[], offset = 0): Uint8Array {
  const out = python(
    `
import pickle, sys, types, collections, io, json
for n in ('torch', 'torch._utils'): sys.modules[n] = types.ModuleType(n)
def g(mod, name):
    f = type(name, (), {}); f.__module__ = mod; f.__qualname__ = name; setattr(sys.modules[mod], name, f); return f
St = g('torch', sys.argv[1]); rebuild = g('torch._utils', '_rebuild_tensor_v2')
class S: pass
class T:
    def __reduce__(self): return (rebuild, (S(), int(sys.argv[5]), tuple(json.loads(sys.argv[3])), tuple(json.loads(sys.argv[4])), False, collections.OrderedDict()))
class P(pickle.Pickler):
    def persistent_id(self, o): return ('storage', St, '0', 'cpu', int(sys.argv[2])) if isinstance(o, S) else None
b = io.BytesIO(); P(b, protocol=2).dump({'t': T()}); print(b.getvalue().hex())`,
    storageType,
    String(numel),
    JSON.stringify(size),
    JSON.stringify(stride),
    String(offset),
  );
  return hex(out.trim());
}

test("storages and tensors that do not fit their entries are refused before anything is allocated", () => {
  const ok = parseTorchFile(pt(tensorPickle("FloatStorage", 4, [2, 2], [2, 1]), [["archive/data/0", new Uint8Array(16)]]));
  assert.deepEqual(Array.from(moduleStateDict(ok).get("t")!.toFloat32()), [0, 0, 0, 0]);
  const cases: [string, Uint8Array, RegExp][] = [
    ["missing storage entry", pt(tensorPickle("FloatStorage", 4, [4], [1])), /storage '0' has no entry archive\/data\/0/],
    [
      "numel beyond the entry",
      pt(tensorPickle("FloatStorage", 2 ** 40, [4], [1]), [["archive/data/0", new Uint8Array(16)]]),
      /declares 1099511627776 float32 elements \(4398046511104 bytes\) but archive\/data\/0 holds 16 bytes/,
    ],
    [
      "view past the storage",
      pt(tensorPickle("HalfStorage", 8, [3, 3], [3, 1]), [["archive/data/0", new Uint8Array(16)]]),
      /reads element 8 of storage '0', which has 8/,
    ],
    [
      "offset past the storage",
      pt(tensorPickle("HalfStorage", 8, [2], [1], 7), [["archive/data/0", new Uint8Array(16)]]),
      /reads element 8/,
    ],
    [
      "expanded to billions",
      pt(tensorPickle("FloatStorage", 1, [100000, 100000], [0, 0]), [["archive/data/0", new Uint8Array(4)]]),
      /repeats storage '0' to 10000000000 elements/,
    ],
    [
      "unknown storage type",
      pt(tensorPickle("ComplexFloatStorage", 1, [1], [1]), [["archive/data/0", new Uint8Array(8)]]),
      /refusing to load global 'torch.ComplexFloatStorage'/,
    ],
  ];
  for (const [what, bytes, pattern] of cases) {
    assert.throws(
      () => parseTorchFile(bytes),
      (e: Error) => e instanceof FileFormatError && pattern.test(e.message),
      what,
    );
  }
});

test("files that are not torch.save zips get a clear error: legacy format, TorchScript, no data.pkl, plain junk", () => {
  const legacy = hex(
    python(`import pickle; print((pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2) + pickle.dumps(1001, protocol=2)).hex())`).trim(),
  );
  assert.throws(
    () => parseTorchFile(legacy, "old.pt"),
    (e: Error) =>
      e instanceof TorchFileError && /old\.pt is in the legacy torch\.save format .*re-save it with a newer torch/.test(e.message),
  );
  const script = storedZip([
    ["m/data.pkl".replace("data", "constants"), latin1("N.")],
    ["m/code/__torch__.py", latin1("")],
  ]);
  assert.throws(() => parseTorchFile(script, "m.pt"), /TorchScript archive/);
  assert.throws(() => parseTorchFile(storedZip([["x.txt", latin1("hi")]]), "x.zip"), /without a <folder>\/data\.pkl entry/);
  assert.throws(
    () => parseTorchFile(latin1("hello, not a checkpoint"), "h.pt"),
    (e: Error) => e instanceof TorchFileError && /not a zip archive/.test(e.message),
  );
  assert.throws(() => parseTorchFile(new Uint8Array(0)), TorchFileError);
});

test("a zip bomb in a checkpoint fails fast against the entry limit", () => {
  const bytes = hex(
    python(String.raw`
import zipfile, io
b = io.BytesIO()
with zipfile.ZipFile(b, 'w') as z:
    z.writestr('archive/data.pkl', b'\x80\x02}q\x00.')
    z.writestr('archive/data/0', bytes(48 << 20), compress_type=zipfile.ZIP_DEFLATED)
print(b.getvalue().hex())`).trim(),
  );
  assert.ok(bytes.length < 1 << 20);
  const started = Date.now();
  const zip = openZip(bytes, "bomb.pt", { maxEntryBytes: 16 << 20 });
  assert.throws(
    () => zip.read("archive/data/0"),
    (e: Error) => e instanceof BadZipFile && /over the limit of 16777216/.test(e.message),
  );
  assert.ok(Date.now() - started < 2000);
});

test("100,000 nested lists (MARK/LIST and EMPTY_LIST/APPEND forms) give a clear error, not a stack overflow", () => {
  const marks = Buffer.concat([
    Buffer.from("\x80\x02", "latin1"),
    Buffer.from("(".repeat(100_000)),
    Buffer.from("l".repeat(100_000)),
    Buffer.from("."),
  ]);
  const appends = Buffer.concat([
    Buffer.from("\x80\x02", "latin1"),
    Buffer.from("]".repeat(100_000)),
    Buffer.from("a".repeat(99_999)),
    Buffer.from("."),
  ]);
  for (const bytes of [marks, appends]) {
    assert.throws(
      () => parseTorchFile(pt(bytes)),
      (e: Error) => e instanceof UnpicklingError && /nested deeper than 1000 levels/.test(e.message),
    );
  }
  // Nesting built through the memo (append to a list already inside another) escapes the VM's count; the walkers still stop.
  const viaMemo = [Buffer.from("\x80\x02]q\x00", "latin1")];
  for (let i = 1; i < 5000; i++)
    viaMemo.push(
      Buffer.from(
        `]r${Buffer.from(new Uint32Array([i]).buffer).toString("latin1")}j${Buffer.from(new Uint32Array([i - 1]).buffer).toString("latin1")}j${Buffer.from(new Uint32Array([i]).buffer).toString("latin1")}a0`,
        "latin1",
      ),
    );
  viaMemo.push(Buffer.from("j\0\0\0\0.", "latin1")); // the root is the outermost list
  const root = parseTorchFile(pt(Buffer.concat(viaMemo)));
  assert.throws(
    () => pyToJs(root),
    (e: Error) => e instanceof TorchFileError && /deeper than 1000/.test(e.message),
  );
});

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One random corruption: overwritten bytes, a truncation, a deletion, a repeat, an insertion, or a field set to 0xFFFFFFFF. */
function mutate(bytes: Uint8Array, rand: () => number, region: [number, number] = [0, bytes.length]): Uint8Array {
  const at = region[0] + Math.floor(rand() * (region[1] - region[0]));
  const n = 1 + Math.floor(rand() * 8);
  const copy = new Uint8Array(bytes);
  switch (Math.floor(rand() * 6)) {
    case 0:
      for (let i = 0; i < n && at + i < copy.length; i++) copy[at + i] = Math.floor(rand() * 256);
      return copy;
    case 1:
      return copy.subarray(0, at);
    case 2:
      return joined(copy.subarray(0, at), copy.subarray(at + n));
    case 3:
      return joined(copy.subarray(0, at + n), copy.subarray(at));
    case 4:
      return joined(
        copy.subarray(0, at),
        Uint8Array.from({ length: n }, () => Math.floor(rand() * 256)),
        copy.subarray(at),
      );
    default:
      copy.fill(0xff, at, Math.min(copy.length, at + 4));
      return copy;
  }
}

function joined(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** Parses and walks; returns what happened. Anything but success or one of our errors fails the test. */
function survive(run: () => void, label: string): "parsed" | "refused" {
  try {
    run();
    return "parsed";
  } catch (err) {
    if (err instanceof FileFormatError) return "refused";
    throw new Error(`${label}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
}

test("fuzz: thousands of corrupted copies of best.pt's data.pkl and zip either parse or throw our named errors", async () => {
  const started = Date.now();
  const original = new Uint8Array(await fs.readFile(BEST));
  const zip = openZip(original);
  const pickle = zip.read("best/data.pkl");
  const storages = zip
    .names()
    .filter((n) => n.startsWith("best/data/"))
    .map((n) => [n.replace("best/", "archive/"), zip.read(n)] as [string, Uint8Array]);
  const walk = (root: PyValue) => {
    pyToJs(root);
    const model = pyGet(root, "model");
    if (model !== undefined) {
      const state = moduleStateDict(model);
      state.values().next().value?.toFloat32();
    }
  };
  const counts = { parsed: 0, refused: 0 };
  const rand = random(20240601);

  // The VM alone, every global kept as a record: mutations anywhere in the pickle.
  const anyGlobal = (module: string, name: string) => safeDataGlobal(module, name) ?? recordClass(module, name);
  for (let i = 0; i < 1200; i++) {
    const bytes = mutate(pickle, rand);
    counts[survive(() => unpickle(bytes, { findGlobal: anyGlobal, persistentLoad: (pid) => pid }), `vm case ${i}`)]++;
  }
  const phase1 = Date.now();
  // The whole reader on a checkpoint whose data.pkl is corrupted (storages intact).
  for (let i = 0; i < 200; i++) {
    const bytes = pt(mutate(pickle, rand), storages);
    counts[survive(() => walk(parseTorchFile(bytes)), `data.pkl case ${i}`)]++;
  }
  const phase2 = Date.now();
  // The zip itself: headers, data.pkl, and the central directory at the end.
  const centralStart = original.length - 40_000;
  for (let i = 0; i < 800; i++) {
    const region: [number, number] = rand() < 0.5 ? [0, 80_000] : [centralStart, original.length];
    const bytes = mutate(original, rand, region);
    counts[survive(() => walk(parseTorchFile(bytes)), `zip case ${i}`)]++;
  }
  for (let i = 0; i < 100; i++) {
    const bytes = original.subarray(0, Math.floor(rand() * original.length));
    counts[survive(() => walk(parseTorchFile(bytes)), `truncation ${i}`)]++;
  }
  const seconds = (Date.now() - started) / 1000;
  if (process.env.FUZZ_TIMING) console.log({ vm: phase1 - started, dataPkl: phase2 - phase1, zip: Date.now() - phase2, counts });
  assert.ok(counts.refused > 1000, JSON.stringify(counts));
  assert.ok(counts.parsed > 0, JSON.stringify(counts)); // some mutations are harmless (a changed float, a string)
  assert.ok(seconds < 25, `fuzzing took ${seconds}s`);
});
