// The static image of a figure (the image/png that untrusted notebooks, GitHub and nbviewer
// show), checked by its pixels: where each trace's colour lands says whether axes, bars,
// subplots and decimation are right. Each check is paired with what a wrong rendering draws.
import { test } from "node:test";
import assert from "node:assert/strict";
import sharp from "sharp";
import { figure, toMimeBundle, type PlotlyTrace } from "../../src/display";

const BLUE = [0x1f, 0x77, 0xb4],
  ORANGE = [0xff, 0x7f, 0x0e],
  GREEN = [0x2c, 0xa0, 0x2c];

interface Img {
  width: number;
  height: number;
  rgb: Buffer;
}
interface Pixels {
  xs: number[];
  ys: number[];
  count: number;
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}

async function png(data: PlotlyTrace[], layout: Record<string, unknown> = {}): Promise<Img> {
  const bundle = toMimeBundle(figure(data, layout)).data as Record<string, string>;
  assert.ok(bundle["image/png"], `no image/png in the bundle (keys: ${Object.keys(bundle)})`);
  const { data: rgb, info } = await sharp(Buffer.from(bundle["image/png"], "base64"))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgb };
}

/** Pixels within `tol` of a colour (palette PNGs shift colours a little), optionally in a box. */
function find(img: Img, color: number[], box = { x0: 0, y0: 0, x1: Infinity, y1: Infinity }, tol = 28): Pixels {
  const p: Pixels = { xs: [], ys: [], count: 0, minX: Infinity, maxX: -Infinity, minY: Infinity, maxY: -Infinity };
  for (let y = Math.max(0, box.y0); y < Math.min(img.height, box.y1); y++) {
    for (let x = Math.max(0, box.x0); x < Math.min(img.width, box.x1); x++) {
      const i = (y * img.width + x) * 3;
      if (Math.abs(img.rgb[i] - color[0]) + Math.abs(img.rgb[i + 1] - color[1]) + Math.abs(img.rgb[i + 2] - color[2]) > tol) continue;
      p.xs.push(x);
      p.ys.push(y);
      p.count++;
      p.minX = Math.min(p.minX, x);
      p.maxX = Math.max(p.maxX, x);
      p.minY = Math.min(p.minY, y);
      p.maxY = Math.max(p.maxY, y);
    }
  }
  return p;
}

/** Largest distance of the pixels from the straight line fitted through them. */
function straightness(p: Pixels): number {
  const n = p.count,
    mx = p.xs.reduce((a, b) => a + b, 0) / n,
    my = p.ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0,
    sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (p.xs[i] - mx) * (p.ys[i] - my);
    sxx += (p.xs[i] - mx) ** 2;
  }
  const k = sxy / sxx;
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(p.ys[i] - (my + k * (p.xs[i] - mx))) / Math.sqrt(1 + k * k));
  return worst;
}

/** Runs of columns that hold the colour: one run per bar. */
function columnRuns(p: Pixels): { x0: number; x1: number; top: number; bottom: number }[] {
  const cols = new Map<number, { top: number; bottom: number }>();
  p.xs.forEach((x, i) => {
    const c = cols.get(x) ?? { top: Infinity, bottom: -Infinity };
    c.top = Math.min(c.top, p.ys[i]);
    c.bottom = Math.max(c.bottom, p.ys[i]);
    cols.set(x, c);
  });
  const runs: { x0: number; x1: number; top: number; bottom: number }[] = [];
  for (const x of [...cols.keys()].sort((a, b) => a - b)) {
    const last = runs[runs.length - 1],
      c = cols.get(x)!;
    if (last && x === last.x1 + 1) {
      last.x1 = x;
      last.top = Math.min(last.top, c.top);
      last.bottom = Math.max(last.bottom, c.bottom);
    } else runs.push({ x0: x, x1: x, top: c.top, bottom: c.bottom });
  }
  return runs.filter((r) => r.x1 - r.x0 >= 3);
}

test("a line is drawn across the plot, rising where the data rises", async () => {
  const img = await png([{ x: [0, 1, 2, 3], y: [0, 1, 2, 3], mode: "lines" }]);
  assert.deepEqual([img.width, img.height], [720, 420]);
  const p = find(img, BLUE);
  assert.ok(p.count > 300, `the line has ${p.count} pixels`);
  assert.ok(p.maxX - p.minX > 500 && p.maxY - p.minY > 250, `the line spans the plot (${p.minX}-${p.maxX} x ${p.minY}-${p.maxY})`);
  const left = p.ys.filter((_, i) => p.xs[i] < p.minX + 50),
    right = p.ys.filter((_, i) => p.xs[i] > p.maxX - 50);
  assert.ok(Math.min(...left) > Math.max(...right), "the left end is lower on the image than the right end");
  assert.ok(straightness(p) < 3);
});

test("log axes: a power law is a straight line on log-log axes, and not on linear ones", async () => {
  const x = [1, 10, 100, 1000, 10000],
    y = x.map((v) => 1 / v);
  const log = find(await png([{ x, y, mode: "lines" }], { xaxis: { type: "log" }, yaxis: { type: "log" } }), BLUE);
  assert.ok(log.count > 300);
  assert.ok(straightness(log) < 3, `log-log line is off straight by ${straightness(log)} px`);
  const ex = [0, 1, 2, 3, 4],
    ey = ex.map((v) => 10 ** v);
  const semilog = find(await png([{ x: ex, y: ey, mode: "lines" }], { yaxis: { type: "log" } }), BLUE);
  const linear = find(await png([{ x: ex, y: ey, mode: "lines" }]), BLUE);
  assert.ok(straightness(semilog) < 3, `an exponential on a log y axis is off straight by ${straightness(semilog)} px`);
  assert.ok(straightness(linear) > 30, `the same data on a linear y axis bends (${straightness(linear)} px)`);
});

test("category axes and grouped and stacked bars: one bar per category and trace, heights in proportion", async () => {
  const img = await png([
    { type: "bar", x: ["cat", "dog", "bird"], y: [1, 2, 3] },
    { type: "bar", x: ["cat", "dog", "bird"], y: [3, 2, 1] },
  ]);
  const blue = columnRuns(find(img, BLUE, { x0: 0, y0: 0, x1: 600, y1: 420 })),
    orange = columnRuns(find(img, ORANGE, { x0: 0, y0: 0, x1: 600, y1: 420 }));
  assert.equal(blue.length, 3, JSON.stringify(blue));
  assert.equal(orange.length, 3, JSON.stringify(orange));
  const h = blue.map((r) => r.bottom - r.top);
  assert.ok(Math.abs(h[1] / h[0] - 2) < 0.1 && Math.abs(h[2] / h[0] - 3) < 0.1, `heights ${h}`);
  blue.forEach((b, i) => assert.ok(b.x1 < orange[i].x0, "grouped: each blue bar is left of its orange neighbour"));
  const stacked = await png(
    [
      { type: "bar", x: ["a", "b"], y: [1, 1] },
      { type: "bar", x: ["a", "b"], y: [1, 3] },
    ],
    { barmode: "stack" },
  );
  const sb = columnRuns(find(stacked, BLUE, { x0: 0, y0: 0, x1: 600, y1: 420 })),
    so = columnRuns(find(stacked, ORANGE, { x0: 0, y0: 0, x1: 600, y1: 420 }));
  assert.equal(sb.length, 2);
  for (let i = 0; i < 2; i++) {
    assert.ok(Math.abs(so[i].x0 - sb[i].x0) <= 1, "stacked bars share their column");
    assert.ok(Math.abs(so[i].bottom + 1 - sb[i].top) <= 2, "the orange bar starts where the blue one ends");
  }
});

test("horizontal bars on a category y axis: one row per category, lengths in proportion", async () => {
  const img = await png([{ type: "bar", orientation: "h", y: ["person", "car", "dog"] as unknown as number[], x: [1, 2, 4] }]);
  const p = find(img, BLUE);
  const rows = new Map<number, number>();
  p.ys.forEach((y, i) => rows.set(y, Math.max(rows.get(y) ?? 0, p.xs[i])));
  const lengths = [...new Set([...rows.values()])].sort((a, b) => a - b).map((x) => x - p.minX);
  assert.equal(lengths.length, 3, `three bar lengths: ${lengths}`);
  assert.ok(Math.abs(lengths[1] / lengths[0] - 2) < 0.1 && Math.abs(lengths[2] / lengths[0] - 4) < 0.1, `lengths ${lengths}`);
  const rowOf = (len: number) => [...rows].filter(([, x]) => x - p.minX === len).map(([y]) => y);
  assert.ok(Math.min(...rowOf(lengths[0])) > Math.max(...rowOf(lengths[2])), "the first category is at the bottom, as plotly draws it");
});

test("two y axes: a trace on y2 uses its own scale", async () => {
  const data: PlotlyTrace[] = [
    { y: [0, 1, 0, 1], mode: "lines" },
    { y: [2000, 1000, 2000, 1000], mode: "lines", yaxis: "y2" },
  ];
  const img = await png(data, { yaxis2: { overlaying: "y", side: "right" } });
  const plot = { x0: 0, y0: 0, x1: 600, y1: 420 };
  const a = find(img, BLUE, plot),
    b = find(img, ORANGE, plot);
  assert.ok(a.maxY - a.minY > 250 && b.maxY - b.minY > 250, `both span the height: ${a.maxY - a.minY}, ${b.maxY - b.minY}`);
  // On one shared axis the first trace would be a flat line at the bottom.
  const shared = find(await png([data[0], { ...data[1], yaxis: undefined }]), BLUE, plot);
  assert.ok(shared.maxY - shared.minY < 10);
});

test("subplots from layout.grid and from axis domains: each trace stays in its own cell", async () => {
  const grid = await png([{ y: [1, 2, 1] }, { y: [1, 2, 1], xaxis: "x2", yaxis: "y2" }], {
    grid: { rows: 2, columns: 1, pattern: "independent" },
  });
  const top = find(grid, BLUE, { x0: 0, y0: 0, x1: 600, y1: 420 }),
    bottom = find(grid, ORANGE, { x0: 0, y0: 0, x1: 600, y1: 420 });
  assert.ok(top.count > 100 && bottom.count > 100);
  assert.ok(top.maxY < bottom.minY, `trace 1 (rows ${top.minY}-${top.maxY}) is above trace 2 (${bottom.minY}-${bottom.maxY})`);
  // The toolkit's training figure: losses over lr (overlaying), metrics in a subplot below.
  const domains = await png(
    [
      { y: [3, 2, 1], name: "loss" },
      { y: [1, 2], x: [1, 2], xaxis: "x2", yaxis: "y3", name: "mAP" },
    ],
    { yaxis: { domain: [0.42, 1] }, xaxis2: { anchor: "y3", matches: "x" }, yaxis3: { domain: [0, 0.3], anchor: "x2" }, showlegend: false },
  );
  const loss = find(domains, BLUE),
    map = find(domains, ORANGE);
  assert.ok(loss.maxY < map.minY, "the metric subplot is below the loss subplot");
  assert.ok(map.minX > loss.minX + 100, "matched x axes: the metric (x from 1) starts right of the loss (x from 0)");
});

test("histograms count into bins; heatmaps colour cells by value", async () => {
  const hist = columnRuns(
    find(await png([{ type: "histogram", x: [1, 1, 1, 2, 2, 3], xbins: { start: 0.5, end: 3.5, size: 1 } }], { bargap: 0.1 }), BLUE),
  );
  assert.equal(hist.length, 3, JSON.stringify(hist));
  const h = hist.map((r) => r.bottom - r.top);
  assert.ok(Math.abs(h[0] / h[2] - 3) < 0.15 && Math.abs(h[1] / h[2] - 2) < 0.15, `bin heights ${h}`);
  const heat = await png([
    {
      type: "heatmap",
      z: [
        [0, 1],
        [1, 0],
      ],
      colorscale: "Greys",
      showscale: false,
    },
  ]);
  const black = find(heat, [0, 0, 0], undefined, 10),
    white = find(heat, [255, 255, 255], { x0: 100, y0: 100, x1: 600, y1: 350 }, 3);
  assert.ok(black.count > 20_000, `black cells: ${black.count} px`);
  // z[0][0] = 0 is the bottom-left cell (row 0 is the lowest y), z[1][0] = 1 the top-left.
  const bl = find(heat, [0, 0, 0], { x0: 0, y0: 250, x1: 300, y1: 380 }, 10),
    tl = find(heat, [0, 0, 0], { x0: 0, y0: 40, x1: 300, y1: 180 }, 10);
  assert.ok(bl.count > 5000 && tl.count < 100, `bottom-left black ${bl.count}, top-left black ${tl.count}`);
  assert.ok(white.count > 5000);
});

test("the legend shows each trace's colour beside the plot; a single trace gets none", async () => {
  const two = await png([
    { y: [1, 2], name: "a" },
    { y: [2, 1], name: "b" },
  ]);
  const legendBox = { x0: 600, y0: 0, x1: 720, y1: 420 };
  assert.ok(find(two, BLUE, legendBox).count > 20 && find(two, ORANGE, legendBox).count > 20);
  const one = await png([{ y: [1, 2], name: "a" }]);
  assert.ok(find(one, BLUE).maxX > 650, "without a legend the plot takes the width");
});

test("300,000 points: lines keep every spike (min/max per pixel column), markers, bars and histograms draw", async () => {
  const n = 300_000;
  const y = new Float64Array(n);
  y[150_000] = 1; // one spike in the middle: decimation by striding would lose it
  const line = find(await png([{ x: Float64Array.from({ length: n }, (_, i) => i), y, mode: "lines" }]), BLUE);
  const spike = line.xs.map((x, i) => [x, line.ys[i]]).filter(([, yy]) => yy < line.minY + 5);
  assert.ok(spike.length > 0 && Math.abs(spike[0][0] - (line.minX + line.maxX) / 2) < 8, "the spike is drawn at the middle");
  assert.ok(line.maxY - line.minY > 250, "and reaches the top of the plot");

  let s = 1;
  const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const markers = find(
    await png([{ x: Array.from({ length: n }, rnd), y: Array.from({ length: n }, rnd), mode: "markers", marker: { size: 2 } }]),
    BLUE,
  );
  assert.ok(markers.count > 100_000, `a cloud of ${n} markers covers the plot (${markers.count} px)`);
  const bars = find(await png([{ type: "bar", y: Float64Array.from({ length: n }, (_, i) => 1 + (i % 7)) }]), BLUE);
  assert.ok(bars.count > 50_000);
  const hist = columnRuns(find(await png([{ type: "histogram", x: Array.from({ length: n }, () => rnd() + rnd()) }]), BLUE));
  const tallest = hist.reduce((a, b) => (b.bottom - b.top > a.bottom - a.top ? b : a));
  assert.ok(
    hist.length > 10 && Math.abs((tallest.x0 + tallest.x1) / 2 - (hist[0].x0 + hist[hist.length - 1].x1) / 2) < 60,
    "the sum of two uniforms peaks in the middle",
  );
});

test("odd input still gives a rich output with an image: gaps, strings, unknown trace types, empty figures", async () => {
  const cases: [PlotlyTrace[], Record<string, unknown>][] = [
    [[{ y: [1, NaN, null as unknown as number, 3, Infinity, 2] }], {}],
    [[{ type: "pie", values: [1, 2] } as PlotlyTrace, { x: ["a", "b"], y: ["1", "2"] as unknown as number[] }], { title: "<b>&</b>" }],
    [[{ type: "heatmap", z: [[1, null], [], [2, 3, 4]] } as PlotlyTrace], { xaxis: { type: "log" } }],
    [[], {}],
    [[{ x: [1, 2], y: [0, -1] }], { yaxis: { type: "log", range: ["a", 2] } }],
    [
      [{ y: [1, 2], mode: "markers", marker: { color: ['"/><script>', "red"] }, line: { color: 'x" onload="y' } }],
      { colorway: ["<b>"], plot_bgcolor: '"&' },
    ],
    [[{ y: [1, 2], name: "control \u0001 chars \u0000 and <tags>" }], { title: { text: "\u001b[31m" }, xaxis: { title: "x\ufffe" } }],
  ];
  for (const [data, layout] of cases) {
    const b = toMimeBundle(figure(data, layout)).data as Record<string, string>;
    assert.ok(b["image/png"] && b["text/html"].includes(b["image/png"]), JSON.stringify(data));
    const meta = await sharp(Buffer.from(b["image/png"], "base64")).metadata();
    assert.equal(meta.format, "png");
  }
  // A trace type the static image cannot draw is named there, not silently dropped.
  const pie = await png([{ type: "pie", values: [1, 2] } as PlotlyTrace, { y: [1, 2], name: "line" }]);
  assert.ok(find(pie, BLUE).count === 0 && find(pie, ORANGE).count > 50, "the pie takes a legend slot, the line its colour");
});

test("a trace's own colour, dash and layout colorway are used", async () => {
  const img = await png([{ y: [1, 2, 3], line: { color: "#2ca02c" } }, { y: [3, 2, 1] }], { colorway: ["#000000", "#ff7f0e"] });
  assert.ok(find(img, GREEN).count > 200, "line.color");
  assert.ok(find(img, ORANGE).count > 200, "the second colour of the colorway");
});
