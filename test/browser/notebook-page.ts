// Drives a notebook in classic Jupyter Notebook's page the way a person does (Cell > Run All)
// and reads back what the page shows: each cell's outputs as rendered DOM, not as JSON.
import type { Browser, Page } from "playwright-core";
import type { JupyterServer } from "./jupyter-server";

export interface PlotView {
  /** Traces plotly.js was given (gd.data). */
  traces: number;
  /** Trace groups plotly.js drew into the SVG. */
  drawnTraces: number;
  /** The chart's SVG (`.main-svg`) is in the page. */
  svg: boolean;
  /** Points of each trace (x values). */
  points: number[];
  title: string;
}

export interface OutputView {
  /** The output subarea's classes, e.g. "output_subarea output_text output_error". */
  classes: string;
  text: string;
  plots: PlotView[];
  /** Chart containers our plotly HTML made; each should hold a drawn plot. */
  chartDivs: number;
  tables: number;
  images: { mime: string; base64Length: number; width: number; height: number }[];
}

export interface CellView {
  index: number;
  cellType: "code" | "markdown" | "raw";
  tags: string[];
  source: string;
  /** The prompt's number, or null when it did not run. */
  executionCount: number | null;
  outputs: OutputView[];
}

export const isError = (o: OutputView) => /\boutput_error\b/.test(o.classes);

export class NotebookPage {
  private constructor(
    readonly page: Page,
    readonly name: string,
  ) {}

  /** Opens `name` (relative to the server's notebook dir) and waits for its kernel to be idle. */
  static async open(browser: Browser, server: JupyterServer, name: string, timeoutMs = 90_000): Promise<NotebookPage> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleErrors: string[] = [];
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    await page.goto(`${server.url}/notebooks/${encodeURIComponent(name)}?token=${server.token}`);
    try {
      await page.waitForFunction(
        () => {
          const J = (window as any).Jupyter;
          return !!J?.notebook?.kernel?.is_connected?.() && document.querySelector("#kernel_indicator_icon.kernel_idle_icon") !== null;
        },
        undefined,
        { timeout: timeoutMs, polling: 200 },
      );
    } catch (e) {
      throw new Error(
        `${name}: the kernel did not connect within ${timeoutMs} ms (page errors: ${consoleErrors.join("; ") || "none"}): ${(e as Error).message}`,
      );
    }
    return new NotebookPage(page, name);
  }

  /** Cell > Run All from the menu bar, then waits until no cell is queued or running and the kernel is idle. */
  async runAll(timeoutMs: number): Promise<void> {
    // Stale outputs saved in the file must not pass for fresh ones.
    await this.page.evaluate(() => (window as any).Jupyter.notebook.clear_all_output());
    await this.page.click("#celllink");
    await this.page.click("#run_all_cells");
    await this.page.waitForFunction(
      () => {
        const prompts = Array.from(document.querySelectorAll(".code_cell .input_prompt")).map((p) => p.textContent ?? "");
        const idle = document.querySelector("#kernel_indicator_icon.kernel_idle_icon") !== null;
        return idle && prompts.every((p) => !p.includes("*"));
      },
      undefined,
      { timeout: timeoutMs, polling: 250 },
    );
    // plotly.js draws after the output is inserted; give every chart div its SVG.
    await this.page
      .waitForFunction(
        () => Array.from(document.querySelectorAll(".tfjs-lab-plotly")).every((d) => d.querySelector(".main-svg")),
        undefined,
        { timeout: 30_000, polling: 250 },
      )
      .catch(() => {
        /* reported by the checks on PlotView.svg */
      });
  }

  /** Every cell (markdown included, so indexes match the file) with its rendered outputs. */
  cells(): Promise<CellView[]> {
    return this.page.evaluate(() => {
      const J = (window as any).Jupyter;
      return J.notebook.get_cells().map((cell: any, index: number) => {
        const el: HTMLElement = cell.element[0];
        const outputs = Array.from(el.querySelectorAll(".output_area")).map((area) => {
          const sub = area.querySelector(".output_subarea");
          const plots = Array.from(area.querySelectorAll(".js-plotly-plot")).map((gd: any) => ({
            traces: Array.isArray(gd.data) ? gd.data.length : 0,
            drawnTraces: gd.querySelectorAll(".main-svg g.trace, .main-svg g.hm").length,
            svg: gd.querySelector(".main-svg") !== null,
            points: Array.isArray(gd.data) ? gd.data.map((t: any) => (t.x ? t.x.length : 0)) : [],
            title: gd.querySelector(".gtitle")?.textContent ?? "",
          }));
          const images = Array.from(area.querySelectorAll("img")).map((img) => {
            const m = /^data:([^;]+);base64,(.*)$/.exec(img.getAttribute("src") ?? "");
            return { mime: m?.[1] ?? "", base64Length: m?.[2].length ?? 0, width: img.naturalWidth, height: img.naturalHeight };
          });
          return {
            classes: sub?.className ?? "",
            text: (sub as HTMLElement | null)?.innerText ?? "",
            plots,
            chartDivs: area.querySelectorAll(".tfjs-lab-plotly").length,
            tables: area.querySelectorAll("table").length,
            images,
          };
        });
        const prompt = cell.cell_type === "code" ? cell.input_prompt_number : null;
        return {
          index,
          cellType: cell.cell_type,
          tags: cell.metadata?.tags ?? [],
          source: cell.get_text(),
          executionCount: typeof prompt === "number" ? prompt : null,
          outputs,
        };
      });
    });
  }

  /** Long outputs are shown in a scroll box; a person clicks them open to read them whole. */
  async unscrollOutputs(): Promise<void> {
    await this.page.evaluate(() => {
      for (const cell of (window as any).Jupyter.notebook.get_cells()) cell.output_area?.unscroll_area?.();
    });
  }

  /** A screenshot of one cell's outputs. */
  async screenshotOutputs(cellIndex: number, file: string): Promise<void> {
    const output = this.page.locator(".cell").nth(cellIndex).locator(".output_wrapper");
    await output.scrollIntoViewIfNeeded();
    await output.screenshot({ path: file });
  }

  /** A screenshot of one cell, its input included. */
  async screenshotCell(cellIndex: number, file: string): Promise<void> {
    const cell = this.page.locator(".cell").nth(cellIndex);
    await cell.scrollIntoViewIfNeeded();
    await cell.screenshot({ path: file });
  }

  /** The whole notebook: the page scrolls inside #site, so let it grow to its content first. */
  async screenshotFull(file: string): Promise<void> {
    await this.page.evaluate(() => {
      const site = document.getElementById("site");
      if (site) {
        site.style.height = "auto";
        site.style.overflow = "visible";
      }
      document.body.style.overflow = "visible";
      document.body.style.height = "auto";
      document.documentElement.style.height = "auto";
    });
    await this.page.screenshot({ path: file, fullPage: true });
  }

  close(): Promise<void> {
    return this.page.close();
  }
}
