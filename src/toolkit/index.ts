// The toolkit's public namespace. Each area exports from its own index.
export { Module, LayerInfo } from "./nn/module";
