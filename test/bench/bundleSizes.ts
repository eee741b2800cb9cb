import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** The client build the browser section serves and measures (vite.config.ts's outDir). */
export function clientDirOf(repoRoot: string): string {
  return join(repoRoot, 'dist', 'client');
}

/** Written beside Vite's manifest by the bench's build: the modules in each output chunk. */
const MODULES_FILE = join('.vite', 'bench-modules.json');
const MANIFEST_FILE = join('.vite', 'manifest.json');

/** What Vite's build manifest says of one source module or entry (`build.manifest: true`). */
interface ManifestChunk {
  file: string;
  name?: string;
  src?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  /** Manifest keys of the chunks this one imports statically. */
  imports?: string[];
  /** Manifest keys of the chunks this one imports with `import()`. */
  dynamicImports?: string[];
  css?: string[];
  assets?: string[];
}
type Manifest = Record<string, ManifestChunk>;

/** Output chunk file → its modules (path relative to the repository or `node_modules/…`) and their rendered length. */
type ModuleSizes = Record<string, { id: string; bytes: number }[]>;

/** Newest modification time under `path` (files only), ms. */
function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/**
 * Is dist/client older than the sources it is built from (client, shared, the Vite config,
 * the lockfile), or missing the manifest and module list this bench reads? Returns why, or null.
 */
export function staleReason(repoRoot: string): string | null {
  const dir = clientDirOf(repoRoot);
  for (const file of ['index.html', MANIFEST_FILE, MODULES_FILE]) {
    if (!existsSync(join(dir, file))) return `dist/client/${file} is missing`;
  }
  const built = Math.min(
    statSync(join(dir, 'index.html')).mtimeMs,
    statSync(join(dir, MANIFEST_FILE)).mtimeMs,
    statSync(join(dir, MODULES_FILE)).mtimeMs,
  );
  for (const source of ['client', 'shared', 'vite.config.ts', 'package-lock.json']) {
    if (newestMtime(join(repoRoot, source)) > built) return `${source} changed after the last build`;
  }
  return null;
}

/** Record which modules went into each output chunk, and how much code each rendered. */
function moduleSizesPlugin(repoRoot: string, out: ModuleSizes): Plugin {
  const name = (id: string) => {
    const clean = id.replace(/\?.*$/, '').replace(/^\0/, '');
    const at = clean.lastIndexOf('node_modules/');
    return at >= 0 ? clean.slice(at) : relative(repoRoot, clean);
  };
  return {
    name: 'cityops-bench-module-sizes',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        out[chunk.fileName] = Object.entries(chunk.modules)
          .map(([id, m]) => ({ id: name(id), bytes: m.renderedLength }))
          .filter((m) => m.bytes > 0);
      }
    },
  };
}

/**
 * Build the client into dist/client unless it is up to date: the same Vite config as
 * `npm run build` (as test/e2e/buildClient.globalSetup.ts does), plus the manifest and the
 * module list the bundle figures need. Returns how long the build took, or null when none ran.
 */
export async function ensureClientBuilt(
  repoRoot: string,
  log: (line: string) => void,
): Promise<{ builtMs: number | null; reason: string | null }> {
  const reason = staleReason(repoRoot);
  if (reason === null) return { builtMs: null, reason };
  log(`building the client (${reason})… `);
  const started = performance.now();
  const { build } = await import('vite');
  const modules: ModuleSizes = {};
  const nodeEnv = process.env['NODE_ENV'];
  // Anything but production would make Vite bundle Vue's development build.
  process.env['NODE_ENV'] = 'production';
  try {
    await build({
      configFile: join(repoRoot, 'vite.config.ts'),
      mode: 'production',
      // Errors only: the bench prints tables, not the bundler's timing notes.
      logLevel: 'error',
      build: { manifest: true },
      plugins: [moduleSizesPlugin(repoRoot, modules)],
    });
  } finally {
    if (nodeEnv === undefined) delete process.env['NODE_ENV'];
    else process.env['NODE_ENV'] = nodeEnv;
  }
  writeFileSync(join(clientDirOf(repoRoot), MODULES_FILE), `${JSON.stringify(modules)}\n`);
  const builtMs = performance.now() - started;
  log(`${(builtMs / 1000).toFixed(1)} s\n`);
  return { builtMs, reason };
}

/** A set of files of the build and what they weigh. */
export interface FileSet {
  /** Paths relative to dist/client (`assets/index-….js`), sorted. */
  files: string[];
  /** Bytes as served (the server does not compress). */
  rawBytes: number;
  /** Sum of each file gzipped on its own (zlib level 9). */
  gzipBytes: number;
}

export interface BundleRow {
  id: 'entry' | 'wall' | 'map' | 'mapbox' | 'console' | 'console-pages' | 'worker';
  title: string;
  set: FileSet;
  /** True for the rows the "initial route ≤ 600 kB gzipped" applies to. */
  initialRoute: boolean;
  notes: string[];
}

export interface LargestModule {
  /** A package (`node_modules/echarts`) or a source file of the project. */
  name: string;
  /** Rendered code in the route's chunks before minification, bytes. */
  bytes: number;
  /** Its share of all rendered code of the route, 0..1. */
  share: number;
}

export interface BundleReport {
  rows: BundleRow[];
  /** What makes up the wall's initial route, largest first (by package). */
  wallLargest: LargestModule[];
  warnings: string[];
}

/** JS and CSS files of the route (fonts, images and the map's font file are not counted). */
const isCode = (file: string) => /\.(m?js|css)$/.test(file);

/**
 * Reads dist/client (index.html, Vite's manifest, the bench's module list) and weighs what each
 * part of the app downloads. `wallLoaded` and `workerLoaded` are the files the browser actually
 * fetched for `/` (until the first live frame) and `/worker`, relative to dist/client.
 */
export class ClientBundle {
  private readonly manifest: Manifest;
  private readonly byFile = new Map<string, string>();
  private readonly modules: ModuleSizes;
  private readonly sizes = new Map<string, { raw: number; gzip: number }>();

  constructor(private readonly dir: string) {
    this.manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
    this.modules = JSON.parse(readFileSync(join(dir, MODULES_FILE), 'utf8')) as ModuleSizes;
    for (const [key, chunk] of Object.entries(this.manifest)) this.byFile.set(chunk.file, key);
  }

  /**
   * The manifest key of a component's chunk: its source (`src/…/ConsoleView.vue`) when it is a
   * dynamic entry, or a shared chunk named after it (`_ConsoleView-….js`) when it is not.
   */
  chunkNamed(name: string): string | undefined {
    return Object.entries(this.manifest).find(
      ([k, c]) => k.endsWith(`/${name}.vue`) || (c.name === name && c.file.endsWith('.js')),
    )?.[0];
  }

  /** Manifest keys of the chunks holding code of a package (wherever the build put it). */
  chunksWith(pkg: string): string[] {
    return Object.entries(this.manifest)
      .filter(([, c]) => (this.modules[c.file] ?? []).some((m) => m.id.startsWith(`node_modules/${pkg}/`)))
      .map(([k]) => k);
  }

  /** The first manifest key matching `re` (e.g. a package's file). */
  keyMatching(re: RegExp): string | undefined {
    return Object.keys(this.manifest).find((k) => re.test(k));
  }

  /** A file and everything it imports statically, with their CSS and JS/CSS assets (e.g. a worker script). */
  closure(roots: Iterable<string>, into = new Set<string>()): Set<string> {
    const seenKeys = new Set<string>();
    const visit = (key: string) => {
      if (seenKeys.has(key)) return;
      seenKeys.add(key);
      const chunk = this.manifest[key];
      if (!chunk) return;
      into.add(chunk.file);
      for (const css of chunk.css ?? []) into.add(css);
      for (const asset of chunk.assets ?? []) if (isCode(asset)) into.add(asset);
      for (const k of chunk.imports ?? []) visit(k);
    };
    for (const root of roots) {
      const key = this.byFile.get(root) ?? (root in this.manifest ? root : undefined);
      // A file no manifest entry produces (a stylesheet, a worker script) stands for itself.
      if (key === undefined) into.add(root);
      else visit(key);
    }
    return into;
  }

  /**
   * The static walk of index.html: its module scripts, modulepreloads and stylesheets, and
   * everything those scripts import statically. What every page (wall, console, worker)
   * downloads before any app code runs.
   */
  entryFiles(): Set<string> {
    const html = readFileSync(join(this.dir, 'index.html'), 'utf8');
    const refs = new Set<string>();
    for (const tag of html.match(/<(script|link)\b[^>]*>/g) ?? []) {
      const isModule = /^<script/.test(tag) && /type="module"/.test(tag);
      const isPreload = /rel="(modulepreload|stylesheet)"/.test(tag);
      const ref = /(?:src|href)="([^"]+)"/.exec(tag)?.[1];
      if ((isModule || isPreload) && ref && !/^[a-z]+:/i.test(ref)) refs.add(ref.replace(/^\//, ''));
    }
    return this.closure(refs, new Set(refs));
  }

  weigh(files: Iterable<string>): FileSet {
    const list = [...new Set(files)].filter(isCode).sort();
    let rawBytes = 0;
    let gzipBytes = 0;
    for (const file of list) {
      let size = this.sizes.get(file);
      if (!size) {
        const bytes = readFileSync(join(this.dir, file));
        size = { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
        this.sizes.set(file, size);
      }
      rawBytes += size.raw;
      gzipBytes += size.gzip;
    }
    return { files: list, rawBytes, gzipBytes };
  }

  /** Rendered code of the files' modules summed by package (or source file), largest first. */
  largest(files: Iterable<string>, top: number): LargestModule[] {
    const byName = new Map<string, number>();
    let total = 0;
    for (const file of files) {
      for (const m of this.modules[file] ?? []) {
        const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(m.id)?.[1];
        const name = pkg ? `node_modules/${pkg}` : m.id;
        byName.set(name, (byName.get(name) ?? 0) + m.bytes);
        total += m.bytes;
      }
    }
    return [...byName]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, bytes]) => ({ name, bytes, share: total > 0 ? bytes / total : 0 }));
  }

  /** Packages among `names` that have code in the files (e.g. chart or map engines in the worker app). */
  packagesIn(files: Iterable<string>, names: readonly string[]): string[] {
    const found = new Set<string>();
    for (const file of files) {
      for (const m of this.modules[file] ?? []) {
        for (const n of names) if (m.id.startsWith(`node_modules/${n}/`)) found.add(n);
      }
    }
    return [...found].sort();
  }

  /**
   * Files reachable from the HTML entry over static and dynamic imports, entering only the chunks
   * `enter` accepts (with their CSS and code assets).
   */
  reachableFromEntry(enter: (key: string, file: string) => boolean): Set<string> {
    const into = new Set<string>();
    const seen = new Set<string>();
    const visit = (key: string) => {
      const chunk = this.manifest[key];
      if (!chunk || seen.has(key) || !enter(key, chunk.file)) return;
      seen.add(key);
      into.add(chunk.file);
      for (const css of chunk.css ?? []) into.add(css);
      for (const asset of chunk.assets ?? []) if (isCode(asset)) into.add(asset);
      for (const k of [...(chunk.imports ?? []), ...(chunk.dynamicImports ?? [])]) visit(k);
    };
    for (const [key, chunk] of Object.entries(this.manifest)) if (chunk.isEntry) visit(key);
    return into;
  }

  /** Dynamic imports (manifest keys) of a module. */
  dynamicImportsOf(key: string): string[] {
    return this.manifest[key]?.dynamicImports ?? [];
  }
}

const CHART_AND_MAP_PACKAGES = ['echarts', 'zrender', 'maplibre-gl', 'mapbox-gl'] as const;

/**
 * The bundle rows: index.html's static closure, the wall's initial route as fetched (without
 * the map chunk, which it loads after the wall is on screen), the map chunk, Mapbox's (only with
 * a token), the console's chunk and its pages, and the worker app's initial route as fetched.
 */
export function bundleReport(
  dir: string,
  wallLoaded: readonly string[],
  workerLoaded: readonly string[],
): BundleReport {
  const b = new ClientBundle(dir);
  const warnings: string[] = [];
  const rows: BundleRow[] = [];
  const entry = b.entryFiles();
  rows.push({
    id: 'entry',
    title: 'index.html closure: module script + static imports + preloads + CSS',
    set: b.weigh(entry),
    initialRoute: true,
    notes: ['Downloaded by every page before any app code runs.'],
  });

  // The map chunk is wherever maplibre-gl went (the map module's name may change, the engine's does
  // not). The wall's initial route is what it fetched that is reachable from the entry without
  // passing through a map chunk; what only the map chunk imports is the map's.
  const mapKeys = new Set(b.chunksWith('maplibre-gl'));
  if (mapKeys.size === 0) warnings.push('no chunk of the build holds maplibre-gl');
  const wallCode = new Set(wallLoaded.filter(isCode));
  const wallInitial = new Set([
    ...entry,
    ...b.reachableFromEntry((key, file) => wallCode.has(file) && !mapKeys.has(key)),
  ]);
  const mapOnly = new Set([...b.closure(mapKeys)].filter((f) => !wallInitial.has(f)));
  const unexplained = [...wallCode].filter((f) => !wallInitial.has(f) && !mapOnly.has(f));
  if (unexplained.length > 0) {
    warnings.push(`the wall fetched files neither its route nor the map explains: ${unexplained.join(', ')}`);
  }
  rows.push({
    id: 'wall',
    title: 'Wall `/` initial route as fetched (without the map chunk)',
    set: b.weigh(wallInitial),
    initialRoute: true,
    notes: [
      `Chart/map engines in it: ${b.packagesIn(wallInitial, CHART_AND_MAP_PACKAGES).join(', ') || 'none'}.`,
    ],
  });
  if (mapKeys.size > 0) {
    const fetched = [...wallCode].filter((f) => mapOnly.has(f)).length;
    rows.push({
      id: 'map',
      title: 'Map chunk (map module + maplibre-gl + its worker script), loaded after the wall is up',
      set: b.weigh(mapOnly),
      initialRoute: false,
      notes: [`The wall fetched ${fetched} of its ${b.weigh(mapOnly).files.length} files.`],
    });
    const mapboxKey = b.keyMatching(/node_modules\/mapbox-gl\/.*\/mapbox-gl\.js$/);
    if (mapboxKey) {
      const set = [...b.closure([mapboxKey])].filter((f) => !wallInitial.has(f) && !mapOnly.has(f));
      rows.push({
        id: 'mapbox',
        title: 'mapbox-gl chunk, loaded only when a Mapbox token is configured',
        set: b.weigh(set),
        initialRoute: false,
        notes: [],
      });
    }
  }

  const consoleKey = b.chunkNamed('ConsoleView');
  if (consoleKey) {
    const consoleSet = [...b.closure([consoleKey])].filter((f) => !wallInitial.has(f));
    rows.push({
      id: 'console',
      title: 'Console chunk (ConsoleView, `/console`) beyond the wall’s initial route',
      set: b.weigh(consoleSet),
      initialRoute: false,
      notes: [],
    });
    const pages = b.closure(b.dynamicImportsOf(consoleKey));
    const pageSet = [...pages].filter((f) => !wallInitial.has(f) && !consoleSet.includes(f));
    rows.push({
      id: 'console-pages',
      title: 'Console pages (alerts, cases, rules), each loaded on demand, together',
      set: b.weigh(pageSet),
      initialRoute: false,
      notes: [],
    });
  } else warnings.push('no chunk of the build is named ConsoleView');

  const worker = new Set([...entry, ...workerLoaded.filter(isCode)]);
  const heavy = b.packagesIn(worker, CHART_AND_MAP_PACKAGES);
  rows.push({
    id: 'worker',
    title: 'Worker app `/worker` initial route as fetched (phone, signed in)',
    set: b.weigh(worker),
    initialRoute: true,
    notes: [`Chart/map engines in it: ${heavy.join(', ') || 'none'}.`],
  });
  if (heavy.length > 0) warnings.push(`the worker app loads chart or map code: ${heavy.join(', ')}`);

  return { rows, wallLargest: b.largest(wallInitial, 10), warnings };
}
