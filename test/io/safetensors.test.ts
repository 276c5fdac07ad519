import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  SafetensorError,
  decodeSafetensors,
  encodeSafetensors,
  moduleStateDict,
  pyGet,
  readSafetensorsFile,
  readTorchFile,
  safetensorsDtypeOf,
  writeSafetensorsFile,
  numberToFloat16Bits,
  numberToBfloat16Bits,
  float16BitsToNumber,
  bfloat16BitsToNumber,
  type NamedSafetensorsTensor,
} from "../../src/toolkit/io";

const BEST = path.join(__dirname, "../../../test/fixtures/yolov5-v7.0-run/run/weights/best.pt");

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tfjs-lab-st-"));
  try {
    await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const ALL: NamedSafetensorsTensor[] = [
  { name: "f16", dtype: "F16", shape: [2], data: Uint16Array.from([0x3c00, 0xc000]) },
  { name: "bf16", dtype: "BF16", shape: [1], data: Uint16Array.from([0x3f80]) },
  { name: "f32", dtype: "F32", shape: [2, 2], data: Float32Array.from([1.5, -2, 0.1, 3]) },
  { name: "f64", dtype: "F64", shape: [1], data: Float64Array.from([0.1]) },
  { name: "i64", dtype: "I64", shape: [2], data: BigInt64Array.from([-(2n ** 62n), 5n]) },
  { name: "i32", dtype: "I32", shape: [1], data: Int32Array.from([-7]) },
  { name: "i16", dtype: "I16", shape: [1], data: Int16Array.from([-300]) },
  { name: "i8", dtype: "I8", shape: [3], data: Int8Array.from([-1, 0, 1]) },
  { name: "u8", dtype: "U8", shape: [1, 3], data: Uint8Array.from([0, 128, 255]) },
  { name: "bool", dtype: "BOOL", shape: [2], data: Uint8Array.from([1, 0]) },
  { name: "scalar", dtype: "F32", shape: [], data: Float32Array.from([42]) },
  { name: "empty", dtype: "F32", shape: [0, 3], data: new Float32Array(0) },
];

test("encode: 8-byte header length, space-padded JSON, tensors packed by size then name; numpy reads it back", async () => {
  const bytes = encodeSafetensors(ALL, { format: "pt", note: "ünïcode" });
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(headerLength % 8, 0);
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString("utf8"));
  assert.deepEqual(header.__metadata__, { format: "pt", note: "ünïcode" });
  const order = Object.entries(header)
    .filter(([k]) => k !== "__metadata__")
    .sort((a, b) => (a[1] as { data_offsets: number[] }).data_offsets[0] - (b[1] as { data_offsets: number[] }).data_offsets[0])
    .map(([k]) => k);
  assert.deepEqual(order, ["f64", "i64", "empty", "f32", "i32", "scalar", "bf16", "f16", "i16", "bool", "i8", "u8"]);
  await withTemp(async (dir) => {
    const file = path.join(dir, "all.safetensors");
    await fs.writeFile(file, bytes);
    const out = execFileSync(
      "/usr/bin/python3",
      [
        "-c",
        `
import json, struct, sys, numpy as np
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
kinds = {'F16': '<f2', 'BF16': '<u2', 'F32': '<f4', 'F64': '<f8', 'I64': '<i8', 'I32': '<i4', 'I16': '<i2', 'I8': 'i1', 'U8': 'u1', 'BOOL': '?'}
out = {}
for k, v in header.items():
    if k == '__metadata__': continue
    b, e = v['data_offsets']
    a = np.frombuffer(raw[8 + n + b: 8 + n + e], dtype=kinds[v['dtype']]).reshape(v['shape'])
    out[k] = [str(x) for x in a.flatten().tolist()]
print(json.dumps(out, sort_keys=True))`,
        file,
      ],
      { encoding: "utf8" },
    );
    assert.deepEqual(JSON.parse(out), {
      bf16: ["16256"],
      bool: ["True", "False"],
      empty: [],
      f16: ["1.0", "-2.0"],
      f32: ["1.5", "-2.0", "0.10000000149011612", "3.0"],
      f64: ["0.1"],
      i16: ["-300"],
      i32: ["-7"],
      i64: [String(-(2n ** 62n)), "5"],
      i8: ["-1", "0", "1"],
      scalar: ["42.0"],
      u8: ["0", "128", "255"],
    });
  });
});

test("decode gives back every dtype, shape and value, and the metadata", () => {
  const { tensors, metadata } = decodeSafetensors(encodeSafetensors(ALL, { a: "b" }));
  assert.deepEqual(metadata, { a: "b" });
  assert.equal(tensors.size, ALL.length);
  for (const t of ALL) {
    const got = tensors.get(t.name)!;
    assert.equal(got.dtype, t.dtype);
    assert.deepEqual(got.shape, t.shape);
    assert.equal(got.data.constructor, t.data.constructor);
    assert.deepEqual(Array.from(got.data as ArrayLike<unknown>), Array.from(t.data as ArrayLike<unknown>), t.name);
  }
  assert.deepEqual(decodeSafetensors(encodeSafetensors([])).metadata, {});
});

test("a file written by Python by hand (unsorted header, odd order) decodes", () => {
  const hex = execFileSync(
    "/usr/bin/python3",
    [
      "-c",
      `
import json, struct
data = struct.pack('<3h', 1, -2, 3) + struct.pack('<2f', 0.5, 8.0)
header = json.dumps({'b': {'dtype': 'F32', 'shape': [2], 'data_offsets': [6, 14]}, '__metadata__': {'k': 'v'}, 'a': {'dtype': 'I16', 'shape': [3, 1], 'data_offsets': [0, 6]}}).encode()
print((struct.pack('<Q', len(header)) + header + data).hex())`,
    ],
    { encoding: "utf8" },
  ).trim();
  const { tensors, metadata } = decodeSafetensors(Buffer.from(hex, "hex"));
  assert.deepEqual(metadata, { k: "v" });
  assert.deepEqual([...tensors.keys()], ["a", "b"]);
  assert.deepEqual(Array.from(tensors.get("a")!.data as Int16Array), [1, -2, 3]);
  assert.deepEqual(Array.from(tensors.get("b")!.data as Float32Array), [0.5, 8]);
});

/** A safetensors file with the given header object and data length. */
function withHeader(header: unknown, dataBytes: number, raw?: string): Uint8Array {
  const json = Buffer.from(raw ?? JSON.stringify(header));
  const out = Buffer.alloc(8 + json.length + dataBytes);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  return out;
}

test("decode validates lengths, dtypes, shapes, offsets (gaps, overlaps, leftovers) and metadata", () => {
  const f32 = (offsets: number[], shape = [2]) => ({ dtype: "F32", shape, data_offsets: offsets });
  const cases: [string, Uint8Array, RegExp][] = [
    ["too small", new Uint8Array(4), /too small/],
    ["header over the limit", Uint8Array.from(Buffer.from("0000000001000000", "hex")), /over the limit of 100000000/],
    ["header past the end", withHeader({}, 0).subarray(0, 9), /runs past the end/],
    ["not starting with {", withHeader(null, 0, " {}"), /does not start with '\{'/],
    ["bad JSON", withHeader(null, 0, '{"a":'), /not valid JSON/],
    ["array header", withHeader(null, 0, "[1]"), /does not start with/],
    ["bad UTF-8", withHeader(null, 0, '{"\xff"}'), /not valid UTF-8|not valid JSON/],
    ["unknown dtype", withHeader({ t: { dtype: "F8", shape: [1], data_offsets: [0, 1] } }, 1), /unknown dtype "F8"/],
    ["bad shape", withHeader({ t: f32([0, 8], [-2]) }, 8), /invalid shape/],
    ["bad offsets", withHeader({ t: { dtype: "F32", shape: [2], data_offsets: [0] } }, 8), /invalid data_offsets/],
    ["reversed offsets", withHeader({ t: f32([8, 0]) }, 8), /end before they begin/],
    ["size mismatch", withHeader({ t: f32([0, 12]) }, 12), /needs 8 bytes but data_offsets \[0, 12\] give 12/],
    ["gap", withHeader({ t: f32([4, 12]) }, 12), /gap of 4 bytes before tensor 't'/],
    ["overlap", withHeader({ a: f32([0, 8]), b: f32([4, 12]) }, 12), /overlaps/],
    ["leftover", withHeader({ t: f32([0, 8]) }, 12), /4 bytes after the last tensor/],
    ["truncated data", withHeader({ t: f32([0, 8]) }, 4), /need 8 bytes of data but the file has 4/],
    ["metadata not strings", withHeader({ __metadata__: { a: 1 } }, 0), /__metadata__ 'a' is not a string/],
    ["huge shape", withHeader({ t: f32([0, 8], [2 ** 40, 2 ** 40]) }, 8), /invalid shape/],
  ];
  for (const [what, bytes, pattern] of cases) {
    assert.throws(
      () => decodeSafetensors(bytes),
      (e: Error) => e instanceof SafetensorError && pattern.test(e.message),
      what,
    );
  }
});

test("encode refuses invalid tensors", () => {
  const bad: [NamedSafetensorsTensor[], RegExp][] = [
    [[{ name: "a", dtype: "F32", shape: [3], data: new Float32Array(2) }], /has 3 elements but the data has 2/],
    [[{ name: "a", dtype: "F16", shape: [1], data: new Float32Array(1) }], /F16 data must be a Uint16Array, not Float32Array/],
    [
      [
        { name: "a", dtype: "F32", shape: [1], data: new Float32Array(1) },
        { name: "a", dtype: "F32", shape: [1], data: new Float32Array(1) },
      ],
      /given twice/,
    ],
    [[{ name: "__metadata__", dtype: "F32", shape: [1], data: new Float32Array(1) }], /invalid tensor name/],
    [[{ name: "a", dtype: "X" as "F32", shape: [1], data: new Float32Array(1) }], /unknown dtype/],
    [[{ name: "a", dtype: "F32", shape: [1.5], data: new Float32Array(1) }], /invalid shape/],
  ];
  for (const [tensors, pattern] of bad)
    assert.throws(
      () => encodeSafetensors(tensors),
      (e: Error) => e instanceof SafetensorError && pattern.test(e.message),
    );
  assert.throws(() => encodeSafetensors([], { a: 1 as unknown as string }), /metadata 'a' must be a string/);
});

test("writeSafetensorsFile replaces the file atomically and leaves no temporary file, even when encoding fails", async () => {
  await withTemp(async (dir) => {
    const file = path.join(dir, "w.safetensors");
    await writeSafetensorsFile(file, ALL.slice(0, 3), { v: "1" });
    await writeSafetensorsFile(file, ALL.slice(2, 4), { v: "2" });
    const back = await readSafetensorsFile(file);
    assert.deepEqual(back.metadata, { v: "2" });
    assert.deepEqual([...back.tensors.keys()].sort(), ["f32", "f64"]);
    await assert.rejects(writeSafetensorsFile(file, [{ name: "x", dtype: "F32", shape: [2], data: new Float32Array(1) }]), SafetensorError);
    assert.deepEqual((await readSafetensorsFile(file)).metadata, { v: "2" });
    assert.deepEqual(await fs.readdir(dir), ["w.safetensors"]);
    await assert.rejects(readSafetensorsFile(path.join(dir, "missing")), /ENOENT/);
  });
});

test("best.pt's state_dict as F16 safetensors round-trips bit for bit", async () => {
  const state = moduleStateDict(pyGet(await readTorchFile(BEST), "model"));
  const tensors: NamedSafetensorsTensor[] = [...state].map(([name, t]) => ({
    name,
    dtype: safetensorsDtypeOf(t.dtype),
    shape: t.shape,
    data: t.toTypedArray(),
  }));
  const { tensors: back } = decodeSafetensors(encodeSafetensors(tensors));
  assert.equal(back.size, 349);
  assert.equal(back.get("model.0.conv.weight")!.dtype, "F16");
  assert.equal(back.get("model.0.bn.num_batches_tracked")!.dtype, "I64");
  for (const [name, t] of state) {
    assert.deepEqual(back.get(name)!.shape, t.shape);
    assert.deepEqual(Buffer.from((back.get(name)!.data as Uint16Array).buffer), Buffer.from(t.toTypedArray().buffer), name);
  }
});

test("float16 and bfloat16 encoding round half to even as numpy and torch do", () => {
  const values = [
    0,
    -0,
    1,
    -1,
    0.1,
    1 / 3,
    65504,
    65519,
    65520,
    1e6,
    -1e-8,
    2 ** -24,
    2 ** -25,
    3 * 2 ** -25,
    6.1e-5,
    1.00048828125,
    1.00146484375,
    Infinity,
    NaN,
  ];
  const out = execFileSync(
    "/usr/bin/python3",
    [
      "-c",
      `
import numpy as np, json, sys, struct
vals = [float(v) for v in json.loads(sys.argv[1])]
def bf16(v):
    (w,) = struct.unpack('<I', struct.pack('<f', v))
    return 0x7fc0 if v != v else ((w + 0x7fff + ((w >> 16) & 1)) >> 16) & 0xffff
print(json.dumps([[int(np.array(v, dtype=np.float16).view(np.uint16)), bf16(v)] for v in vals]))`,
      JSON.stringify(values.map((v) => (Object.is(v, -0) ? "-0" : String(v)))),
    ],
    { encoding: "utf8" },
  );
  const want = JSON.parse(out) as [number, number][];
  values.forEach((v, i) => {
    assert.equal(numberToFloat16Bits(v), want[i][0], `float16 of ${v}`);
    assert.equal(numberToBfloat16Bits(v), want[i][1], `bfloat16 of ${v}`);
    if (!Number.isNaN(v)) assert.equal(float16BitsToNumber(numberToFloat16Bits(v)), float16BitsToNumber(want[i][0]));
  });
  assert.equal(bfloat16BitsToNumber(0x3f80), 1);
});
