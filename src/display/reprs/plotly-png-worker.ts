// The worker behind plotly-png.ts: sharp (librsvg) turns one SVG into a PNG per request. It
// answers on the port, then wakes the waiting thread through the shared flag.
import { workerData, type MessagePort } from "node:worker_threads";

const { port, flag } = workerData as { port: MessagePort; flag: Int32Array };

function answer(message: { png?: Uint8Array; error?: string }): void {
  port.postMessage(message);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

let sharp: typeof import("sharp") | undefined;
let loadError: string | undefined;
try {
  sharp = require("sharp");
} catch (err) {
  loadError = `sharp could not be loaded (${(err as Error).message.split("\n")[0]}); run npm ci in the tfjs-lab folder`;
}

port.on("message", async (svg: string) => {
  if (!sharp) return answer({ error: loadError });
  try {
    // A palette PNG: charts are a few flat colours, so it is a third of the full-colour size.
    const png = await sharp(Buffer.from(svg)).png({ palette: true, compressionLevel: 9, effort: 4 }).toBuffer();
    answer({ png: new Uint8Array(png) });
  } catch (err) {
    answer({ error: (err as Error).message });
  }
});
