// The toolkit's public namespace. Each area exports from its own index.
export { Module, LayerInfo } from "./nn/module";
export * from "../tfjs";
export * from "./nn";
export * from "./ops";
export * from "./losses";
export * from "./data";
export * from "./train";
export * from "./viz";
export * from "./io";
export * from "./weights";
export * from "./infer";
// YOLOv5 run folders: lab.runs.load / diff / figure (runs/ names its own loadRuns, so only the namespace).
export { runs, YoloRun } from "./runs";
export { setInterruptHost, interruptSignal, pollInterrupt, InterruptHost } from "./interrupt";
export { findUp } from "./find-up";
