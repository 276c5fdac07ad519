export { createEngine, LabEngine, type EngineOptions, type EngineHooks } from "./engine";
export type { FrameLibrary } from "./errors";
export type * from "./types";
export { currentCell } from "./cell-context";
