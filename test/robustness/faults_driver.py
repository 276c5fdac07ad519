"""Fault scenarios against one tfjs-lab kernel (jupyter_client); prints one JSON line per
scenario for faults.test.ts. Usage: faults_driver.py KERNEL_NAME WORKDIR SCENARIO...

interrupts      interrupt training loops in their middle, many times in a row
kill            SIGKILL the kernel while a Trainer writes checkpoints and a run log
restart         restart requests (shutdown_request restart=true via KernelManager.restart_kernel)
async_errors    a throw inside a timer and an unhandled rejection: reported in their own cell
oom             the toolkit's memory budget exceeded by a training step
"""
import json
import os
import random
import signal
import sys
import time

from lab_client import (run_scenarios, drain_iopub, emit, heartbeat_answers, iopub_until_idle, result_text, run, send_interrupt,
                        shell_reply, start, stop, stream_text, value)

SETUP = """
const kept = 7;
const model = lab.smallCnn({ nc: 2, channels: [4] });
function makeBatch(): { images: tf.Tensor4D; labels: tf.Tensor2D } {
  return tf.tidy(() => ({ images: tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D, labels: tf.oneHot(tf.tensor1d([0, 1], "int32"), 2) as tf.Tensor2D }));
}
function* batches() { for (;;) yield makeBatch(); }
const loss = (out: unknown, b: { labels: tf.Tensor }) => tf.losses.softmaxCrossEntropy(b.labels, out as tf.Tensor) as tf.Scalar;
const opt = tf.train.sgd(0.01);
opt.minimize(() => loss(model.forward(makeBatch().images), makeBatch()), false);
"""
# Every loop cell first prints the kernel's state (a probe): the probe of trial k+1 is the state
# trial k left behind. Each variant's source never changes, so it is type-checked once.
# `sinceStep`: ms since a training loop last finished a step; a loop still running after its
# interrupt shows up as a small value (the driver waits STOPPED_AFTER s between trials).
PROBE = ('console.log("probe " + JSON.stringify({ kept: kept, n: tf.memory().numTensors, '
         'sinceStep: Date.now() - ((globalThis as any).lastStepAt ?? 0) }));\n')
STEP = "(globalThis as any).lastStepAt = Date.now();\n"
STOPPED_AFTER = 0.3
LOOPS = {
    # an async training loop that yields to the event loop between steps
    "async-nextFrame": PROBE + """for (let i = 0; ; i++) {
  const b = makeBatch();
  opt.minimize(() => loss(model.forward(b.images), b), false);
  tf.dispose([b.images, b.labels]);
  """ + STEP + """  await tf.nextFrame();
}""",
    # the toolkit's Trainer, fed by an endless in-memory batch generator
    "async-Trainer": PROBE + """const trainer = new lab.Trainer({ model: model, data: batches(), loss: loss, epochs: 1, nbs: null });
trainer.on("batch", () => { """ + STEP + """ });
try { await trainer.fit(); } finally { trainer.dispose(); }""",
    # blocking: an empty loop, and a synchronous training loop
    "blocking-empty": PROBE + "while (true) {}",
    # blocking code after an await runs outside the first synchronous slice of the cell
    "blocking-after-await": PROBE + "await new Promise((r) => setTimeout(r, 1));\nwhile (true) {}",
    "blocking-train": PROBE + """for (;;) {
  const b = makeBatch();
  opt.minimize(() => loss(model.forward(b.images), b), false);
  tf.dispose([b.images, b.labels]);
}""",
    # blocking code that reaches no interrupt check (compiled at run time, so not instrumented),
    # inside a tidy: stopped by the SIGINT fallback; the tidy's tensor must not stay behind
    "blocking-unchecked-in-tidy": PROBE + 'tf.tidy(() => { tf.ones([3]); new Function("for (;;) {}")(); });',
}
TRIALS = {"async-nextFrame": 20, "async-Trainer": 20, "blocking-empty": 15, "blocking-after-await": 15, "blocking-train": 15,
          "blocking-unchecked-in-tidy": 15}
REPLY_WAIT = 8  # seconds an interrupted cell may take before the trial counts as hung


def probe_of(msgs):
    for m in msgs:
        if m["msg_type"] == "stream" and m["content"]["text"].startswith("probe "):
            return json.loads(m["content"]["text"][6:].strip().splitlines()[0])
    return None


def scenario_interrupts(km, kc, workdir):
    rng = random.Random(6)
    reply, _ = run(kc, SETUP, timeout=120)
    assert reply["status"] == "ok", reply
    trials = []
    for variant, n in TRIALS.items():
        hung = False
        for i in range(n):
            if hung:  # the kernel was restarted after a hang: the rest of this variant is not run
                trials.append({"variant": variant, "ran": False})
                continue
            msg_id = kc.execute(LOOPS[variant])
            seen = []
            # the loop is running once its probe line has arrived
            while probe_of(seen) is None:
                m = kc.get_iopub_msg(timeout=60)
                if m["parent_header"].get("msg_id") == msg_id:
                    seen.append(m)
            time.sleep(rng.uniform(0.05, 0.4))
            t0 = time.time()
            send_interrupt(kc)
            trial = {"variant": variant, "ran": True, "before": probe_of(seen)}
            try:
                r = shell_reply(kc, msg_id, REPLY_WAIT)["content"]
                trial.update(seconds=time.time() - t0, status=r["status"], ename=r.get("ename"), evalue=(r.get("evalue") or "")[:300])
                iopub_until_idle(kc, msg_id, 30)
                time.sleep(STOPPED_AFTER)
            except Exception:
                trial.update(seconds=None, status="no reply", ename=None)
                hung = True
                km.restart_kernel(now=True)
                kc.wait_for_ready(timeout=120)
                drain_iopub(kc)
                assert run(kc, SETUP, timeout=120)[0]["status"] == "ok"
            trials.append(trial)
        # what the last trial of the variant left behind
        after = value(kc, "{ kept: kept, n: tf.memory().numTensors }")
        # state left by trial k = probe printed at the start of trial k+1
        ran = [t for t in trials if t["variant"] == variant and t["ran"]]
        for a, b in zip(ran, ran[1:]):
            a["after"] = b["before"]
        if ran and not hung:
            ran[-1]["after"] = after
        # a loop that goes on after its interrupt shows up here as growth
        time.sleep(1.0)
        ran_on = value(kc, "{ kept: kept, n: tf.memory().numTensors }")
        for t in ran:
            t["settled"] = ran_on if t is ran[-1] and not hung else None
    return {"trials": trials, "hb": heartbeat_answers(km)}


KILL_CELL = """
const killModel = lab.smallCnn({ nc: 2, channels: [4] });
const killData = { length: 3, *[Symbol.iterator]() { for (let i = 0; i < 3; i++) yield makeBatch(); } };
const killTrainer = new lab.Trainer({ model: killModel, data: killData, loss: loss, epochs: 100000, nbs: null,
  checkpointDir: %(dir)s, runLog: %(log)s });
killTrainer.on("epoch", () => new Promise((r) => setTimeout(r, 20)));
killTrainer.fit();
"started"
"""


def scenario_kill(km, kc, workdir):
    ckdir = os.path.join(workdir, "ckpt")
    log = os.path.join(workdir, "run.jsonl")
    assert run(kc, SETUP, timeout=120)[0]["status"] == "ok"
    reply, iopub = run(kc, KILL_CELL % {"dir": json.dumps(ckdir), "log": json.dumps(log)}, timeout=120)
    assert reply["status"] == "ok", reply
    # wait until a few epochs are logged, then kill at a random moment inside a later epoch
    deadline = time.time() + 60
    while time.time() < deadline:
        if os.path.exists(log) and open(log).read().count("\n") >= 3:
            break
        time.sleep(0.05)
    time.sleep(random.Random(2).uniform(0.0, 0.3))
    pid = km.provisioner.process.pid
    os.kill(pid, signal.SIGKILL)
    code = km.provisioner.process.wait(timeout=30)
    lines = open(log).read().count("\n") if os.path.exists(log) else 0
    return {"pid": pid, "exit_code": code, "checkpoint_dir": ckdir, "run_log": log, "log_lines": lines}


def scenario_restart(km, kc, workdir):
    rounds = []
    for i in range(3):
        run(kc, f"const restartMarker{i} = {i};")
        pid_before = km.provisioner.process.pid
        km.restart_kernel(now=False)  # shutdown_request(restart=True) on control, then a new process
        kc.wait_for_ready(timeout=120)
        drain_iopub(kc)
        reply, iopub = run(kc, f"typeof (globalThis as any).restartMarker{i} + ' ' + (1 + {i})", timeout=120)
        rounds.append({"pid_before": pid_before, "pid_after": km.provisioner.process.pid,
                       "status": reply["status"], "text": result_text(iopub), "count": reply.get("execution_count")})
        ref, _ = run(kc, f"restartMarker{i}")
        rounds[-1]["ref_ename"] = ref.get("ename")
    # A restart while a cell blocks the main thread: the control worker interrupts the cell so
    # the old process shuts down by itself (exit code 0) instead of being killed by the client
    # after its wait (shutdown_wait_time, 5 s).
    run(kc, "const restartMarkerBusy = 1;")
    kc.execute("while (true) {}")
    time.sleep(0.5)
    old = km.provisioner.process
    t0 = time.time()
    km.restart_kernel(now=False)
    busy = {"old_exit_code": old.wait(timeout=30), "seconds": time.time() - t0}
    kc.wait_for_ready(timeout=120)
    drain_iopub(kc)
    reply, iopub = run(kc, "typeof (globalThis as any).restartMarkerBusy", timeout=120)
    busy.update({"status": reply["status"], "text": result_text(iopub)})
    return {"rounds": rounds, "busy": busy}


def scenario_async_errors(km, kc, workdir):
    out = {}
    cases = {
        "timer": 'setTimeout(() => { throw new Error("boom-from-timer"); }, 300); "timer armed"',
        "rejection": 'Promise.reject(new Error("boom-from-rejection")); "rejection made"',
        "async-timer": 'setTimeout(async () => { await null; throw new TypeError("boom-from-async-timer"); }, 300); "async armed"',
    }
    for name, code in cases.items():
        cause = kc.execute(code)
        shell_reply(kc, cause, 60)
        # a later cell runs while the failure happens: the error must not land there
        later = kc.execute('await new Promise((r) => setTimeout(r, 1200)); "later done"')
        later_reply = shell_reply(kc, later, 60)["content"]
        errors = []
        deadline = time.time() + 3
        while time.time() < deadline:
            try:
                m = kc.get_iopub_msg(timeout=0.5)
            except Exception:
                continue
            if m["msg_type"] == "error":
                errors.append({"parent": m["parent_header"].get("msg_id"), "ename": m["content"]["ename"],
                               "evalue": m["content"]["evalue"], "traceback": m["content"]["traceback"]})
        out[name] = {"cause": cause, "later": later, "later_status": later_reply["status"], "errors": errors}
    reply, iopub = run(kc, "1 + 1")
    out["alive"] = result_text(iopub)
    out["hb"] = heartbeat_answers(km)
    return out


OOM_CELL = """
const before = tf.memory();
const big = lab.smallCnn({ nc: 10, channels: [64, 128, 256] });
const bigData = { length: 2, *[Symbol.iterator]() { for (let i = 0; i < 2; i++) yield tf.tidy(() => ({ images: tf.randomNormal([16, 64, 64, 3]) as tf.Tensor4D, labels: tf.oneHot(tf.tensor1d(new Array(16).fill(1), "int32"), 10) as tf.Tensor2D })); } };
const oomTrainer = new lab.Trainer({ model: big, data: bigData, loss: loss, epochs: 1, nbs: null });
lab.setMemoryBudget("2MiB");
try { await oomTrainer.fit(); } finally { lab.setMemoryBudget(null); oomTrainer.dispose(); big.dispose(); }
"""


def scenario_oom(km, kc, workdir):
    assert run(kc, SETUP, timeout=120)[0]["status"] == "ok"
    before = value(kc, "{ n: tf.memory().numTensors, bytes: tf.memory().numBytes }")
    reply, iopub = run(kc, OOM_CELL, timeout=120)
    errors = [m["content"] for m in iopub if m["msg_type"] == "error"]
    after = value(kc, "{ n: tf.memory().numTensors, bytes: tf.memory().numBytes }")
    alive = result_text(run(kc, "kept * 6")[1])
    return {"reply": {k: reply.get(k) for k in ("status", "ename", "evalue")}, "errors": errors,
            "before": before, "after": after, "alive": alive, "hb": heartbeat_answers(km)}


if __name__ == "__main__":
    run_scenarios(globals())
