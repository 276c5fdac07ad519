export { frameworkError } from "../framework-error";

/** A NHWC shape written as PyTorch prints the NCHW one: `torch.Size([1, 1280, 1, 1])`. */
export function torchSizeNCHW(shape: number[]): string {
  const nchw = shape.length === 4 ? [shape[0], shape[3], shape[1], shape[2]] : shape;
  return `torch.Size([${nchw.join(", ")}])`;
}
