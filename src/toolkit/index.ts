// The toolkit's public namespace. Each area exports from its own index.
export { Module, LayerInfo } from "./nn/module";
export * from "./backend";
export * from "./nn";
export * from "./ops";
export * from "./losses";
export * from "./data";
export * from "./train";
export * from "./viz";
export * from "./io";
export * from "./weights";
export * from "./infer";
export { setInterruptHost, interruptSignal, pollInterrupt, InterruptHost } from "./interrupt";
