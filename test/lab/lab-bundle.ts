// Builds the JupyterLab 4 page the Lab tests drive, from the npm packages in devDependencies
// (JupyterLab's application and extensions, and jupyterlab-plotly's renderer as users get it
// with plotly), with webpack. The result goes to node_modules/.cache/tfjs-lab-jupyterlab/
// and is reused while its inputs (these packages' versions, test/lab/app/, this file) are
// unchanged; `npm ci` empties node_modules, so a clean clone always builds it fresh.
//
// The output is what jupyterlab_server's LabServerApp serves: bundle.js and its chunks as
// static files, schemas/<package>/<plugin>.json for the settings API, themes/<package>/ for
// the theme manager, app-settings/overrides.json for the defaults the tests change.
//
//   node dist/test/lab/lab-bundle.js [--force]   builds it and prints how long it took
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { KERNEL_ROOT } from "../../src/engine/compiler";

/** Lab plugins (JupyterLab's own, default export of each package): what a person uses on a notebook. */
const EXTENSIONS = [
  "@jupyterlab/application-extension",
  "@jupyterlab/apputils-extension",
  "@jupyterlab/codemirror-extension",
  "@jupyterlab/completer-extension",
  "@jupyterlab/docmanager-extension",
  "@jupyterlab/filebrowser-extension",
  "@jupyterlab/launcher-extension",
  "@jupyterlab/mainmenu-extension",
  "@jupyterlab/markedparser-extension",
  "@jupyterlab/notebook-extension",
  "@jupyterlab/rendermime-extension",
  "@jupyterlab/shortcuts-extension",
  "@jupyterlab/statusbar-extension",
  "@jupyterlab/theme-light-extension",
  "@jupyterlab/tooltip-extension",
  "@jupyterlab/translation-extension",
  "@jupyterlab/ui-components-extension",
];
/** Mime renderers: module path -> the package whose CSS it needs. */
const MIME_EXTENSIONS: Record<string, string> = {
  // plotly's renderer for application/vnd.plotly.v1+json (its FigureWidget part needs ipywidgets: left out).
  "jupyterlab-plotly/lib/plotly-renderer": "jupyterlab-plotly",
};
/** Plugins that need parts left out above (a language server, the console, the file
 *  editor, the table of contents, search, metadata forms). */
const LEFT_OUT_PLUGINS = [
  ":language-server",
  "notebook-extension:search",
  "notebook-extension:toc",
  "notebook-extension:update-raw-mimetype",
  "tooltip-extension:consoles",
  "tooltip-extension:files",
];
/** Settings as the tests want them (LabServerApp's overrides.json): no news or update checks
 *  (nothing outside can be reached), and every cell kept in the page (Lab 4 otherwise leaves
 *  cells scrolled out of view out of the DOM) so each output can be read and scrolled to. */
const SETTINGS_OVERRIDES = {
  "@jupyterlab/apputils-extension:notification": { fetchNews: "false", checkForUpdates: false },
  "@jupyterlab/notebook-extension:tracker": { windowingMode: "none" },
};

const APP_DIR = path.join(KERNEL_ROOT, "test", "lab", "app");
export const LAB_BUNDLE_DIR = path.join(KERNEL_ROOT, "node_modules", ".cache", "tfjs-lab-jupyterlab");
const HASH_FILE = ".inputs-sha256";

const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`, { paths: [KERNEL_ROOT] }));
const packageJson = (name: string) => JSON.parse(fs.readFileSync(path.join(packageDir(name), "package.json"), "utf8"));

/** Everything the bundle is made from: the packages' resolved versions (their dependencies
 *  come with them through the lockfile), the app's sources and this builder. */
function inputsHash(): string {
  const hash = createHash("sha256");
  hash.update(fs.readFileSync(path.join(KERNEL_ROOT, "package-lock.json")));
  for (const file of fs.readdirSync(APP_DIR).sort()) hash.update(file).update(fs.readFileSync(path.join(APP_DIR, file)));
  hash.update(fs.readFileSync(__filename));
  return hash.digest("hex");
}

export interface LabBundle {
  dir: string;
  /** False when a cached build with the same inputs was reused. */
  built: boolean;
  ms: number;
}

/** Builds the Lab page unless a build of the same inputs is there already. */
export async function ensureLabBundle(opts: { force?: boolean; log?: (line: string) => void } = {}): Promise<LabBundle> {
  const started = Date.now();
  const log = opts.log ?? (() => {});
  const hash = inputsHash();
  const hashFile = path.join(LAB_BUNDLE_DIR, HASH_FILE);
  if (
    !opts.force &&
    fs.existsSync(hashFile) &&
    fs.readFileSync(hashFile, "utf8") === hash &&
    fs.existsSync(path.join(LAB_BUNDLE_DIR, "static", "bundle.js"))
  ) {
    return { dir: LAB_BUNDLE_DIR, built: false, ms: Date.now() - started };
  }
  log(`building the JupyterLab page into ${LAB_BUNDLE_DIR} (webpack; about a minute on 2 cores)`);
  fs.rmSync(LAB_BUNDLE_DIR, { recursive: true, force: true });
  const generated = path.join(LAB_BUNDLE_DIR, "generated");
  fs.mkdirSync(generated, { recursive: true });
  writeEntryModules(generated);
  copySchemasAndThemes(LAB_BUNDLE_DIR);
  fs.mkdirSync(path.join(LAB_BUNDLE_DIR, "app-settings"));
  fs.writeFileSync(path.join(LAB_BUNDLE_DIR, "app-settings", "overrides.json"), JSON.stringify(SETTINGS_OVERRIDES, null, 2));
  await runWebpack(generated, path.join(LAB_BUNDLE_DIR, "static"));
  fs.writeFileSync(hashFile, hash);
  return { dir: LAB_BUNDLE_DIR, built: true, ms: Date.now() - started };
}

/** The plugin list and the style imports main.js pulls in under fixed names. */
function writeEntryModules(dir: string): void {
  const leftOut = JSON.stringify(LEFT_OUT_PLUGINS);
  const plugins = [
    "// Generated by test/lab/lab-bundle.ts.",
    // JupyterLab reads `default` only from objects marked __esModule (a spread loses the mark).
    `const keep = (m) => ({ __esModule: true, default: (Array.isArray(m.default) ? m.default : [m.default]).filter((p) => !${leftOut}.some((s) => p.id.includes(s))) });`,
    "export const extensions = [",
    ...EXTENSIONS.map((name) => `  import(${JSON.stringify(name)}).then(keep),`),
    "];",
    "export const mimeExtensions = [",
    ...Object.keys(MIME_EXTENSIONS).map((name) => `  import(${JSON.stringify(name)}),`),
    "];",
  ];
  fs.writeFileSync(path.join(dir, "plugins.js"), `${plugins.join("\n")}\n`);
  // Each package's styleModule (or style) field names its CSS, which imports its dependencies' CSS.
  const styled = [...EXTENSIONS, ...new Set(Object.values(MIME_EXTENSIONS))].flatMap((name) => {
    const pkg = packageJson(name);
    const style = pkg.styleModule ?? pkg.style;
    return style ? [`import ${JSON.stringify(`${name}/${style}`)};`] : [];
  });
  fs.writeFileSync(path.join(dir, "styles.js"), `${["// Generated by test/lab/lab-bundle.ts.", ...styled].join("\n")}\n`);
}

/** Settings schemas (the settings API reads schemas/<package>/*.json) and theme CSS. */
function copySchemasAndThemes(out: string): void {
  for (const name of EXTENSIONS) {
    const pkg = packageJson(name);
    const lab = pkg.jupyterlab ?? {};
    if (lab.schemaDir) {
      const target = path.join(out, "schemas", name);
      fs.cpSync(path.join(packageDir(name), lab.schemaDir), target, { recursive: true });
      // LabServerApp reports each plugin's package version from this copy of package.json.
      fs.writeFileSync(path.join(target, "package.json.orig"), JSON.stringify(pkg, null, 2));
    }
    if (lab.themePath) {
      // The theme manager loads themes/<package>/index.css; the theme's CSS only imports
      // files next to it, so its folder is copied whole and index.css imports the entry.
      const themeDir = path.join(out, "themes", name);
      const source = path.join(packageDir(name), lab.themePath);
      fs.cpSync(path.dirname(source), themeDir, { recursive: true });
      fs.writeFileSync(path.join(themeDir, "index.css"), `@import url('./${path.basename(source)}');\n`);
    }
  }
}

async function runWebpack(generated: string, outDir: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const webpack = require("webpack");
  const resolveFrom = (request: string) => require.resolve(request, { paths: [KERNEL_ROOT] });
  // One copy of each Lumino package, JupyterLab's: a prebuilt Lab extension shares them with
  // the page the same way (jupyterlab-plotly declares the older @lumino 1 range).
  const lumino = Object.fromEntries(
    fs.readdirSync(path.join(KERNEL_ROOT, "node_modules", "@lumino")).map((name) => [`@lumino/${name}`, packageDir(`@lumino/${name}`)]),
  );
  const config = {
    mode: "development",
    devtool: false,
    bail: true,
    context: KERNEL_ROOT,
    entry: path.join(APP_DIR, "main.js"),
    output: { path: outDir, filename: "bundle.js", chunkFilename: "[name].[contenthash:8].js", clean: true },
    resolve: {
      alias: {
        ...lumino,
        "tfjs-lab-plugins": path.join(generated, "plugins.js"),
        "tfjs-lab-styles": path.join(generated, "styles.js"),
      },
      modules: [path.join(KERNEL_ROOT, "node_modules"), "node_modules"],
      fallback: { path: false, fs: false, crypto: false },
    },
    performance: { hints: false },
    // plotly.js's dist file is one prebuilt UMD script: parsing it for imports only costs time.
    module: {
      noParse: /plotly\.js[\\/]dist[\\/]plotly(\.min)?\.js$/,
      rules: [
        { test: /\.css$/, use: [resolveFrom("style-loader"), resolveFrom("css-loader")] },
        { test: /\.raw\.css$/, type: "asset/source" },
        { test: /\.md$/, type: "asset/source" },
        { test: /\.(jpg|png|gif|eot|html)$/, type: "asset/resource" },
        { test: /\.(woff2?|ttf)(\?v=\d+\.\d+\.\d+)?$/, type: "asset" },
        // SVG icons: data URIs inside CSS, raw strings where JavaScript imports them.
        { test: /\.svg(\?v=\d+\.\d+\.\d+)?$/, issuer: /\.css$/, type: "asset/inline" },
        { test: /\.svg(\?v=\d+\.\d+\.\d+)?$/, issuer: /\.js$/, type: "asset/source" },
      ],
    },
    plugins: [
      // Some packages call process.cwd() (the path polyfill).
      new webpack.DefinePlugin({ process: { cwd: "() => '/'", env: {} } }),
    ],
    infrastructureLogging: { level: "error" },
  };
  await new Promise<void>((resolve, reject) => {
    webpack(config, (err: Error | null, stats: any) => {
      if (err) return reject(err);
      if (stats.hasErrors()) {
        return reject(
          new Error(`webpack could not build the JupyterLab page:\n${stats.toString({ all: false, errors: true, errorDetails: true })}`),
        );
      }
      resolve();
    });
  });
}

if (require.main === module) {
  ensureLabBundle({ force: process.argv.includes("--force"), log: (l) => console.log(l) }).then(
    (b) => console.log(`${b.built ? "built" : "up to date:"} ${b.dir} in ${(b.ms / 1000).toFixed(1)} s`),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
