// Faults as users meet them: interrupts in the middle of training, a killed kernel, restarts,
// errors thrown by timers and promises, and the toolkit's memory budget exceeded.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { loadCheckpoint, readRunLog } from "../../src/toolkit/train";
import { smallCnn } from "../../src/toolkit/nn";
import { type DriverRun, type Json, runDriver } from "./driver-runner";

describe("faults through jupyter_client", () => {
  let run: DriverRun;
  before(async () => {
    run = await runDriver("faults_driver.py", ["interrupts", "kill", "restart", "async_errors", "oom"], 400_000);
  });

  // Each loop is interrupted at a random point after it started: async loops (awaits that yield, and
  // the Trainer) stop at their next check, blocking loops between iterations, and blocking code that
  // reaches no check through the SIGINT fallback (TensorFlow.js's open scopes closed afterwards).
  test("interrupting training loops 100 times: each returns KeyboardInterrupt within 1 s, variables kept, no tensors leaked", (t) => {
    const trials: Json[] = run.result("interrupts").trials;
    assert.equal(trials.length, 100);
    const problems: string[] = [];
    let maxSeconds = 0;
    trials.forEach((x, i) => {
      const where = `trial ${i} (${x.variant})`;
      if (!x.ran) return problems.push(`${where}: not run (an earlier trial of this variant hung)`);
      if (x.seconds === null) return problems.push(`${where}: no execute_reply ${8} s after interrupt_request`);
      maxSeconds = Math.max(maxSeconds, x.seconds);
      if (x.status !== "error" || x.ename !== "KeyboardInterrupt") problems.push(`${where}: reply ${x.status} ${x.ename}`);
      if (x.seconds > 1) problems.push(`${where}: reply after ${x.seconds.toFixed(2)} s`);
      if (x.after && x.after.kept !== 7) problems.push(`${where}: kept = ${x.after.kept}`);
      if (x.after && x.after.n !== x.before.n) problems.push(`${where}: numTensors ${x.before.n} before, ${x.after.n} after`);
      if (x.after && x.after.sinceStep < 200)
        problems.push(`${where}: the loop still runs after its interrupt (last step ${x.after.sinceStep} ms before the next cell)`);
      if (x.settled && x.settled.n !== x.after.n)
        problems.push(`${where}: numTensors still moving after the interrupt (${x.after.n} -> ${x.settled.n} 1 s later)`);
    });
    const failed = new Map<string, string>(); // failed trial -> its variant
    for (const p of problems) {
      const m = /^trial (\d+) \((.*?)\)/.exec(p)!;
      failed.set(m[1], m[2]);
    }
    const byVariant = new Map<string, number>();
    for (const v of failed.values()) byVariant.set(v, (byVariant.get(v) ?? 0) + 1);
    const sigintFallbacks = (run.kernelLog.match(/interrupt: closed \d+ TensorFlow\.js scope/g) ?? []).length;
    t.diagnostic(
      `interrupts: ${trials.length} trials, ${failed.size} failures, max ${maxSeconds.toFixed(2)} s, ${sigintFallbacks} stopped by the SIGINT fallback inside a tidy` +
        (byVariant.size ? ` (failures by variant: ${[...byVariant].map(([v, n]) => `${v} ${n}`).join(", ")})` : ""),
    );
    assert.equal(run.result("interrupts").hb, true);
    assert.deepEqual(problems, []);
  });

  test("SIGKILL during training: the last checkpoint loads into a fresh model, the run log is complete up to it", async (t) => {
    const r = run.result("kill");
    assert.equal(r.exit_code, -9);
    await tf.setBackend("cpu");
    const model = smallCnn({ nc: 2, channels: [4] });
    const shapesBefore = model.namedParameters().map(([n, p]) => [n, p.shape]);
    const info = loadCheckpoint(path.join(r.checkpoint_dir, "last.ckpt"), model);
    assert.deepEqual(
      model.namedParameters().map(([n, p]) => [n, p.shape]),
      shapesBefore,
    );
    const log = readRunLog(r.run_log);
    // Epochs 0..info.epoch are all in the log, in order; the log may be one epoch ahead
    // (the record is written before the checkpoint), never behind.
    const epochs = log.map((x) => x.epoch as number);
    assert.deepEqual(
      epochs.slice(0, info.epoch + 1),
      Array.from({ length: info.epoch + 1 }, (_, i) => i),
    );
    assert.ok(epochs.length <= info.epoch + 2, `run log has ${epochs.length} epochs, checkpoint is epoch ${info.epoch}`);
    const y = model.forward(tf.zeros([1, 8, 8, 3]));
    assert.ok(Array.from(y.dataSync()).every(Number.isFinite));
    t.diagnostic(`kill: checkpoint epoch ${info.epoch} loaded; run log ${epochs.length} records (${r.log_lines} lines on disk)`);
    y.dispose();
    model.dispose();
  });

  test("restart requests: variables are gone, the new kernel answers", (t) => {
    const rounds: Json[] = run.result("restart").rounds;
    assert.equal(rounds.length, 3);
    rounds.forEach((x, i) => {
      assert.notEqual(x.pid_after, x.pid_before);
      assert.equal(x.status, "ok");
      assert.equal(x.text, `'undefined ${i + 1}'`);
      assert.equal(x.count, 1);
      assert.equal(x.ref_ename, "CompileError"); // "Cannot find name 'restartMarkerN'"
    });
    t.diagnostic(`restarts: ${rounds.length} of ${rounds.length} came back fresh`);
    // restart while `while (true) {}` runs: the old process was not killed, it shut down
    const busy: Json = run.result("restart").busy;
    assert.equal(busy.old_exit_code, 0, "the busy kernel should exit by itself, not be killed");
    assert.equal(busy.status, "ok");
    assert.equal(busy.text, "'undefined'");
    t.diagnostic(`restart during a blocking cell: old kernel exited 0, new kernel ready, ${busy.seconds.toFixed(1)} s`);
  });

  test("a throw inside a timer and an unhandled rejection are reported in the cell that caused them", () => {
    const r = run.result("async_errors");
    const expect: Record<string, [string, string]> = {
      timer: ["Error", "boom-from-timer"],
      rejection: ["Error", "boom-from-rejection"],
      "async-timer": ["TypeError", "boom-from-async-timer"],
    };
    for (const [name, [ename, evalue]] of Object.entries(expect)) {
      const c = r[name];
      assert.equal(c.later_status, "ok", name);
      assert.deepEqual(
        c.errors.map((e: Json) => [e.parent, e.ename, e.evalue]),
        [[c.cause, ename, evalue]],
        name,
      );
    }
    assert.equal(r.alive, "2");
    assert.equal(r.hb, true);
    assert.match(run.kernelLog, /Uncaught exception: Error: boom-from-timer/);
    assert.match(run.kernelLog, /Unhandled promise rejection: Error: boom-from-rejection/);
  });

  test("out of memory in the toolkit's budget: OutOfMemoryError in the cell, kernel alive, memory returned", (t) => {
    const r = run.result("oom");
    assert.equal(r.reply.status, "error");
    assert.equal(r.reply.ename, "OutOfMemoryError");
    assert.match(
      r.reply.evalue,
      /^CUDA out of memory\. Tried to allocate .*\(simulated: budget set by setMemoryBudget; .*failed during train\)$/,
    );
    assert.equal(r.errors.length, 1);
    assert.deepEqual(r.after, r.before);
    assert.equal(r.alive, "42");
    assert.equal(r.hb, true);
    t.diagnostic(`oom: OutOfMemoryError; tensors ${r.before.n} -> ${r.after.n}, bytes ${r.before.bytes} -> ${r.after.bytes}`);
  });
});
