// Wire format and signing, without sockets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { Signer, WireError, parseMessage, serializeMessage } from "../../src/kernel/wire";
import { Session, replyType } from "../../src/kernel/session";
import { parseConnectionInfo, endpoint } from "../../src/kernel/connection";

const session = new Session("kernel-session");
const request = () => session.message("execute_request", { code: "1 + 1" }, null, { identities: [Buffer.from("client-id")] });

test("serialize then parse gives the message back, identities included", () => {
  const signer = new Signer("secret");
  const msg = request();
  const parsed = parseMessage(serializeMessage(msg, signer), signer);
  assert.deepEqual(parsed.identities, [Buffer.from("client-id")]);
  assert.deepEqual(parsed.header, msg.header);
  assert.deepEqual(parsed.content, { code: "1 + 1" });
  assert.equal(parsed.header.version, "5.3");
});

test("the signature is HMAC-SHA256 over header, parent, metadata, content in that order", () => {
  const frames = serializeMessage(request(), new Signer("secret"));
  const at = frames.findIndex((f) => f.toString() === "<IDS|MSG>");
  const h = createHmac("sha256", "secret");
  for (const f of frames.slice(at + 2, at + 6)) h.update(f);
  assert.equal(frames[at + 1].toString(), h.digest("hex"));
});

test("a wrong key, a tampered content frame or a missing signature is rejected", () => {
  const frames = serializeMessage(request(), new Signer("secret"));
  assert.throws(
    () => parseMessage(frames, new Signer("other")),
    (e: Error) => e instanceof WireError && /bad signature/.test(e.message),
  );
  const at = frames.findIndex((f) => f.toString() === "<IDS|MSG>");
  const tampered = [...frames];
  tampered[at + 5] = Buffer.from(JSON.stringify({ code: "process.exit()" }));
  assert.throws(() => parseMessage(tampered, new Signer("secret")), /bad signature/);
  const unsigned = [...frames];
  unsigned[at + 1] = Buffer.from("");
  assert.throws(() => parseMessage(unsigned, new Signer("secret")), /bad signature/);
});

test("an empty key means unsigned messages (as jupyter_client does with key '')", () => {
  const frames = serializeMessage(request(), new Signer(""));
  assert.equal(frames[2].toString(), "");
  assert.equal(parseMessage(frames, new Signer("")).header.msg_type, "execute_request");
});

test("malformed messages are WireErrors", () => {
  const signer = new Signer("");
  assert.throws(() => parseMessage([Buffer.from("no delimiter")], signer), /delimiter/);
  assert.throws(() => parseMessage([Buffer.from("<IDS|MSG>"), Buffer.from("")], signer), /too few frames/);
  const bad = [Buffer.from("<IDS|MSG>"), Buffer.from(""), Buffer.from("{"), Buffer.from("{}"), Buffer.from("{}"), Buffer.from("{}")];
  assert.throws(() => parseMessage(bad, signer), /header is not valid JSON/);
});

test("replies are named after requests; headers carry session, ISO date and version", () => {
  assert.equal(replyType("kernel_info_request"), "kernel_info_reply");
  const h = session.header("status");
  assert.equal(h.session, "kernel-session");
  assert.ok(!Number.isNaN(Date.parse(h.date)) && h.date.endsWith("Z"));
  assert.notEqual(h.msg_id, session.header("status").msg_id);
});

test("connection info: endpoints, defaults and clear errors", () => {
  const info = parseConnectionInfo({ shell_port: 1, iopub_port: 2, stdin_port: 3, control_port: 4, hb_port: 5, ip: "127.0.0.1", key: "k" });
  assert.equal(endpoint(info, "control"), "tcp://127.0.0.1:4");
  assert.equal(info.signature_scheme, "hmac-sha256");
  assert.equal(endpoint({ ...info, transport: "ipc", ip: "/tmp/k" }, "hb"), "ipc:///tmp/k-5");
  assert.throws(() => parseConnectionInfo({ shell_port: 1 }), /"iopub_port" must be a port number/);
});
