// Drives a notebook in the JupyterLab 4 page the way a person does (the Run menu, the
// notebook toolbar, keys typed into a cell) and reads back what the page shows: each cell's
// outputs as rendered DOM, with their boxes on the screen, and pixels from screenshots.
import type { Browser, Locator, Page } from "playwright-core";
import sharp from "sharp";
import type { LabServer } from "./lab-server";

export interface PlotView {
  /** Traces plotly.js was given (gd.data). */
  traces: number;
  /** Trace groups plotly.js drew into the SVG. */
  drawnTraces: number;
  /** Points of each trace (x values). */
  points: number[];
  title: string;
  /** The chart's SVG box on the page, in CSS pixels. */
  width: number;
  height: number;
  /** The colour plotly gave each trace that has points (#rrggbb), when it is one colour. */
  colours: string[];
  /** Drawn by jupyterlab-plotly's renderer (application/vnd.plotly.v1+json), not by a script in HTML. */
  byPlotlyRenderer: boolean;
}

export interface OutputView {
  /** The message type the output came as: execute_result, display_data, stream or error. */
  outputType: string;
  /** The MIME type Lab rendered this output with. */
  mime: string;
  text: string;
  plots: PlotView[];
  tables: number;
  images: { width: number; height: number }[];
}

export interface CellView {
  index: number;
  cellType: "code" | "markdown" | "raw";
  /** The prompt's number, or null when it did not run. */
  executionCount: number | null;
  outputs: OutputView[];
}

export const isError = (o: OutputView) => o.outputType === "error";

export class LabPage {
  readonly pageErrors: string[] = [];

  private constructor(
    readonly page: Page,
    readonly name: string,
  ) {
    page.on("pageerror", (e) => this.pageErrors.push(String(e)));
  }

  /** Opens `name` (relative to the server's root) in Lab and waits until its kernel is idle. */
  static async open(browser: Browser, server: LabServer, name: string, timeoutMs = 90_000): Promise<LabPage> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const lab = new LabPage(page, name);
    await page.goto(server.labUrl(name));
    try {
      await page.waitForSelector("body[data-tfjs-lab-ready]", { state: "attached", timeout: timeoutMs });
      await lab.waitForKernel("idle", timeoutMs);
      // The file browser is closed so the notebook has the page's width in screenshots
      // (a layout choice, like a person's; not a thing under test).
      await page.evaluate(() => {
        const app = (window as any).jupyterapp;
        if (!app.shell.leftCollapsed) return app.commands.execute("application:toggle-left-area");
      });
    } catch (e) {
      throw new Error(
        `${name}: Lab did not open the notebook with an idle kernel within ${timeoutMs} ms ` +
          `(page errors: ${lab.pageErrors.join("; ") || "none"}): ${(e as Error).message}`,
      );
    }
    return lab;
  }

  /** The kernel status the notebook's toolbar shows (Lab's execution indicator). */
  kernelStatus(): Promise<string> {
    return this.page.evaluate(() => {
      const panel = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden)");
      return panel?.querySelector(".jp-Notebook-ExecutionIndicator")?.getAttribute("data-status") ?? "none";
    });
  }

  async waitForKernel(status: "idle" | "busy", timeoutMs: number): Promise<void> {
    await this.page.waitForFunction(
      (want) => {
        const panel = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden)");
        return panel?.querySelector(".jp-Notebook-ExecutionIndicator")?.getAttribute("data-status") === want;
      },
      status,
      { timeout: timeoutMs, polling: 100 },
    );
  }

  /** Clicks `menu` in the menu bar, then the item labelled `item`. */
  async menu(menu: string, item: string): Promise<void> {
    await this.page.locator(".lm-MenuBar-itemLabel", { hasText: new RegExp(`^${menu}$`) }).click();
    await this.page
      .locator(".lm-Menu-content .lm-Menu-itemLabel", { hasText: new RegExp(`^${item}$`) })
      .first()
      .click();
  }

  /** The notebook toolbar's button for `command` (e.g. "notebook:interrupt-kernel"). */
  toolbarButton(command: string): Locator {
    return this.page.locator(`.jp-NotebookPanel:not(.lm-mod-hidden) .jp-NotebookPanel-toolbar [data-command="${command}"]`);
  }

  /** Edit > Clear Outputs of All Cells, then Run > Run All Cells; waits until no cell is queued or running. */
  async runAll(timeoutMs: number): Promise<void> {
    // Stale outputs saved in the file must not pass for fresh ones.
    await this.menu("Edit", "Clear Outputs of All Cells");
    await this.menu("Run", "Run All Cells");
    await this.waitForAllRun(timeoutMs);
  }

  async waitForAllRun(timeoutMs: number): Promise<void> {
    await this.page.waitForFunction(
      () => {
        const panel = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden)");
        if (!panel) return false;
        const prompts = Array.from(panel.querySelectorAll(".jp-CodeCell .jp-InputArea-prompt")).map((p) => p.textContent ?? "");
        const idle = panel.querySelector(".jp-Notebook-ExecutionIndicator")?.getAttribute("data-status") === "idle";
        return idle && prompts.every((p) => !p.includes("*"));
      },
      undefined,
      { timeout: timeoutMs, polling: 250 },
    );
    await this.drawStaticFigures();
    // plotly.js draws after the output is in the page: every chart gets its SVG.
    await this.page
      .waitForFunction(
        () => Array.from(document.querySelectorAll(".js-plotly-plot")).every((d) => d.querySelector(".main-svg")),
        undefined,
        { timeout: 30_000, polling: 250 },
      )
      .catch(() => {
        /* reported by the checks on each PlotView */
      });
  }

  /**
   * jupyterlab-plotly shows a bundle's image/png first and draws the interactive chart when the
   * pointer enters that image (its design, for saved notebooks): the event a person's pointer
   * sends is sent to each image, one at a time (Playwright's hover refuses images that Lab's
   * windowed notebook is still laying out).
   */
  async drawStaticFigures(): Promise<void> {
    const images = this.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedPlotly img.plot-img:visible");
    for (let left = await images.count(), tries = 0; left > 0 && tries < 4 * left + 20; tries++) {
      const image = images.first();
      // The image may become its chart between the count and the event (Lab's windowing or an
      // earlier event draws it): with nothing left to send to, the loop counts again.
      await image.scrollIntoViewIfNeeded({ timeout: 5_000 }).catch(() => {
        /* the event draws it all the same */
      });
      await image.dispatchEvent("mouseenter", undefined, { timeout: 5_000 }).catch(() => {
        /* drawn already: counted again below */
      });
      await image.waitFor({ state: "hidden", timeout: 15_000 }).catch(() => {
        /* reported by the checks on each PlotView */
      });
      left = await images.count();
    }
  }

  /** Every cell of the open notebook with its rendered outputs. */
  cells(): Promise<CellView[]> {
    return this.page.evaluate(() => {
      const panel = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden)")!;
      // The output's message type is not on the screen (Lab shows an error like stderr): read it from the model.
      const models = (window as any).jupyterapp.shell.currentWidget?.content?.widgets ?? [];
      return Array.from(panel.querySelectorAll(".jp-Notebook .jp-Cell")).map((cell, index) => {
        const cellType = cell.classList.contains("jp-CodeCell") ? "code" : cell.classList.contains("jp-MarkdownCell") ? "markdown" : "raw";
        const prompt = /\[(\d+)\]/.exec(cell.querySelector(".jp-InputArea-prompt")?.textContent ?? "");
        const outputModels = models[index]?.model?.outputs;
        const outputs = Array.from(cell.querySelectorAll(".jp-OutputArea-child")).map((child, o) => {
          const out = child.querySelector(".jp-OutputArea-output") as HTMLElement | null;
          const plots = Array.from(child.querySelectorAll(".js-plotly-plot")).map((gd: any) => {
            const svg = gd.querySelector(".main-svg") as SVGElement | null;
            const box = svg?.getBoundingClientRect();
            return {
              traces: Array.isArray(gd.data) ? gd.data.length : 0,
              drawnTraces: gd.querySelectorAll(".main-svg g.trace, .main-svg g.hm").length,
              points: Array.isArray(gd.data) ? gd.data.map((t: any) => (t.x ? t.x.length : 0)) : [],
              title: gd.querySelector(".gtitle")?.textContent ?? "",
              width: box?.width ?? 0,
              height: box?.height ?? 0,
              // A trace drawn over by a later one with the same points (YOLOv5's lr1 and lr2 are
              // equal) cannot show its colour: only the traces a person can see are asked for.
              colours: (Array.isArray(gd._fullData) ? gd._fullData : [])
                .filter((t: any, i: number, all: any[]) => {
                  if ((t.x?.length ?? 0) === 0 || t.visible === false) return false;
                  const same = (u: any) =>
                    u.xaxis === t.xaxis &&
                    u.yaxis === t.yaxis &&
                    u.visible !== false &&
                    JSON.stringify(Array.from(u.x ?? [])) === JSON.stringify(Array.from(t.x)) &&
                    JSON.stringify(Array.from(u.y ?? [])) === JSON.stringify(Array.from(t.y ?? []));
                  return !all.slice(i + 1).some(same);
                })
                .map((t: any) => ((t.mode ?? "").includes("lines") || t.type === "scatter" ? t.line?.color : t.marker?.color))
                .filter((c: unknown) => typeof c === "string" && /^#[0-9a-f]{6}$/i.test(c)),
              byPlotlyRenderer: gd.closest(".jp-RenderedPlotly") !== null,
            };
          });
          return {
            outputType: outputModels?.get(o)?.type ?? "",
            // jupyterlab-plotly's renderer does not mark its node with the MIME type.
            mime:
              out?.getAttribute("data-mime-type") ?? (child.querySelector(".jp-RenderedPlotly") ? "application/vnd.plotly.v1+json" : ""),
            text: out?.innerText ?? "",
            plots,
            tables: child.querySelectorAll("table").length,
            // Images on the screen: jupyterlab-plotly keeps its hidden static image once the chart is drawn.
            images: Array.from(child.querySelectorAll("img"))
              .filter((img) => getComputedStyle(img).display !== "none")
              .map((img) => ({ width: img.naturalWidth, height: img.naturalHeight })),
          };
        });
        return { index, cellType, executionCount: prompt ? Number(prompt[1]) : null, outputs } as const;
      });
    });
  }

  /** The cell at `index` in the open notebook. */
  cell(index: number): Locator {
    return this.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(index);
  }

  /**
   * What a chart looks like on the screen: it is scrolled into the viewport, screenshotted,
   * and the screenshot's pixels counted. `ink` is the share of pixels that differ from the
   * background (white); a chart plotly drew has axes, lines and labels, a blank box has none.
   */
  async chartOnScreen(
    cellIndex: number,
    plotIndex: number,
    traceColours: string[] = [],
  ): Promise<{ inViewport: boolean; inkShare: number; colours: number; traceColourPixels: number[] }> {
    const plot = this.cell(cellIndex).locator(".js-plotly-plot .main-svg").nth(plotIndex);
    await plot.scrollIntoViewIfNeeded();
    const inViewport = await plot.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return (
        r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight + 1 && r.right <= window.innerWidth + 1
      );
    });
    const png = await plot.screenshot();
    return { inViewport, ...(await inkOf(png, traceColours)) };
  }

  /** The cell's prompt as shown: "[3]:", "[*]:" while queued or running, "[ ]:" before it ran. */
  prompt(index: number): Promise<string> {
    return this.cell(index).locator(".jp-InputArea-prompt").first().innerText();
  }

  /** Clicks into the cell's editor and presses Shift+Enter; `wait` waits until it has run. */
  async runCell(index: number, wait: { timeoutMs: number } | false = { timeoutMs: 60_000 }): Promise<void> {
    // A Shift+Enter that reached no editor (focus taken back while Lab was still settling, seen
    // once on a loaded machine) leaves the prompt at "[ ]": a person presses it again. A run
    // that started shows "[*]" at once, so it is never started twice.
    for (let attempt = 0; ; attempt++) {
      await this.focusEditor(index);
      await this.watchPrompt(index);
      await this.page.keyboard.press("Shift+Enter");
      if (attempt === 2 || (await this.runStarted(index, 5_000))) break;
    }
    if (wait) await this.waitForCellRun(index, wait.timeoutMs);
  }

  /** Whether the cell's prompt showed "[*]" (or already a new count) within timeoutMs. */
  private runStarted(index: number, timeoutMs: number): Promise<boolean> {
    return this.promptReaches(index, (el) => el.__tfjsLabSawRun || (el.textContent ?? "").includes("*"), timeoutMs);
  }

  /** Whether the cell's prompt element passes `test` within timeoutMs (watchPrompt's flag included). */
  private async promptReaches(index: number, test: (el: any) => boolean, timeoutMs: number): Promise<boolean> {
    const handle = await this.cell(index).locator(".jp-InputArea-prompt").first().elementHandle();
    try {
      await this.page.waitForFunction(test, handle, { timeout: timeoutMs, polling: 100 });
      return true;
    } catch {
      return false;
    } finally {
      await handle?.dispose();
    }
  }

  /** Clicks into the cell's editor until Lab shows the cell active and in edit mode. */
  async focusEditor(index: number): Promise<void> {
    const cell = this.cell(index);
    for (let attempt = 0; attempt < 3; attempt++) {
      await cell.locator(".cm-content").click();
      const editing = await cell.evaluate(
        (el) =>
          el.classList.contains("jp-mod-active") &&
          el.closest(".jp-Notebook")?.classList.contains("jp-mod-editMode") === true &&
          el.querySelector(".cm-editor.cm-focused") !== null,
      );
      if (editing) return;
      await this.page.waitForTimeout(300);
    }
    throw new Error(`${this.name}: cell ${index}'s editor did not take the focus`);
  }

  /** Starts watching the cell's prompt for "[*]" (queued or running), so a run that
   *  ends with the same count as before (after a restart) is still seen. */
  async watchPrompt(index: number): Promise<void> {
    await this.cell(index)
      .locator(".jp-InputArea-prompt")
      .first()
      .evaluate((el: any) => {
        el.__tfjsLabSawRun = false;
        el.__tfjsLabObserver?.disconnect();
        el.__tfjsLabObserver = new MutationObserver(() => {
          if ((el.textContent ?? "").includes("*")) el.__tfjsLabSawRun = true;
        });
        el.__tfjsLabObserver.observe(el, { childList: true, characterData: true, subtree: true });
      });
  }

  /** After watchPrompt: waits until the prompt has shown "[*]" and then an execution count. */
  async waitForCellRun(index: number, timeoutMs: number): Promise<void> {
    if (!(await this.promptReaches(index, (el) => el.__tfjsLabSawRun && /\[\d+\]/.test(el.textContent ?? ""), timeoutMs))) {
      const prompt = await this.cell(index).locator(".jp-InputArea-prompt").first().innerText();
      throw new Error(`${this.name}: cell ${index} did not run within ${timeoutMs} ms (its prompt shows ${prompt})`);
    }
  }

  /** Puts the cursor at the end of the cell's editor (clicking into it, as a person does). */
  async editCell(index: number, source: string): Promise<void> {
    await this.focusEditor(index);
    await this.page.keyboard.press("Control+A");
    await this.page.keyboard.press("Backspace");
    await this.page.keyboard.type(source);
  }

  async screenshot(file: string, opts: { fullPage?: boolean } = {}): Promise<void> {
    await this.page.screenshot({ path: file, fullPage: opts.fullPage });
  }

  /** The whole notebook: Lab scrolls inside the notebook panel, so let the page grow to its content. */
  async screenshotFull(file: string): Promise<void> {
    const height = await this.page.evaluate(() => {
      const scroller = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer") as HTMLElement | null;
      if (!scroller) return 900;
      scroller.scrollTop = 0;
      // What lies above the notebook's scroll area (menu bar, tabs, toolbar) plus all of it.
      return scroller.getBoundingClientRect().top + scroller.scrollHeight + 40;
    });
    // Lab lays itself out to the viewport: a viewport as tall as the notebook shows it all.
    await this.page.setViewportSize({ width: 1280, height: Math.min(Math.max(900, Math.ceil(height)), 16_000) });
    await this.page.waitForTimeout(500);
    await this.page.screenshot({ path: file });
    await this.page.setViewportSize({ width: 1280, height: 900 });
  }

  close(): Promise<void> {
    return this.page.close();
  }
}

/**
 * Share of pixels unlike the white background, how many distinct colours (coarsely) there
 * are, and for each of `traceColours` (#rrggbb) how many pixels are close to it (a trace
 * plotly drew shows its colour; antialiasing blends edges, so "close" is a distance).
 */
export async function inkOf(
  png: Buffer,
  traceColours: string[] = [],
): Promise<{ inkShare: number; colours: number; traceColourPixels: number[] }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const targets = traceColours.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
  const near = targets.map(() => 0);
  let ink = 0;
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += info.channels) {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
    if (r < 235 || g < 235 || b < 235) ink++;
    colours.add(((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4));
    targets.forEach(([tr, tg, tb], k) => {
      if (Math.abs(r - tr) + Math.abs(g - tg) + Math.abs(b - tb) < 60) near[k]++;
    });
  }
  return { inkShare: ink / (info.width * info.height), colours: colours.size, traceColourPixels: near };
}
