import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  PyDict,
  PyObject,
  TorchFileError,
  TorchTensor,
  attr,
  moduleStateDict,
  parseTorchFile,
  pyGet,
  pyToJs,
  readTorchArchive,
  readTorchFile,
  type TorchDtype,
} from "../../src/toolkit/io";

const BEST = path.join(__dirname, "../../../test/fixtures/yolov5-v7.0-run/run/weights/best.pt");
const PYTHON = "/usr/bin/python3";

function python(script: string, args: string[] = []): string {
  return execFileSync(PYTHON, ["-c", script, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
}

// An independent reader of best.pt: Python's own pickle with stand-ins for torch's classes,
// values decoded with struct 'e'. Prints the state_dict as torch would name it.
const REFERENCE_READER = `
import zipfile, pickle, struct, sys, collections, json, math
z = zipfile.ZipFile(sys.argv[1])
prefix = z.namelist()[0].split('/')[0]
class Storage:
    def __init__(s, t, key, n): s.t, s.key, s.n = t, key, n
class T:
    def __init__(s, st, off, size, stride): s.st, s.off, s.size, s.stride = st, off, tuple(size), tuple(stride)
class Obj:
    def __setstate__(s, st): s.__dict__.update(st)
class U(pickle.Unpickler):
    def find_class(s, mod, name):
        if (mod, name) == ('collections', 'OrderedDict'): return collections.OrderedDict
        if (mod, name) == ('__builtin__', 'set'): return set
        if (mod, name) == ('torch._utils', '_rebuild_tensor_v2'): return lambda st, off, size, stride, *r: T(st, off, size, stride)
        if (mod, name) == ('torch._utils', '_rebuild_parameter'): return lambda t, *r: t
        if mod == 'torch' and name.endswith('Storage'): return name
        if mod.startswith('models') or mod.startswith('torch.nn'): return type(name, (Obj,), {})
        raise pickle.UnpicklingError(mod + ' ' + name)
    def persistent_load(s, pid): return Storage(pid[1], pid[2], pid[4])
root = U(z.open(prefix + '/data.pkl')).load()
out = []
def walk(m, pre):
    d = m.__dict__
    for k, v in d['_parameters'].items():
        if v is not None: out.append((pre + k, v, 'parameter'))
    for k, v in d['_buffers'].items():
        if v is not None and k not in d['_non_persistent_buffers_set']: out.append((pre + k, v, 'buffer'))
    for k, v in d['_modules'].items():
        if v is not None: walk(v, pre + k + '.')
walk(root['model'], '')
def value(t, i):
    raw = z.read(prefix + '/data/' + t.st.key)
    fmt, size = {'HalfStorage': ('<e', 2), 'FloatStorage': ('<f', 4), 'LongStorage': ('<q', 8)}[t.st.t]
    return struct.unpack_from(fmt, raw, (t.off + i) * size)[0]
rows = []
for n, t, kind in out:
    count = math.prod(t.size)
    picks = sorted(set([0, 1, count // 2, count - 1])) if count > 1 else [0]
    rows.append({'name': n, 'shape': list(t.size), 'kind': kind, 'storage': t.st.t, 'picks': picks, 'values': [value(t, i) for i in picks]})
json.dump(rows, sys.stdout)
`;

interface ReferenceRow {
  name: string;
  shape: number[];
  kind: "parameter" | "buffer";
  storage: string;
  picks: number[];
  values: number[];
}

test("best.pt (YOLOv5 v7.0 train.py): 358 storages, the whole checkpoint dict, model.yaml", async () => {
  const archive = await readTorchArchive(BEST);
  assert.equal(archive.storages.size, 358);
  assert.equal(archive.archiveName, "best");
  assert.equal(archive.version, "3");
  assert.equal(archive.byteorder, "little");
  const root = archive.root;
  assert.ok(root instanceof PyDict);
  assert.deepEqual([...root.keys()], ["epoch", "best_fitness", "model", "ema", "updates", "optimizer", "opt", "git", "date"]);
  // strip_optimizer's final checkpoint: epoch -1, no EMA or optimizer.
  assert.equal(pyGet(root, "epoch"), -1);
  assert.equal(pyGet(root, "ema"), null);
  assert.equal(pyGet(root, "date"), "2026-12-02T15:55:02.222614");

  const model = pyGet(root, "model");
  assert.ok(model instanceof PyObject);
  assert.equal(model.className, "models.yolo.DetectionModel");
  const yaml = pyToJs(attr(model, "yaml")) as Record<string, unknown>;
  assert.equal(yaml.nc, 3);
  assert.equal(yaml.depth_multiple, 0.33);
  assert.equal(yaml.width_multiple, 0.25);
  assert.deepEqual(yaml.anchors, [
    [10, 13, 16, 30, 33, 23],
    [30, 61, 62, 45, 59, 119],
    [116, 90, 156, 198, 373, 326],
  ]);
  assert.deepEqual((yaml.head as unknown[])[1], [-1, 1, "nn.Upsample", ["None", 2, "nearest"]]);
  assert.deepEqual(pyToJs(pyGet(model, "names")), { 0: "square", 1: "circle", 2: "triangle" });
  assert.equal(pyGet(model, "nc"), 3);
  const stride = attr(model, "stride");
  assert.ok(stride instanceof TorchTensor);
  assert.equal(stride.dtype, "float32");
  assert.deepEqual(Array.from(stride.toFloat32()), [8, 16, 32]);
  // Module records keep their tree: model.model[24] is Detect.
  const detect = pyGet(model, "_modules", "model", "_modules", "24");
  assert.ok(detect instanceof PyObject);
  assert.equal(detect.className, "models.yolo.Detect");
  assert.equal(pyGet(detect, "nl"), 3);

  const opt = pyToJs(pyGet(root, "opt")) as Record<string, unknown>;
  assert.equal(opt.cfg, "models/yolov5n.yaml");
  assert.equal(opt.epochs, 40);
  assert.equal(opt.imgsz, 160);
  assert.deepEqual(opt.freeze, [0]);
  assert.equal((opt.hyp as Record<string, unknown>).lr0, 0.01);
  assert.equal((opt.hyp as Record<string, unknown>).anchor_t, 4);
});

test("best.pt state_dict: YOLOv5n v7.0 names, every shape and sampled fp16 values as Python's struct 'e' reads them", async () => {
  const model = pyGet(await readTorchFile(BEST), "model");
  const state = moduleStateDict(model);
  const reference = JSON.parse(python(REFERENCE_READER, [BEST])) as ReferenceRow[];
  assert.equal(state.size, 349);
  assert.deepEqual(
    [...state.keys()],
    reference.map((r) => r.name),
  );
  for (const row of reference) {
    const tensor = state.get(row.name)!;
    assert.deepEqual(tensor.shape, row.shape, row.name);
    assert.equal(tensor.isParameter, row.kind === "parameter", row.name);
    const values = tensor.toFloat32();
    assert.equal(
      values.length,
      row.shape.reduce((a, b) => a * b, 1),
    );
    assert.deepEqual(
      row.picks.map((i) => values[i]),
      row.values,
      row.name,
    );
  }

  // Fixed numbers, from /usr/bin/python3 when this test was written.
  const first = state.get("model.0.conv.weight")!;
  assert.equal(first.dtype, "float16");
  assert.deepEqual(first.shape, [16, 3, 6, 6]);
  assert.deepEqual(first.stride, [108, 36, 6, 1]);
  assert.deepEqual(
    Array.from(first.toFloat32().subarray(0, 5)),
    [-0.0294036865234375, 0.03204345703125, -0.09503173828125, -0.084716796875, -0.044586181640625],
  );
  assert.deepEqual(state.get("model.24.anchors")!.shape, [3, 3, 2]);
  assert.deepEqual(Array.from(state.get("model.24.anchors")!.toFloat32().subarray(0, 6)), [1.25, 1.625, 2, 3.75, 4.125, 2.875]);
  assert.deepEqual(state.get("model.24.m.2.weight")!.shape, [24, 256, 1, 1]);
  assert.deepEqual(state.get("model.9.cv2.conv.weight")!.shape, [256, 512, 1, 1]);
  const nbt = state.get("model.0.bn.num_batches_tracked")!;
  assert.equal(nbt.dtype, "int64");
  assert.deepEqual(nbt.shape, []);
  assert.equal(nbt.toInt32().length, 1);
  for (const name of [
    "model.0.bn.running_mean",
    "model.0.bn.running_var",
    "model.2.m.0.cv1.conv.weight",
    "model.8.cv3.bn.bias",
    "model.24.m.0.bias",
  ]) {
    assert.ok(state.has(name), name);
  }
  assert.ok(!state.has("model.24.m.3.weight"));

  // Parameters only (weights, biases, BN weight/bias): YOLOv5n v7.0 with nc=3 has 1,767,976.
  let parameters = 0;
  for (const [name, tensor] of state) {
    if (tensor.isParameter) parameters += tensor.numel;
    else assert.match(name, /running_mean$|running_var$|num_batches_tracked$|anchors$/);
  }
  assert.equal(parameters, 1_767_976);
});

// Writes torch.save-style archives with fake torch modules and prints what they hold.
const TORCH_SAVE_EMULATOR = String.raw`
# Writes torch.save-style archives without torch: fake torch modules whose names pickle
# exactly as torch's do, tensors reducing to torch._utils rebuild calls, storages as
# persistent ids. Prints the expected contents (values read back with struct) as JSON.
import sys, types, pickle, zipfile, struct, collections, json, os, math
out_dir = sys.argv[1]
def module(name):
    parts = name.split('.')
    for i in range(1, len(parts) + 1):
        sub = '.'.join(parts[:i])
        if sub not in sys.modules:
            sys.modules[sub] = types.ModuleType(sub)
            if i > 1: setattr(sys.modules['.'.join(parts[:i - 1])], parts[i - 1], sys.modules[sub])
    return sys.modules[name]
def define(modname, name, obj):
    obj.__module__ = modname; obj.__qualname__ = name; obj.__name__ = name
    setattr(module(modname), name, obj); return obj
FORMATS = {'HalfStorage': ('e', 2), 'BFloat16Storage': ('bf16', 2), 'FloatStorage': ('f', 4), 'DoubleStorage': ('d', 8),
           'LongStorage': ('q', 8), 'IntStorage': ('i', 4), 'ShortStorage': ('h', 2), 'CharStorage': ('b', 1),
           'ByteStorage': ('B', 1), 'BoolStorage': ('?', 1)}
for n in FORMATS: define('torch', n, type(n, (), {}))
def _rebuild_tensor_v2(*a): pass
def _rebuild_tensor(*a): pass
def _rebuild_parameter(*a): pass
for f in (_rebuild_tensor_v2, _rebuild_tensor, _rebuild_parameter): define('torch._utils', f.__name__, f)
class Size(tuple):
    def __reduce__(self): return (Size, (tuple(self),))  # as torch.Size reduces
define('torch', 'Size', Size)
class dtype:
    def __init__(self, name): self.name = name
    def __reduce__(self): return self.name  # pickled as the global torch.<name>
f16 = dtype('float16'); define('torch', 'float16', f16.__class__); setattr(module('torch'), 'float16', f16)

class Storage:
    def __init__(self, cls, key, values, order='<'):
        self.cls, self.key, self.values, self.order = cls, key, values, order
    def raw(self):
        fmt, size = FORMATS[self.cls]
        if fmt == 'bf16':
            return b''.join(struct.pack(self.order + 'H', struct.unpack('<I', struct.pack('<f', v))[0] >> 16) for v in self.values)
        return b''.join(struct.pack(self.order + fmt, v) for v in self.values)
    def read(self, i):
        fmt, size = FORMATS[self.cls]
        chunk = self.raw()[i * size:(i + 1) * size]
        if fmt == 'bf16': return struct.unpack('>f', struct.pack('>I', struct.unpack(self.order + 'H', chunk)[0] << 16))[0]
        v = struct.unpack(self.order + fmt, chunk)[0]
        return int(v) if fmt == '?' else v
class Tensor:
    def __init__(self, storage, size, stride=None, offset=0, param=False, old=False):
        if stride is None: stride = tuple(math.prod(size[i + 1:]) for i in range(len(size)))
        self.storage, self.size, self.stride, self.offset, self.param, self.old = storage, tuple(size), tuple(stride), offset, param, old
    def __reduce_ex__(self, proto):
        if self.param:
            return (_rebuild_parameter, (Tensor(self.storage, self.size, self.stride, self.offset), True, collections.OrderedDict()))
        if self.old:
            return (_rebuild_tensor, (self.storage, self.offset, self.size, self.stride))
        return (_rebuild_tensor_v2, (self.storage, self.offset, Size(self.size), self.stride, False, collections.OrderedDict()))
    def values(self):
        out = []
        def walk(d, at):
            if d == len(self.size): out.append(self.storage.read(at)); return
            for i in range(self.size[d]): walk(d + 1, at + i * self.stride[d])
        if math.prod(self.size) > 0: walk(0, self.offset)
        return out
def module_class(modname, name):
    return define(modname, name, type(name, (), {}))
def make_module(cls, params=(), buffers=(), children=(), non_persistent=(), **attrs):
    m = cls.__new__(cls)
    m.__dict__.update(training=False, _parameters=collections.OrderedDict(params), _buffers=collections.OrderedDict(buffers),
                      _non_persistent_buffers_set=set(non_persistent), _modules=collections.OrderedDict(children), **attrs)
    return m
class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage): return ('storage', getattr(module('torch'), obj.cls), obj.key, 'cpu', len(obj.values))
        return None
def save(name, root, storages, protocol=2, byteorder=None, folder='archive'):
    import io
    buf = io.BytesIO(); Pickler(buf, protocol=protocol).dump(root)
    with zipfile.ZipFile(os.path.join(out_dir, name), 'w', zipfile.ZIP_STORED) as z:
        z.writestr(folder + '/data.pkl', buf.getvalue())
        if byteorder: z.writestr(folder + '/byteorder', byteorder)
        for s in storages: z.writestr(folder + '/data/' + s.key, s.raw())
        z.writestr(folder + '/version', '3\n')
expected = {}
def expect(case, tensors):
    expected[case] = {n: {'dtype': t.storage.cls, 'shape': list(t.size), 'values': t.values(), 'param': t.param} for n, t in tensors.items()}

# A small model saved whole (torch.save(model)), with a non-persistent buffer and a None bias.
Conv2d = module_class('torch.nn.modules.conv', 'Conv2d'); BatchNorm2d = module_class('torch.nn.modules.batchnorm', 'BatchNorm2d')
Conv = module_class('models.common', 'Conv'); Model = module_class('models.yolo', 'DetectionModel')
SiLU = module_class('torch.nn.modules.activation', 'SiLU')
w = Storage('HalfStorage', '0', [0.5, -1.25, 65504.0, 6.1035e-05, 5.96e-08, -0.0, 0.333, 1.0e4])
g = Storage('FloatStorage', '1', [1.0, 2.0]); b = Storage('FloatStorage', '2', [0.25, -0.5])
rm = Storage('FloatStorage', '3', [0.1, 0.2]); nbt = Storage('LongStorage', '4', [7]); extra = Storage('FloatStorage', '5', [9.0])
tw = Tensor(w, (2, 1, 2, 2), param=True)
conv = make_module(Conv2d, params=[('weight', tw), ('bias', None)], in_channels=1, out_channels=2)
bn = make_module(BatchNorm2d, params=[('weight', Tensor(g, (2,), param=True)), ('bias', Tensor(b, (2,), param=True))],
                 buffers=[('running_mean', Tensor(rm, (2,))), ('num_batches_tracked', Tensor(nbt, ())), ('scratch', Tensor(extra, (1,)))],
                 non_persistent=['scratch'], eps=0.001)
block = make_module(Conv, children=[('conv', conv), ('bn', bn), ('act', make_module(SiLU)), ('missing', None)])
model = make_module(Model, children=[('model', make_module(module_class('torch.nn.modules.container', 'Sequential'), children=[('0', block)]))],
                    yaml={'nc': 2, 'depth_multiple': 0.33, 'anchors': 3}, names=['a', 'b'], stride=Tensor(g, (2,)))
save('bare_model.pt', model, [w, g, b, rm, nbt, extra])
save('bare_model_p4.pt', model, [w, g, b, rm, nbt, extra], protocol=4)
expect('bare_model', {'model.0.conv.weight': tw, 'model.0.bn.weight': bn._parameters['weight'], 'model.0.bn.bias': bn._parameters['bias'],
                      'model.0.bn.running_mean': bn._buffers['running_mean'], 'model.0.bn.num_batches_tracked': bn._buffers['num_batches_tracked']})

# A plain state_dict (an OrderedDict with _metadata, as torch's state_dict() returns) of every dtype and layout.
cases = collections.OrderedDict()
vals = {'HalfStorage': [1.5, -2.0, 0.1, 3.0, 1e-7, 7.0], 'BFloat16Storage': [1.5, -2.0, 0.1, 3.0e38, 1e-7, 7.0],
        'FloatStorage': [1.5, -2.0, 0.1, 3.25, 1e-7, 7.0], 'DoubleStorage': [1.5, -2.0, 0.1, 3.25, 1e-300, 7.0],
        'LongStorage': [1, -2, 2**40, 3, 0, -7], 'IntStorage': [1, -2, 2**30, 3, 0, -7], 'ShortStorage': [1, -2, 300, 3, 0, -7],
        'CharStorage': [1, -2, 100, 3, 0, -7], 'ByteStorage': [1, 2, 200, 3, 0, 255], 'BoolStorage': [True, False, True, True, False, False]}
storages = []
for i, (cls, v) in enumerate(vals.items()):
    s = Storage(cls, 's%d' % i, v); storages.append(s)
    cases[cls + '.matrix'] = Tensor(s, (2, 3))
    cases[cls + '.transposed'] = Tensor(s, (3, 2), (1, 3))
    cases[cls + '.offset'] = Tensor(s, (2, 2), (3, 1), offset=1)
    cases[cls + '.expanded'] = Tensor(s, (4, 3), (0, 1), offset=3)
    cases[cls + '.old'] = Tensor(s, (6,), old=True)
empty = Storage('FloatStorage', 'empty', []); storages.append(empty); cases['empty'] = Tensor(empty, (0, 4))
sd = collections.OrderedDict(cases); sd._metadata = collections.OrderedDict([('', {'version': 1})])
save('state_dict.pt', sd, storages, folder='weights_v2')
expect('state_dict', cases)

# Big-endian byte order (torch writes 'byteorder' since 1.12).
be = Storage('HalfStorage', '0', [1.5, -2.0, 0.1], '>'); be32 = Storage('LongStorage', '1', [2**33, -1], '>')
bet = {'h': Tensor(be, (3,)), 'q': Tensor(be32, (2,))}
save('big_endian.pt', bet, [be, be32], byteorder='big')
expect('big_endian', bet)

# A checkpoint dict with a numpy float64 best_fitness, a dtype global and torch.Size.
try:
    import numpy
    ck = {'epoch': 3, 'best_fitness': numpy.float64(0.123456789), 'nbt': numpy.int64(-3), 'flag': numpy.bool_(True),
          'half': numpy.float16(0.1), 'dtype': f16, 'size': Size((1, 2)), 'model': None}
    save('numpy_scalar.pt', ck, [])
except ImportError:
    pass
json.dump(expected, sys.stdout)
`;

interface ExpectedTensor {
  dtype: string;
  shape: number[];
  values: number[];
  param: boolean;
}

const storageDtype: Record<string, TorchDtype> = {
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
};

async function withEmulatedFiles(
  fn: (dir: string, expected: Record<string, Record<string, ExpectedTensor>>) => Promise<void>,
): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tfjs-lab-torch-"));
  try {
    const expected = JSON.parse(python(TORCH_SAVE_EMULATOR, [dir]));
    await fn(dir, expected);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function assertTensors(state: Map<string, TorchTensor>, expected: Record<string, ExpectedTensor>): void {
  assert.deepEqual([...state.keys()], Object.keys(expected));
  for (const [name, want] of Object.entries(expected)) {
    const tensor = state.get(name)!;
    assert.equal(tensor.dtype, storageDtype[want.dtype], name);
    assert.deepEqual(tensor.shape, want.shape, name);
    assert.equal(tensor.isParameter, want.param, name);
    // float32 holds every value exactly except float64 and big int64 ones, compared after the same rounding.
    assert.deepEqual(Array.from(tensor.toFloat32()), Array.from(Float32Array.from(want.values)), name);
    if (!tensor.dtype.startsWith("float") && tensor.dtype !== "bfloat16" && want.values.every((v) => Math.abs(v) < 2 ** 31)) {
      assert.deepEqual(Array.from(tensor.toInt32()), want.values, name);
    }
  }
}

test("torch.save(model) (protocols 2 and 4): module records, state_dict names, None entries and non-persistent buffers skipped", async () => {
  await withEmulatedFiles(async (dir, expected) => {
    for (const file of ["bare_model.pt", "bare_model_p4.pt"]) {
      const root = await readTorchFile(path.join(dir, file));
      assert.ok(root instanceof PyObject, file);
      assert.equal(root.className, "models.yolo.DetectionModel");
      assertTensors(moduleStateDict(root), expected.bare_model);
      assert.deepEqual(pyToJs(attr(root, "yaml")), { nc: 2, depth_multiple: 0.33, anchors: 3 });
      assert.deepEqual(pyToJs(attr(root, "names")), ["a", "b"]);
      const conv = pyGet(root, "_modules", "model", "_modules", "0", "_modules", "conv");
      assert.ok(conv instanceof PyObject);
      assert.equal(conv.className, "torch.nn.modules.conv.Conv2d");
      assert.equal(pyGet(conv, "_parameters", "bias"), null);
      assert.equal(pyGet(conv, "out_channels"), 2);
    }
  });
});

test("a plain state_dict of every dtype: transposed, offset, expanded (stride 0) and _rebuild_tensor views", async () => {
  await withEmulatedFiles(async (dir, expected) => {
    const archive = await readTorchArchive(path.join(dir, "state_dict.pt"));
    assert.equal(archive.archiveName, "weights_v2");
    const root = archive.root;
    assert.ok(root instanceof PyDict);
    // state_dict()'s _metadata attribute arrives through BUILD on the OrderedDict.
    assert.deepEqual(pyToJs(root.attributes), { _metadata: { "": { version: 1 } } });
    const state = moduleStateDict(root);
    assertTensors(state, expected.state_dict);
    // Raw int64 values survive exactly in toTypedArray.
    assert.deepEqual(Array.from(state.get("LongStorage.matrix")!.toTypedArray() as BigInt64Array), [1n, -2n, 2n ** 40n, 3n, 0n, -7n]);
    assert.throws(() => state.get("LongStorage.matrix")!.toInt32(), TorchFileError);
    assert.throws(() => state.get("FloatStorage.matrix")!.toInt32(), TorchFileError);
    // Two views of one storage share it.
    assert.equal(state.get("HalfStorage.matrix")!.storage, state.get("HalfStorage.transposed")!.storage);
  });
});

test("big-endian files (byteorder 'big') decode to the same values", async () => {
  await withEmulatedFiles(async (dir, expected) => {
    const archive = await readTorchArchive(path.join(dir, "big_endian.pt"));
    assert.equal(archive.byteorder, "big");
    assertTensors(moduleStateDict(archive.root), expected.big_endian);
  });
});

test("numpy scalars (best_fitness), dtype globals and torch.Size are decoded as data", async () => {
  await withEmulatedFiles(async (dir) => {
    const root = parseTorchFile(await fs.readFile(path.join(dir, "numpy_scalar.pt")));
    assert.deepEqual(pyToJs(root), {
      epoch: 3,
      best_fitness: 0.123456789,
      nbt: -3,
      flag: true,
      half: 0.0999755859375,
      dtype: "torch.float16",
      size: [1, 2],
      model: null,
    });
  });
});

test("moduleStateDict refuses what is neither a module nor a dict of tensors, and pyGet follows paths safely", async () => {
  const root = await readTorchFile(BEST);
  assert.throws(
    () => moduleStateDict(root),
    (e: Error) => e instanceof TorchFileError && /pyGet\(root, 'model'\)/.test(e.message),
  );
  assert.throws(() => moduleStateDict(42), TorchFileError);
  assert.equal(pyGet(root, "model", "yaml", "nc"), 3);
  assert.equal(pyGet(root, "model", "yaml", "anchors", 0, 1), 13);
  assert.equal(pyGet(root, "nope", "deeper"), undefined);
  assert.equal(pyGet({ a: 1 }, "a"), undefined);
  assert.equal(attr(root, "model"), undefined); // a dict has keys, not attributes
});

test("pyToJs refuses reference cycles and over-deep values instead of overflowing the stack", () => {
  const list: unknown[] = [];
  list.push(list);
  assert.throws(
    () => pyToJs(list),
    (e: Error) => e instanceof TorchFileError && /cycle/.test(e.message),
  );
  let deep: unknown[] = [];
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.throws(
    () => pyToJs(deep),
    (e: Error) => e instanceof TorchFileError && /deeper than 1000/.test(e.message),
  );
});
