export { createEngine, LabEngine, type EngineOptions } from "./engine";
export type * from "./types";
export { currentCell } from "./cell-context";
