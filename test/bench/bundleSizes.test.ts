import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundleReport, staleReason } from './bundleSizes';

/**
 * A small build as Vite lays it out: an entry that loads the wall (App) or the worker app,
 * a wall that imports charts and loads the map and the console on demand, and a map chunk that
 * shares one chunk with the wall and has one of its own.
 */
const MANIFEST = {
  'index.html': {
    file: 'assets/index.js',
    src: 'index.html',
    isEntry: true,
    dynamicImports: ['src/App.vue', 'src/features/worker/WorkerApp.vue'],
    css: ['assets/index.css'],
    assets: ['assets/font.woff2'],
  },
  'src/App.vue': {
    file: 'assets/App.js',
    isDynamicEntry: true,
    imports: ['index.html', '_shared.js', '_charts.js'],
    dynamicImports: ['_MapView.js', 'src/features/console/ConsoleView.vue'],
    css: ['assets/App.css'],
  },
  '_MapView.js': {
    file: 'assets/MapView.js',
    name: 'MapView',
    imports: ['index.html', '_shared.js', '_mapOnly.js'],
    css: ['assets/MapView.css'],
    assets: ['assets/maplibre-gl-worker.mjs'],
  },
  '_mapOnly.js': { file: 'assets/mapOnly.js' },
  '_shared.js': { file: 'assets/shared.js' },
  '_charts.js': { file: 'assets/charts.js' },
  'src/features/console/ConsoleView.vue': {
    file: 'assets/ConsoleView.js',
    isDynamicEntry: true,
    imports: ['src/App.vue', '_consoleApi.js'],
    dynamicImports: ['src/features/console/alerts/AlertsPage.vue'],
  },
  '_consoleApi.js': { file: 'assets/consoleApi.js' },
  'src/features/console/alerts/AlertsPage.vue': {
    file: 'assets/AlertsPage.js',
    isDynamicEntry: true,
    imports: ['_shared.js'],
  },
  'src/features/worker/WorkerApp.vue': {
    file: 'assets/WorkerApp.js',
    isDynamicEntry: true,
    imports: ['index.html', '_shared.js'],
  },
};

const MODULES = {
  'assets/index.js': [{ id: 'node_modules/@vue/runtime-core/dist/runtime-core.esm-bundler.js', bytes: 200 }],
  'assets/App.js': [{ id: 'client/src/App.vue', bytes: 100 }],
  'assets/charts.js': [
    { id: 'node_modules/echarts/lib/chart/line.js', bytes: 500 },
    { id: 'node_modules/zrender/lib/zrender.js', bytes: 300 },
  ],
  'assets/MapView.js': [{ id: 'node_modules/maplibre-gl/dist/maplibre-gl.mjs', bytes: 1000 }],
};

const HTML =
  '<!doctype html><html><head>' +
  '<script type="module" crossorigin src="/assets/index.js"></script>' +
  '<link rel="modulepreload" crossorigin href="/assets/shared.js">' +
  '<link rel="stylesheet" crossorigin href="/assets/index.css">' +
  '</head><body><div id="app"></div></body></html>';

function writeBuild(dir: string): void {
  const put = (file: string, text: string) => {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  };
  put('index.html', HTML);
  put('.vite/manifest.json', JSON.stringify(MANIFEST));
  put('.vite/bench-modules.json', JSON.stringify(MODULES));
  const files = new Set<string>();
  for (const c of Object.values(MANIFEST) as { file: string; css?: string[]; assets?: string[] }[]) {
    for (const f of [c.file, ...(c.css ?? []), ...(c.assets ?? [])]) files.add(f);
  }
  for (const f of files) put(f, `/* ${f} */ ${'x'.repeat(100)}`);
}

const WALL_FETCHED = [
  'assets/index.css',
  'assets/index.js',
  'assets/font.woff2',
  'assets/App.js',
  'assets/App.css',
  'assets/shared.js',
  'assets/charts.js',
  'assets/MapView.js',
  'assets/MapView.css',
  'assets/mapOnly.js',
  'assets/maplibre-gl-worker.mjs',
];
const WORKER_FETCHED = ['assets/index.css', 'assets/index.js', 'assets/WorkerApp.js', 'assets/shared.js'];

describe('bundle sizes of the client build', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cityops-bundle-'));
    writeBuild(dir);
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const filesOf = (report: ReturnType<typeof bundleReport>, id: string) =>
    report.rows.find((r) => r.id === id)?.set.files;

  it('walks index.html: its module script, modulepreloads and stylesheet', () => {
    const report = bundleReport(dir, WALL_FETCHED, WORKER_FETCHED);
    expect(filesOf(report, 'entry')).toEqual(['assets/index.css', 'assets/index.js', 'assets/shared.js']);
  });

  it('counts what the wall fetched outside the map chunk as its initial route, fonts aside', () => {
    const report = bundleReport(dir, WALL_FETCHED, WORKER_FETCHED);
    expect(filesOf(report, 'wall')).toEqual([
      'assets/App.css',
      'assets/App.js',
      'assets/charts.js',
      'assets/index.css',
      'assets/index.js',
      'assets/shared.js',
    ]);
    expect(report.rows.find((r) => r.id === 'wall')?.notes.join()).toMatch(/echarts, zrender/);
  });

  it('gives the map what only the map imports, with its worker script, and leaves shared chunks to the wall', () => {
    const report = bundleReport(dir, WALL_FETCHED, WORKER_FETCHED);
    expect(filesOf(report, 'map')).toEqual([
      'assets/MapView.css',
      'assets/MapView.js',
      'assets/mapOnly.js',
      'assets/maplibre-gl-worker.mjs',
    ]);
    expect(report.warnings).toEqual([]);
  });

  it('weighs the console beyond the wall, and its pages apart', () => {
    const report = bundleReport(dir, WALL_FETCHED, WORKER_FETCHED);
    expect(filesOf(report, 'console')).toEqual(['assets/ConsoleView.js', 'assets/consoleApi.js']);
    expect(filesOf(report, 'console-pages')).toEqual(['assets/AlertsPage.js']);
  });

  it('sums gzip and raw bytes of the files of a row', () => {
    const report = bundleReport(dir, WALL_FETCHED, WORKER_FETCHED);
    const entry = report.rows.find((r) => r.id === 'entry')!.set;
    const raw = ['assets/index.css', 'assets/index.js', 'assets/shared.js'].reduce(
      (sum, f) => sum + `/* ${f} */ ${'x'.repeat(100)}`.length,
      0,
    );
    expect(entry.rawBytes).toBe(raw);
    expect(entry.gzipBytes).toBeGreaterThan(0);
    expect(entry.gzipBytes).toBeLessThan(raw);
  });

  it('lists the largest packages of the wall route by rendered code', () => {
    const report = bundleReport(dir, WALL_FETCHED, WORKER_FETCHED);
    expect(report.wallLargest.map((m) => m.name)).toEqual([
      'node_modules/echarts',
      'node_modules/zrender',
      'node_modules/@vue/runtime-core',
      'client/src/App.vue',
    ]);
    expect(report.wallLargest[0]!.share).toBeCloseTo(500 / 1100);
  });

  it('warns when the worker app loads chart code', () => {
    const report = bundleReport(dir, WALL_FETCHED, [...WORKER_FETCHED, 'assets/charts.js']);
    expect(report.rows.find((r) => r.id === 'worker')?.notes.join()).toMatch(/echarts, zrender/);
    expect(report.warnings).toEqual(['the worker app loads chart or map code: echarts, zrender']);
  });
});

describe('when the client needs a build', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cityops-stale-'));
    for (const d of ['client/src', 'shared']) mkdirSync(join(root, d), { recursive: true });
    for (const f of ['client/src/main.ts', 'shared/x.ts', 'vite.config.ts', 'package-lock.json']) {
      writeFileSync(join(root, f), '');
      utimesSync(join(root, f), 1_000, 1_000);
    }
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('says dist is missing, then up to date, then stale once a source changes', () => {
    expect(staleReason(root)).toBe('dist/client/index.html is missing');
    writeBuild(join(root, 'dist', 'client'));
    expect(staleReason(root)).toBeNull();
    utimesSync(join(root, 'client/src/main.ts'), new Date(), new Date(Date.now() + 60_000));
    expect(staleReason(root)).toBe('client changed after the last build');
  });
});
