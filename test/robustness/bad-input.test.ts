// Bad input as users and networks produce it: malformed and mis-signed wire messages, magics
// with random arguments, and a YOLO dataset with corrupt images and labels.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type DriverRun, type Json, runDriver } from "./driver-runner";

/** A stack frame that points into the kernel's or toolkit's own code. */
const kernelFrame = (line: string) => /^\s+at .*[\\/]dist[\\/]src[\\/]/.test(line);

describe("bad input through jupyter_client", () => {
  let run: DriverRun;
  before(async () => {
    run = await runDriver("badinput_driver.py", ["fuzz", "magics", "dataset"], 300_000);
  });

  test("malformed and mis-signed messages on shell and control: none executed, each dropped and logged, kernel alive", (t) => {
    const r = run.result("fuzz");
    assert.deepEqual(r.ran, [], `forged cells that ran: ${JSON.stringify(r.ran)}`);
    assert.equal(r.hb, true);
    assert.equal(r.after, "42");
    assert.equal(r.execution_count, 2); // the probe and this cell: no forged request took a count
    assert.equal(r.sent.shell_replies, 0);
    assert.equal(r.sent.control_replies, 0);
    const sent = r.sent.shell.length + r.sent.control.length;
    const dropped = (run.kernelLog.match(/(shell|control): dropped a message: /g) ?? []).length;
    for (const reason of [
      "bad signature",
      "no <IDS|MSG> delimiter",
      "too few frames",
      "header is not valid JSON",
      "content is not valid JSON",
      "header lacks msg_type or msg_id",
    ])
      assert.ok(run.kernelLog.includes(`dropped a message: ${reason}`), `kernel log lacks "${reason}"`);
    assert.equal(dropped, sent, `${sent} malformed messages sent, ${dropped} drops logged`);
    t.diagnostic(`fuzz: ${sent} malformed messages, ${dropped} dropped and logged, 0 executed, heartbeat ok`);
  });

  test("magics with random arguments: UsageError or a domain error, never a stack trace from inside the kernel", (t) => {
    const r = run.result("magics");
    const calls: Json[] = r.calls;
    assert.ok(calls.length >= 300, `${calls.length} calls`);
    const magics = new Set(calls.map((c) => c.magic));
    for (const m of [...r.line.map((x: string) => `%${x}`), ...r.cell.map((x: string) => `%%${x}`)])
      assert.ok(magics.has(m), `${m} not called`);
    const hung = calls.filter((c) => c.status === "no reply");
    const withFrames = calls.filter((c) => c.traceback.some(kernelFrame));
    // Magics that run code (time, timeit, memit, trace) report the code's own errors.
    const byName = new Map<string, number>();
    for (const c of calls) if (c.status === "error") byName.set(c.ename, (byName.get(c.ename) ?? 0) + 1);
    t.diagnostic(
      `magics: ${calls.length} calls over ${magics.size} magics, ${calls.filter((c) => c.status === "ok").length} ok, errors ${[...byName]
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}; ${withFrames.length} with kernel stack frames`,
    );
    assert.deepEqual(hung, []);
    assert.deepEqual(
      withFrames.map((c) => `${c.code} -> ${c.ename}: ${c.evalue}\n${c.traceback.join("\n")}`),
      [],
    );
    const unexpected = calls.filter((c) => c.status === "error" && !["UsageError", "CompileError"].includes(c.ename));
    assert.deepEqual(
      unexpected.map((c) => `${c.code} -> ${c.ename}: ${c.evalue}`),
      [],
    );
    assert.equal(r.alive, "42");
    assert.equal(r.hb, true);
  });

  test("corrupt YOLO dataset through lab.YoloDataset: YOLOv5's skip warnings with file:line, exact usable labels", (t) => {
    const r = run.result("dataset");
    assert.equal(r.status, "ok", `${r.ename}: ${r.evalue}`);
    const w = (stem: string, why: string) => `train: WARNING ⚠️ images/train/${stem}.png: ignoring corrupt image/label: ${why}`;
    assert.match(r.warnings[0], /^train: WARNING ⚠️ images\/train\/img_001\.png: ignoring corrupt image\/label: .+/);
    assert.deepEqual(r.warnings.slice(1), [
      w("img_002", "labels/train/img_002.txt:2: expected 5 values (class x y w h), got 4"),
      w("img_003", "labels/train/img_003.txt:2: expected 5 values (class x y w h), got 6"),
      w("img_004", "labels/train/img_004.txt:1: value 'NaN' is not a finite number"),
      w(
        "img_005",
        "labels/train/img_005.txt:1: non-normalized or out of bounds coordinates [1.5] (x y w h must be fractions of the image size, 0 to 1)",
      ),
      w("img_006", "labels/train/img_006.txt:1: negative label values [-0.2]"),
    ]);
    const d = r.loaded;
    assert.deepEqual(d.stats, { found: 5, missing: 0, empty: 1, corrupt: 6 });
    assert.deepEqual(d.files, ["img_000.png", "img_007.png", "img_008.png", "img_009.png", "img_010.png", "img_011.png"]);
    // untouched files keep all their boxes, img_007 has the one we wrote, img_008 is a background
    const expected = r.kept_before.img_000 + r.kept_before.img_009 + r.kept_before.img_010 + r.kept_before.img_011 + 1;
    assert.equal(d.labelCount, expected);
    assert.equal(r.alive, "42");
    t.diagnostic(
      `dataset: 12 images, 6 corrupted -> ${r.warnings.length} warnings, ${d.files.length} kept, ${d.labelCount} labels (expected ${expected})`,
    );
  });
});
