// tfjs-lab as a library: `import * as lab from "tfjs-lab"` gives the toolkit in plain Node.
// The kernel preloads this same namespace as `lab`.
export * from "./toolkit";
