// The Jupyter messaging layer (protocol 5.3) on zeromq: `startKernel` binds a connection
// file's channels and drives an Engine.
export { startKernel, type KernelOptions, type RunningKernel } from "./kernel";
export { readConnectionFile, parseConnectionInfo, type ConnectionInfo } from "./connection";
export { Signer, parseMessage, serializeMessage, WireError } from "./wire";
export { Session } from "./session";
export { kernelInfo } from "./kernel-info";
export { PROTOCOL_VERSION, type Message, type Header } from "./messages";
