// The shell FIFO's stop_on_error marking with real zeromq sockets (inproc: a completed send
// is visible to the receiver, so "already waiting" is exact here).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as zmq from "zeromq";
import { ShellQueue } from "../../src/kernel/shell-queue";

test("abortWaiting marks what is waiting now, not what comes later; order is kept", async () => {
  const router = new zmq.Router();
  const dealer = new zmq.Dealer();
  const address = `inproc://shell-queue-${process.pid}`;
  await router.bind(address);
  dealer.connect(address);
  try {
    const queue = new ShellQueue(router);
    for (const body of ["first", "second", "third"]) await dealer.send(body);
    const first = await queue.next();
    assert.equal(first!.frames.at(-1)!.toString(), "first");
    assert.equal(await queue.abortWaiting(), 2);
    await dealer.send("fourth");
    const rest = [];
    for (let i = 0; i < 3; i++) {
      const item = (await queue.next())!;
      rest.push([item.frames.at(-1)!.toString(), item.abort]);
    }
    assert.deepEqual(rest, [
      ["second", true],
      ["third", true],
      ["fourth", false],
    ]);
    // Draining with nothing waiting leaves the socket blocking again.
    assert.equal(await queue.abortWaiting(), 0);
    assert.equal(router.receiveTimeout, -1);
  } finally {
    dealer.close();
    router.close();
  }
});

test("next() returns null once the socket is closed", async () => {
  const router = new zmq.Router();
  await router.bind(`inproc://shell-queue-closed-${process.pid}`);
  const queue = new ShellQueue(router);
  const pending = queue.next();
  router.close();
  assert.equal(await pending, null);
});
