// The static image of a figure: tfjs-lab's renderer (plotly-svg.ts, librsvg through sharp)
// against the real alternative, plotly.js itself drawing the same figure in headless
// Chromium and exporting it with Plotly.toImage (what kaleido does), in the same run.
// Times are medians of `rounds` after one warm-up; Chromium's start is not counted.
import * as fs from "node:fs";
import { chromium } from "playwright-core";
import { figure, toMimeBundle, type PlotlyTrace } from "../../src/display";

export interface StaticFigureRow {
  name: string;
  points: number;
  ours_ms: number;
  plotly_ms: number;
  ours_png_bytes: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function cases(): { name: string; points: number; data: PlotlyTrace[]; layout: Record<string, unknown> }[] {
  const line = (n: number) => ({
    x: Float64Array.from({ length: n }, (_, i) => i),
    y: Float64Array.from({ length: n }, (_, i) => Math.sin(i / 500) + 0.2 * Math.sin(i * 1.3)),
  });
  let s = 3;
  const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647;
  return [
    { name: "line, 1,000 points", points: 1000, data: [{ ...line(1000), mode: "lines" }], layout: {} },
    { name: "line, 300,000 points", points: 300_000, data: [{ ...line(300_000), mode: "lines" }], layout: {} },
    {
      name: "markers, 100,000 points",
      points: 100_000,
      data: [{ x: Array.from({ length: 100_000 }, rnd), y: Array.from({ length: 100_000 }, rnd), mode: "markers" }],
      layout: {},
    },
    {
      name: "histogram, 300,000 values",
      points: 300_000,
      data: [{ type: "histogram", x: Array.from({ length: 300_000 }, () => rnd() + rnd()) }],
      layout: {},
    },
    {
      name: "heatmap 200x200",
      points: 40_000,
      data: [
        {
          type: "heatmap",
          z: Array.from({ length: 200 }, (_, i) => Array.from({ length: 200 }, (_, j) => Math.sin(i / 9) * Math.cos(j / 13))),
        },
      ],
      layout: {},
    },
  ];
}

export async function staticFigureBench(rounds = 5): Promise<StaticFigureRow[]> {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu"] });
  const page = await browser.newPage();
  await page.setContent(`<div id="gd" style="width:720px;height:420px"></div>`);
  await page.addScriptTag({ content: fs.readFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), "utf8") });
  const rows: StaticFigureRow[] = [];
  for (const c of cases()) {
    const ours: number[] = [];
    let bytes = 0;
    for (let r = 0; r <= rounds; r++) {
      const t0 = performance.now();
      const png = (toMimeBundle(figure(c.data, c.layout)).data as Record<string, string>)["image/png"];
      if (r > 0) ours.push(performance.now() - t0);
      bytes = Buffer.from(png, "base64").length;
    }
    const json = JSON.stringify({
      data: c.data.map((t) =>
        Object.fromEntries(Object.entries(t).map(([k, v]) => [k, ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v])),
      ),
      layout: c.layout,
    });
    const theirs: number[] = await page.evaluate(
      async ({ json, rounds }) => {
        const P = (window as any).Plotly,
          out: number[] = [];
        for (let r = 0; r <= rounds; r++) {
          const fig = JSON.parse(json);
          const t0 = performance.now();
          await P.newPlot("gd", fig.data, fig.layout, { staticPlot: true });
          await P.toImage("gd", { format: "png", width: 720, height: 420 });
          if (r > 0) out.push(performance.now() - t0);
          P.purge("gd");
        }
        return out;
      },
      { json, rounds },
    );
    rows.push({ name: c.name, points: c.points, ours_ms: median(ours), plotly_ms: median(theirs), ours_png_bytes: bytes });
  }
  await browser.close();
  return rows;
}

export function formatStaticFigureTable(rows: StaticFigureRow[]): string {
  return [
    "| figure | tfjs-lab static PNG (figure to bundle) | plotly.js in Chromium (newPlot + toImage) | ratio | PNG size |",
    "|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.ours_ms.toFixed(0)} ms | ${r.plotly_ms.toFixed(0)} ms | ${(r.ours_ms / r.plotly_ms).toFixed(2)}x | ${(r.ours_png_bytes / 1024).toFixed(1)} KiB |`,
    ),
  ].join("\n");
}

if (require.main === module) {
  staticFigureBench(Number(process.argv[2] ?? 5)).then(
    (rows) => {
      process.stdout.write(`${formatStaticFigureTable(rows)}\n`);
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`${String(e?.stack ?? e)}\n`);
      process.exit(1);
    },
  );
}
