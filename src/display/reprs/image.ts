// Images (PNG bytes) shown inline.
import { JUPYTER_DISPLAY } from "../mime";

export class PngImage {
  constructor(
    readonly png: Uint8Array,
    readonly width: number,
    readonly height: number,
    readonly caption = "",
  ) {}
  [JUPYTER_DISPLAY]() {
    return {
      "image/png": Buffer.from(this.png).toString("base64"),
      "text/plain": `<PNG image ${this.width}x${this.height}${this.caption ? `: ${this.caption}` : ""}>`,
    };
  }
}
