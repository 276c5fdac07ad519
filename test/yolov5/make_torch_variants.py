"""Writes the other two forms a YOLOv5 checkpoint comes in, from the real best.pt, without
torch: a bare torch.save(model) (the pickled DetectionModel at the root) and a plain
torch.save(model.state_dict()) (an OrderedDict of fp16 tensors with its _metadata), in
torch.save's zip layout (<name>/data.pkl, <name>/data/<key>, <name>/version), and a
checkpoint whose pickle would run a command in Python.

The pickle is re-written with stand-ins for torch's and YOLOv5's classes: each stand-in
pickles as the same global (module, name) with the same arguments and state, so the bytes
have exactly the opcodes and globals torch.save writes. Nothing from the file is executed.

usage: make_torch_variants.py BEST_PT OUT_DIR
"""
import collections
import copyreg
import io
import pickle
import sys
import types
import zipfile

_fake_modules = {}


def _module(name):
    """A stand-in module (and its parent packages), so the pickler finds each global where it was."""
    if name not in _fake_modules:
        m = types.ModuleType(name)
        _fake_modules[name] = m
        sys.modules[name] = m
        if "." in name:
            parent, _, child = name.rpartition(".")
            setattr(_module(parent), child, m)
    return _fake_modules[name]


class Storage:
    """A persistent id from data.pkl: ('storage', <Storage class>, key, location, numel)."""

    def __init__(self, pid):
        self.pid = pid


class Reduced:
    """What a call of a torch function returned (a tensor, a parameter): re-pickled as the same call."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


def _function(module, name):
    def stand_in(*args):
        return Reduced(stand_in, args)

    stand_in.__module__, stand_in.__qualname__, stand_in.__name__ = module, name, name
    setattr(_module(module), name, stand_in)
    return stand_in


def _class(module, name):
    cls = type(name, (), {"__module__": module, "__qualname__": name,
                          "__reduce_ex__": lambda self, proto: (copyreg.__newobj__, (type(self),), self.__dict__)})
    setattr(_module(module), name, cls)
    return cls


REAL = {("collections", "OrderedDict"): collections.OrderedDict, ("__builtin__", "set"): set, ("builtins", "set"): set}
FUNCTIONS = {("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_parameter")}


class StandInUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in REAL:
            return REAL[(module, name)]
        existing = getattr(_fake_modules.get(module), name, None)
        if existing is not None:
            return existing
        return _function(module, name) if (module, name) in FUNCTIONS else _class(module, name)

    def persistent_load(self, pid):
        return Storage(pid)


class StandInPickler(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, Storage) else None


def state_dict(module, prefix=""):
    """nn.Module.state_dict(): own parameters (as plain tensors), own buffers, then children."""
    out = collections.OrderedDict()
    d = module.__dict__
    for name, p in d["_parameters"].items():
        if p is not None:
            out[prefix + name] = p.args[0] if p.func.__name__ == "_rebuild_parameter" else p
    for name, b in d["_buffers"].items():
        if b is not None and name not in d.get("_non_persistent_buffers_set", set()):
            out[prefix + name] = b
    for name, child in d["_modules"].items():
        if child is not None:
            out.update(state_dict(child, prefix + name + "."))
    return out


def write(path, root_name, obj, storages):
    buf = io.BytesIO()
    StandInPickler(buf, protocol=2).dump(obj)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{root_name}/data.pkl", buf.getvalue())
        for key, data in storages.items():
            z.writestr(f"{root_name}/data/{key}", data)
        z.writestr(f"{root_name}/version", "3\n")


def main(best, out):
    with zipfile.ZipFile(best) as z:
        top = z.namelist()[0].split("/")[0]
        ckpt = StandInUnpickler(io.BytesIO(z.read(f"{top}/data.pkl"))).load()
        storages = {n.split("/")[-1]: z.read(n) for n in z.namelist() if n.startswith(f"{top}/data/")}
    model = ckpt["model"]
    write(f"{out}/model.pt", "model", model, storages)
    sd = state_dict(model)
    sd._metadata = collections.OrderedDict([("", {"version": 1})])
    write(f"{out}/state_dict.pt", "state_dict", sd, storages)
    # A checkpoint whose data.pkl calls posix.system in Python: ("touch <out>/PWNED").
    evil = (b"\x80\x02}q\x00(X\x05\x00\x00\x00modelq\x01cposix\nsystem\nq\x02X"
            + len(f"touch {out}/PWNED").to_bytes(4, "little") + f"touch {out}/PWNED".encode()
            + b"q\x03\x85q\x04Rq\x05u.")
    with zipfile.ZipFile(f"{out}/evil.pt", "w") as z:
        z.writestr("evil/data.pkl", evil)
        z.writestr("evil/version", "3\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
