"""Bad input against one tfjs-lab kernel; one JSON line per scenario for bad-input.test.ts.
Usage: badinput_driver.py KERNEL_NAME WORKDIR SCENARIO...

fuzz       malformed and mis-signed messages on shell and control through raw zmq sockets
magics     every magic of %lsmagic with seeded random argument strings
dataset    a generated YOLO set, corrupted, loaded with lab.YoloDataset in a cell
"""
import hashlib
import hmac
import json
import os
import random
import re
import sys
import time
import uuid

import zmq

from lab_client import run_scenarios, emit, heartbeat_answers, result_text, run, start, stop, stream_text, value

DELIM = b"<IDS|MSG>"


def execute_content(n):
    # each forged cell would leave a trace if it ran
    return {"code": f"((globalThis as any).fuzzRan ??= []).push({n});", "silent": False,
            "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}


def fuzz_messages(key, session, rng):
    """(description, frames) of messages that must all be dropped."""
    def header(**over):
        h = {"msg_id": uuid.uuid4().hex, "session": session, "username": "fuzz", "date": "2026-01-01T00:00:00Z",
             "msg_type": "execute_request", "version": "5.3"}
        h.update(over)
        return {k: v for k, v in h.items() if v is not None}

    def signed(parts):
        mac = hmac.new(key, digestmod=hashlib.sha256)
        for p in parts:
            mac.update(p)
        return mac.hexdigest().encode()

    def msg(h, content, sign=True, parent=b"{}", metadata=b"{}"):
        hb = h if isinstance(h, bytes) else json.dumps(h).encode()
        cb = content if isinstance(content, bytes) else json.dumps(content).encode()
        parts = [hb, parent, metadata, cb]
        return [DELIM, signed(parts) if sign else b"", *parts]

    good_parts = lambda i: [json.dumps(header()).encode(), b"{}", b"{}", json.dumps(execute_content(i)).encode()]
    out = []
    for i in range(3):
        out.append(("junk frames", [os.urandom(rng.randint(1, 64)) for _ in range(rng.randint(1, 7))]))
    out.append(("no delimiter", good_parts(10)))
    out.append(("delimiter only", [DELIM]))
    out.append(("too few frames", [DELIM, b"00", b"{}"]))
    out.append(("empty signature", msg(header(), execute_content(11), sign=False)))
    wrong = good_parts(12)
    out.append(("wrong HMAC", [DELIM, b"0" * 64, *wrong]))
    bad = good_parts(13)
    out.append(("HMAC of other key", [DELIM, hmac.new(b"not-the-key", b"".join(bad), hashlib.sha256).hexdigest().encode(), *bad]))
    tampered = good_parts(14)
    sig = signed(tampered)
    tampered[3] = json.dumps(execute_content(15)).encode()
    out.append(("content changed after signing", [DELIM, sig, *tampered]))
    full = json.dumps(header()).encode()
    out.append(("truncated header JSON", msg(full[: len(full) // 2], execute_content(16))))
    c = json.dumps(execute_content(17)).encode()
    out.append(("truncated content JSON", msg(header(), c[: len(c) - 5])))
    out.append(("header not an object", msg(b"[1, 2, 3]", execute_content(18))))
    out.append(("content not an object", msg(header(), b'"code"')))
    out.append(("missing msg_type", msg(header(msg_type=None), execute_content(19))))
    out.append(("missing msg_id", msg(header(msg_id=None), execute_content(20))))
    out.append(("msg_type not a string", msg(header(msg_type=7), execute_content(21))))
    out.append(("invalid UTF-8 in the signed header", [DELIM, b"0" * 64, b'{"msg_type": "execute_request", "msg_id": "\xff\xfe"}', b"{}", b"{}", json.dumps(execute_content(22)).encode()]))
    for i in range(6):  # random bit flips in a well-signed message
        frames = msg(header(), execute_content(30 + i))
        j = rng.randrange(1, len(frames))
        b = bytearray(frames[j])
        if b:
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        frames[j] = bytes(b)
        out.append((f"bit flip in frame {j}", frames))
    return out


def scenario_fuzz(km, kc, workdir):
    info = km.get_connection_info()
    key = info["key"] if isinstance(info["key"], bytes) else info["key"].encode()
    rng = random.Random(6)
    ctx = zmq.Context.instance()
    sent = {}
    for channel, port in (("shell", info["shell_port"]), ("control", info["control_port"])):
        sock = ctx.socket(zmq.DEALER)
        sock.linger = 0
        sock.connect(f"tcp://{info['ip']}:{port}")
        cases = fuzz_messages(key, kc.session.session, rng)
        for _, frames in cases:
            sock.send_multipart(frames)
        sent[channel] = [d for d, _ in cases]
        time.sleep(0.5)
        replies = 0
        while sock.poll(200):
            sock.recv_multipart()
            replies += 1
        sent[channel + "_replies"] = replies
        sock.close()
    hb = heartbeat_answers(km)
    ran = value(kc, "(globalThis as any).fuzzRan ?? []")
    # a well-formed execute_request still runs, and nothing forged took an execution count
    reply, iopub = run(kc, "6 * 7")
    return {"sent": sent, "hb": hb, "ran": ran, "after": result_text(iopub), "execution_count": reply["execution_count"]}


# Magics and seeded random arguments
TOKENS = ["-n", "-r", "-q", "--all", "-", "--", "-n0", "-r-1", "-n 1e9", "=", "==", "'", '"', "`", "\\", "{", "}", "(", ")",
          "[", "]", ";", "$", "$HOME", "%", "%%", "!", "?", "x", "foo", "model", "tf", "0", "-1", "1e309", "NaN", "null",
          "undefined", "cpu", "wasm", "webgl", "nope", "a=b", "=b", "A B", "éü", "💥", "\t", " ", "..", "/", "~", "*",
          "0x", "lab.nope", "new", "class", "${1}", "#", "//", "/*"]


def random_args(rng):
    n = rng.choice([0, 1, 1, 2, 3, 5, 8])
    s = " ".join(rng.choice(TOKENS) for _ in range(n))
    if rng.random() < 0.1:
        s = "".join(chr(rng.randrange(33, 0x2000)) for _ in range(rng.randrange(1, 40)))
    return s


def scenario_magics(km, kc, workdir):
    _, iopub = run(kc, "%lsmagic")
    listing = stream_text(iopub)
    line = re.findall(r"%(\w+)", listing.split("Available cell magics:")[0])
    cell = re.findall(r"%%(\w+)", listing.split("Available cell magics:")[1].split("Shell commands")[0])
    rng = random.Random(300)
    calls = []
    plan = [("%" + m) for m in line] + [("%%" + m) for m in cell]
    per = 300 // len(plan) + 1
    for prefix in plan:
        for _ in range(per):
            args = random_args(rng)
            code = f"{prefix} {args}"
            if prefix.startswith("%%"):
                code += "\n" + random_args(rng)
            try:
                reply, iopub = run(kc, code, timeout=30)
            except Exception as e:  # no reply: counts as a failure of the kernel
                calls.append({"magic": prefix, "code": code, "status": "no reply", "error": str(e)})
                break
            err = next((m["content"] for m in iopub if m["msg_type"] == "error"), None)
            calls.append({"magic": prefix, "code": code, "status": reply["status"], "ename": reply.get("ename"),
                          "evalue": (reply.get("evalue") or "")[:300], "traceback": err["traceback"] if err else []})
    alive = result_text(run(kc, "6 * 7")[1])
    return {"line": line, "cell": cell, "calls": calls[:300], "alive": alive, "hb": heartbeat_answers(km)}


DATASET_MAKE = """
const info = await lab.generateDetectionDataset(%(root)s, { seed: 9, train: 12, val: 1, nc: 3, imgSize: 64, format: "png" });
info.dataYaml
"""
DATASET_LOAD = """
const ds = await lab.YoloDataset.open(%(yaml)s, { imgSize: 64 });
const labelCount = ds.files.reduce((s, _f, i) => s + ds.rawLabels(i).length, 0);
console.log("RESULT " + JSON.stringify({ stats: ds.stats, files: ds.files.map((f) => f.split("/").pop()), labelCount: labelCount }));
"""


def scenario_dataset(km, kc, workdir):
    root = os.path.join(workdir, "yolo")
    reply, iopub = run(kc, DATASET_MAKE % {"root": json.dumps(root)}, timeout=120)
    assert reply["status"] == "ok", reply
    yaml = json.loads(result_text(iopub).replace("'", '"'))
    lab = lambda s: os.path.join(root, "labels", "train", f"{s}.txt")
    img = lambda s: os.path.join(root, "images", "train", f"{s}.png")
    ok = "0 0.5 0.5 0.2 0.2"
    kept_before = {s: open(lab(s)).read().strip().count("\n") + 1 for s in ["img_000", "img_009", "img_010", "img_011"]}
    with open(img("img_001"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + os.urandom(200))  # corrupt image: PNG signature, garbage after it
    with open(lab("img_002"), "w") as f:
        f.write(f"{ok}\n1 0.3 0.3 0.1")  # truncated label file: the last line was cut
    with open(lab("img_003"), "w") as f:
        f.write(f"{ok}\n2 0.5 0.5 0.1 0.1 0.7\n")  # wrong column count
    with open(lab("img_004"), "w") as f:
        f.write("1 0.5 NaN 0.1 0.1\n")
    with open(lab("img_005"), "w") as f:
        f.write("1 0.5 0.5 1.5 0.1\n")  # out of range
    with open(lab("img_006"), "w") as f:
        f.write("1 -0.2 0.5 0.1 0.1\n")  # negative
    with open(lab("img_007"), "w") as f:
        f.write("1 0.5 0.5 0.1 0.1\n")
    with open(lab("img_008"), "w") as f:
        f.write("")  # empty: a background, kept
    reply, iopub = run(kc, DATASET_LOAD % {"yaml": json.dumps(yaml)}, timeout=120)
    text = stream_text(iopub)
    line = next((l for l in text.splitlines() if l.startswith("RESULT ")), None)
    return {"status": reply["status"], "ename": reply.get("ename"), "evalue": reply.get("evalue"),
            "warnings": [l for l in text.splitlines() if "WARNING" in l],
            "loaded": json.loads(line[7:]) if line else None, "kept_before": kept_before,
            "alive": result_text(run(kc, "6 * 7")[1])}


if __name__ == "__main__":
    run_scenarios(globals())
