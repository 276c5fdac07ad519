import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  PyDict,
  PyGlobal,
  PyObject,
  PySet,
  PyTuple,
  UnpicklingError,
  recordClass,
  safeDataGlobal,
  unpickle,
  type PyValue,
} from "../../src/toolkit/io";

/** Runs Python and returns one pickle per protocol it printed as hex lines. */
function pythonPickles(expression: string, protocols = [0, 1, 2, 3, 4, 5]): Map<number, Uint8Array> {
  const script = `import pickle, collections, sys\nvalue = ${expression}\nfor p in ${JSON.stringify(protocols)}: print(p, pickle.dumps(value, protocol=p).hex())`;
  const out = execFileSync("/usr/bin/python3", ["-c", script], { encoding: "utf8" });
  return new Map(
    out
      .trim()
      .split("\n")
      .map((line) => {
        const [p, hex] = line.split(" ");
        return [Number(p), Uint8Array.from(Buffer.from(hex, "hex"))];
      }),
  );
}

/** A structural rendering that keeps the Python types apart (tuple vs list, set, bytes, big ints). */
function show(value: PyValue): unknown {
  if (typeof value === "bigint") return { int: value.toString() };
  if (typeof value === "number" && Number.isNaN(value)) return "NaN";
  if (typeof value === "number" && Object.is(value, -0)) return "-0";
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString("hex") };
  if (Array.isArray(value)) return value.map(show);
  if (value instanceof PyTuple) return { tuple: value.items.map(show) };
  if (value instanceof PySet) return { [value.frozen ? "frozenset" : "set"]: [...value].map((v) => JSON.stringify(show(v))).sort() };
  if (value instanceof PyDict) return { dict: [...value].map(([k, v]) => [show(k), show(v)]) };
  if (value instanceof PyObject)
    return { object: value.className, args: value.args.map(show), state: value.state === undefined ? null : show(value.state) };
  if (value instanceof PyGlobal) return { global: value.qualifiedName };
  return value;
}

const RICH = `{
  'ints': [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31 - 1, 2**31, 2**53 - 1, 2**53, -2**70, 2**64],
  'floats': [0.0, -0.0, 1.5, -2.25e-308, 1e308, float('inf'), float('-inf'), float('nan'), 0.1],
  'flags': (True, False, None),
  'text': ['', 'ascii', 'héllo wörld', '日本', '\\U0001F600', 'quote\\'s and \\\\ back\\nslash'],
  'bytes': [b'', b'\\x00\\xff\\n\\'', bytes(range(256)), bytearray(b'ab')],
  'tuples': [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), ((1,), ((2,),))],
  'sets': [set(), {1, 2, 3}, frozenset(['a']), {(1, 2), frozenset([3])}],
  (1, 'key'): 'tuple key',
  7: 'int key',
  None: 'None key',
  'ordered': collections.OrderedDict([('b', 1), ('a', [collections.OrderedDict()])]),
  'big list': list(range(2000)),
  'big dict': {str(i): i for i in range(1500)},
}`;

const EXPECTED_RICH = {
  dict: [
    [
      "ints",
      [
        0,
        1,
        -1,
        255,
        256,
        65535,
        65536,
        -(2 ** 31),
        2 ** 31 - 1,
        2 ** 31,
        2 ** 53 - 1,
        { int: (2n ** 53n).toString() },
        { int: (-(2n ** 70n)).toString() },
        { int: (2n ** 64n).toString() },
      ],
    ],
    ["floats", [0, "-0", 1.5, -2.25e-308, 1e308, Infinity, -Infinity, "NaN", 0.1]],
    ["flags", { tuple: [true, false, null] }],
    ["text", ["", "ascii", "héllo wörld", "日本", "\u{1F600}", "quote's and \\ back\nslash"]],
    [
      "bytes",
      [
        { bytes: "" },
        { bytes: "00ff0a27" },
        { bytes: Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString("hex") },
        { bytes: "6162" },
      ],
    ],
    [
      "tuples",
      [
        { tuple: [] },
        { tuple: [1] },
        { tuple: [1, 2] },
        { tuple: [1, 2, 3] },
        { tuple: [1, 2, 3, 4] },
        { tuple: [{ tuple: [1] }, { tuple: [{ tuple: [2] }] }] },
      ],
    ],
    [
      "sets",
      [
        { set: [] },
        { set: ["1", "2", "3"] },
        { frozenset: ['"a"'] },
        { set: [JSON.stringify({ frozenset: ["3"] }), JSON.stringify({ tuple: [1, 2] })].sort() },
      ],
    ],
    [{ tuple: [1, "key"] }, "tuple key"],
    [7, "int key"],
    [null, "None key"],
    [
      "ordered",
      {
        dict: [
          ["b", 1],
          ["a", [{ dict: [] }]],
        ],
      },
    ],
    ["big list", Array.from({ length: 2000 }, (_, i) => i)],
    ["big dict", { dict: Array.from({ length: 1500 }, (_, i) => [String(i), i]) }],
  ],
};

test("every protocol (0-5) of CPython's pickler decodes to the same values", () => {
  for (const [protocol, bytes] of pythonPickles(RICH)) {
    const value = unpickle(bytes, { source: `protocol ${protocol}` });
    assert.deepEqual(show(value), EXPECTED_RICH, `protocol ${protocol}`);
  }
});

test("dicts find keys by value as Python does (tuples, 1 == 1.0 == True) and keep insertion order", () => {
  const value = unpickle(pythonPickles("{(1, (2, 'x')): 'a', 1: 'b', 'z': 'c', 2.5: 'd'}", [2]).get(2)!);
  assert.ok(value instanceof PyDict);
  assert.ok(value instanceof Map); // a Map, for callers that test for one
  assert.equal(value.get(new PyTuple([1, new PyTuple([2, "x"])])), "a");
  assert.equal(value.get(true), "b");
  assert.equal(value.get(1), "b");
  assert.equal(value.get(2.5), "d");
  assert.equal(value.get(new PyTuple([1, 2])), undefined);
  assert.deepEqual([...value.values()], ["a", "b", "c", "d"]);
  assert.throws(() => value.set([], 1), UnpicklingError); // lists are unhashable
});

test("shared and self-referencing objects keep their identity through the memo", () => {
  for (const [protocol, bytes] of pythonPickles("(lambda l: [l, l, {'again': l}])([1, 2])", [0, 2, 4])) {
    const value = unpickle(bytes) as PyValue[];
    assert.equal(value[0], value[1], `protocol ${protocol}`);
    assert.equal((value[2] as PyDict).get("again"), value[0]);
  }
  const cyclic = unpickle(pythonPickles("(lambda l: (l.append(l), l)[1])([])", [2]).get(2)!) as PyValue[];
  assert.equal(cyclic[0], cyclic);
});

test("globals go through findGlobal only: records via NEWOBJ + BUILD, REDUCE, and refusal by default", () => {
  const script = `
import pickle, sys, types, collections
m = types.ModuleType('models.common'); sys.modules['models'] = types.ModuleType('models'); sys.modules['models.common'] = m
class Conv: pass
Conv.__module__ = 'models.common'; m.Conv = Conv
c = Conv(); c.__dict__.update(training=False, k=3, _modules=collections.OrderedDict())
for p in (2, 4): print(pickle.dumps([c, c], protocol=p).hex())`;
  const lines = execFileSync("/usr/bin/python3", ["-c", script], { encoding: "utf8" }).trim().split("\n");
  for (const hex of lines) {
    const bytes = Uint8Array.from(Buffer.from(hex, "hex"));
    const asked: string[] = [];
    const value = unpickle(bytes, {
      findGlobal: (module, name) => {
        asked.push(`${module}.${name}`);
        return safeDataGlobal(module, name) ?? (module === "models.common" ? recordClass(module, name) : undefined);
      },
    }) as PyValue[];
    const conv = value[0];
    assert.ok(conv instanceof PyObject);
    assert.equal(conv, value[1]);
    assert.equal(conv.className, "models.common.Conv");
    assert.deepEqual(show(conv.state!), {
      dict: [
        ["training", false],
        ["k", 3],
        ["_modules", { dict: [] }],
      ],
    });
    assert.ok(asked.includes("models.common.Conv"));
    // Without a hook, only plain containers are allowed.
    assert.throws(
      () => unpickle(bytes),
      (e: Error) => e instanceof UnpicklingError && e.message.includes("refusing to load global 'models.common.Conv'"),
    );
  }
});

test("persistent ids need a persistent_load hook, as in Python", () => {
  const pickle = Uint8Array.from(Buffer.from("80025800000000" + "51" + "2e", "hex")); // '' BINPERSID STOP
  assert.throws(() => unpickle(pickle), /no persistent_load function was specified/);
  assert.equal(unpickle(pickle, { persistentLoad: (pid) => `loaded ${JSON.stringify(pid)}` }), 'loaded ""');
});

test("protocol-0 text opcodes: INT, LONG, FLOAT, STRING escapes, UNICODE escapes, GET/PUT", () => {
  const text = "(I01\nI-42\nL123456789012345678901234567890L\nF-1.5e-3\nS'a\\'b\\x41\\n'\nVcaf\\u00e9 \\U0001F600\np7\ng7\nI00\nl.";
  const value = unpickle(Buffer.from(text, "latin1"));
  assert.deepEqual(show(value), [true, -42, { int: "123456789012345678901234567890" }, -0.0015, "a'bA\n", "café 😀", "café 😀", false]);
});

test("malformed streams give UnpicklingError with the opcode and byte offset", () => {
  const cases: [string, RegExp][] = [
    ["", /truncated/],
    ["8003", /truncated \(no STOP/],
    ["8006", /unsupported pickle protocol: 6/],
    ["ff", /invalid load key, '\\xff'.*at byte 0/],
    ["2e", /stack underflow/],
    ["8002" + "58ffffffff", /truncated \(needs 4294967295 more bytes/],
    ["8004" + "8d" + "ffffffffffffff7f", /longer than the whole pickle/],
    ["8002" + "6805" + "2e", /memo value not found at index 5/],
    ["8002" + "8b" + "00002000" + "2e", /integer of 2097152 bytes exceeds/],
    ["80025d" + "74" + "2e", /could not find MARK/],
    ["8002" + "4a0100", /truncated/],
    ["8002" + "5d" + "5d" + "73" + "2e", /stack underflow/],
    ["8002" + "7d" + "5d" + "4b01" + "73" + "2e", /unhashable type: 'list'/],
    ["8002" + "4b01" + "29" + "52" + "2e", /int is not callable/],
    ["8002" + "4b01" + "4b02" + "52" + "2e", /REDUCE arguments must be a tuple, not int/],
    ["8002" + "4b01" + "29" + "62" + "2e", /BUILD on int/],
    ["8002" + "4b01" + "4b01" + "61" + "2e", /cannot append to int/],
    ["8004" + "97" + "2e", /out-of-band buffers/],
    ["8002" + "8201" + "2e", /extension registry/],
    ["8002" + "4b01" + "4b02" + "93" + "2e", /STACK_GLOBAL needs two strings/],
  ];
  for (const [hex, pattern] of cases) {
    assert.throws(
      () => unpickle(Buffer.from(hex, "hex")),
      (e: Error) => e instanceof UnpicklingError && pattern.test(e.message),
      `${hex}: ${pattern}`,
    );
  }
  // Decimal literals are capped as Python's int() caps them (4300 digits), so parsing cannot go quadratic.
  assert.throws(() => unpickle(Buffer.from(`L${"9".repeat(100_000)}L\n.`, "latin1")), /exceeds the limit of 4300/);
});

test("nesting deeper than maxDepth is refused at the container that goes too deep", () => {
  const nested = Buffer.concat([Buffer.from("(".repeat(100_000)), Buffer.from("l".repeat(100_000)), Buffer.from(".")]);
  assert.throws(
    () => unpickle(nested),
    (e: Error) => e instanceof UnpicklingError && /nested deeper than 1000 levels/.test(e.message),
  );
  const shallow = Buffer.concat([Buffer.from("(".repeat(50)), Buffer.from("l".repeat(50)), Buffer.from(".")]);
  assert.ok(Array.isArray(unpickle(shallow)));
  assert.throws(() => unpickle(shallow, { maxDepth: 10 }), /nested deeper than 10 levels/);
});
