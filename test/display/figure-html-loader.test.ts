// The figure HTML's loader in Chromium, on pages shaped like JupyterLab's and Notebook 7's
// (the base URL in #jupyter-config-data, the server under a prefix as on JupyterHub): it
// loads plotly.js once from {baseUrl}kernelspecs/NAME/ and swaps every static image for a
// chart; when that file is missing, each figure keeps its image and says why. A plain node
// HTTP server stands in for Jupyter's kernelspec handler (test/display/notebook-figures.test.ts
// runs the real one, classic Notebook's); the real JupyterLab is test/lab/'s to drive.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { figure, toMimeBundle } from "../../src/display";
import { plotlyLibraryPath } from "../../src/display/reprs/plotly-library";
import { launchChromium } from "./figure-viewers";

let browser: Browser;
let server: http.Server;
let base: string;
const requests: string[] = [];

before(async () => {
  browser = await launchChromium();
  const library = fs.readFileSync(plotlyLibraryPath());
  const figures = [figure([{ y: [1, 3, 2], name: "a" }]), figure([{ type: "bar", x: ["p", "q"], y: [2, 1] }])]
    .map((f) => (toMimeBundle(f).data as Record<string, string>)["text/html"])
    .join("\n");
  const page = (baseUrl: string) =>
    `<!DOCTYPE html><html><head><script id="jupyter-config-data" type="application/json">${JSON.stringify({ baseUrl })}</script></head><body>${figures}</body></html>`;
  server = http.createServer((req, res) => {
    requests.push(req.url ?? "");
    if (req.url === "/user/ada/lab") {
      res.setHeader("content-type", "text/html");
      res.end(page("/user/ada/"));
      return;
    }
    if (req.url === "/broken/lab") {
      res.setHeader("content-type", "text/html");
      res.end(page("/broken/"));
      return;
    }
    if (req.url === "/user/ada/kernelspecs/tfjs-lab/plotly.min.js") {
      res.setHeader("content-type", "text/javascript");
      res.end(library);
      return;
    }
    res.statusCode = 404;
    res.end("not found");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await browser?.close();
  await new Promise((r) => server.close(r));
});

test("on a JupyterLab-shaped page the figures load plotly.js once from the kernelspec folder and become charts", async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${base}/user/ada/lab`);
  const drawn = () =>
    Array.from(document.querySelectorAll(".tfjs-lab-plotly")).filter((d) => d.querySelector(".js-plotly-plot .main-svg")).length === 2;
  await page.waitForFunction(drawn, undefined, { timeout: 30_000 }).catch(() => {
    /* the assertions below say what is missing */
  });
  const reasons = await page.locator(".tfjs-lab-plotly").evaluateAll((els) => els.map((e) => e.getAttribute("data-static-reason")));
  assert.deepEqual(
    reasons,
    [null, null],
    `no figure fell back (page errors: ${errors.join("; ") || "none"}; requests: ${requests.join(", ")})`,
  );
  assert.ok(await page.evaluate(drawn), "both figures are plotly charts");
  assert.equal(await page.locator("img.tfjs-lab-static").count(), 0, "the static images were replaced");
  assert.equal(requests.filter((r) => r.endsWith("plotly.min.js")).length, 1, "one load for both figures");
  await page.close();
});

test("when plotly.js cannot be loaded, every figure keeps its static image and says why", async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/broken/lab`);
  await page.waitForFunction(
    () => Array.from(document.querySelectorAll(".tfjs-lab-plotly")).every((d) => d.hasAttribute("data-static-reason")),
    undefined,
    { timeout: 30_000 },
  );
  const reasons = await page.locator(".tfjs-lab-plotly").evaluateAll((els) => els.map((e) => e.getAttribute("data-static-reason")));
  assert.equal(reasons.length, 2);
  for (const r of reasons)
    assert.match(
      String(r),
      /could not load \S+\/broken\/kernelspecs\/tfjs-lab\/plotly\.min\.js \(is the kernel installed with tfjs-lab install\?\)/,
    );
  const images = await page.locator("img.tfjs-lab-static").evaluateAll((els) => els.map((e) => (e as HTMLImageElement).naturalWidth));
  assert.deepEqual(images, [720, 720]);
  await page.close();
});
