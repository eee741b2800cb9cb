/**
 * The browser section of `npm run bench` (issue 7): the real wall in Debian's headless Chromium
 * against the real server under the issue's load — 10,000 sensors reporting every 4 s and 1,000
 * open alerts — measuring time to first live frame, long tasks and total blocking time over a
 * window, main-thread time, JS heap, and the bundle sizes of the wall, map, console and worker
 * app. Targets are reported, never asserted. See docs/BENCHMARKS.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BrowserContextOptions, CDPSession, Page, Response } from 'playwright-core';
import { testPassword } from '../helpers/auth';
import { CHROMIUM_PATH, launchChromium, type TestBrowser } from '../helpers/browser';
import { planBreaches, startCityLoad, writeScaledCityPack, type CityLoadStats } from './browserLoad';
import { bundleReport, clientDirOf, ensureClientBuilt, type BundleReport } from './bundleSizes';
import { procDelta, sampleProc, type ProcDelta } from './procStats';
import { verdictOf } from './report';
import type { Target } from './rows';
import { startServerProcess, type ServerProcess } from './serverProcess';
import { distribution, type Distribution } from './stats';
import { markdownTable, num } from './table';

/** The load and the timings of the section. */
export const BROWSER_PLAN = {
  /** Sensors in the city pack the server loads (the default pack's 1,277 and copies). */
  sensors: 10_000,
  /** Every sensor reports once per period, s: 10,000 / 4 s = 2,500 readings/s. */
  periodSec: 4,
  /** Sensors that keep breaching a rule that fires on the first reading: one open alert each. */
  openAlerts: 1_000,
  /** The load publishes what became due this often, in gateway batches of at most `batch`. */
  tickMs: 100,
  batch: 500,
  maxInFlight: 64,
  /** After the first live frame, before the window (late tiles, fonts, first pushes). */
  settleMs: 5_000,
  /** Default length of the measured window (`--browser-window-s`). */
  windowSec: 60,
  /** JS heap sampled this often during the window. */
  heapSampleEveryMs: 5_000,
  firstFrameTimeoutMs: 120_000,
  alertsTimeoutMs: 90_000,
  /** A task longer than this blocks input (the Long Tasks API threshold), ms. */
  longTaskMs: 50,
} as const;

/** "initial route ≤ 600 kB gzipped" (issue 7). kB = 1,000 bytes, as Vite prints them. */
const INITIAL_ROUTE_TARGET: Target = { kind: 'max', value: 600, unit: 'kB' };

/**
 * Installed in the wall's page before any of its scripts (a string, so that no bundler helper
 * leaks into it). Records long tasks from navigation on, and the first frame in which the wall
 * shows live data: the sensor counter shows numbers, no "—" (the snapshot is applied), the freshness pill
 * says fresh (observations within the last minute), and the map has drawn (`data-map-ready`).
 */
const INSTRUMENT = `(() => {
  if (window.top !== window || window.__cityopsBench) return;
  const s = {
    longTasks: [],
    milestones: { snapshot: null, fresh: null, mapReady: null },
    firstLiveFrame: null,
    windowStart: null,
    frames: 0,
    counting: false,
  };
  window.__cityopsBench = s;
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) s.longTasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch (err) {
    s.longTaskError = String(err);
  }
  let pending = false;
  const observer = new MutationObserver(() => check());
  function check() {
    const now = performance.now();
    const m = s.milestones;
    const sensors = document.querySelector('[data-test="sensors"]');
    // Numbers instead of the "—" placeholders: the snapshot is applied (its hint may hold digits of its own).
    const counted = sensors ? sensors.textContent || '' : '';
    if (m.snapshot === null && /\\d/.test(counted) && !counted.includes('—')) m.snapshot = now;
    if (m.fresh === null && document.querySelector('[data-test="freshness"].is-fresh')) m.fresh = now;
    if (m.mapReady === null && document.querySelector('[data-map-ready]:not([data-map-ready="false"])')) m.mapReady = now;
    if (!pending && m.snapshot !== null && m.fresh !== null && m.mapReady !== null) {
      pending = true;
      observer.disconnect();
      requestAnimationFrame(() => { s.firstLiveFrame = performance.now(); });
    }
  }
  observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  function frame() {
    if (!s.counting) return;
    s.frames += 1;
    requestAnimationFrame(frame);
  }
  s.startWindow = () => {
    s.windowStart = performance.now();
    s.frames = 0;
    s.counting = true;
    requestAnimationFrame(frame);
    return s.windowStart;
  };
  s.endWindow = () => {
    s.counting = false;
    return { start: s.windowStart, end: performance.now(), frames: s.frames, longTasks: s.longTasks };
  };
  s.wallState = () => ({
    sensors: (document.querySelector('[data-test="sensors"]')?.textContent || '').replace(/\\s+/g, ' ').trim(),
    freshness: document.querySelector('[data-test="freshness"]')?.className || '',
    mapReady: document.querySelector('[data-map-ready]:not([data-map-ready="false"])') !== null,
  });
})();`;

interface InstrumentState {
  milestones: { snapshot: number | null; fresh: number | null; mapReady: number | null };
  firstLiveFrame: number | null;
  longTasks: [number, number][];
  longTaskError?: string;
}

interface WindowReport {
  start: number;
  end: number;
  frames: number;
  longTasks: [number, number][];
}

export interface LongTaskFigures {
  count: number;
  /** Σ (duration − 50 ms) over the long tasks, ms. */
  totalBlockingMs: number;
  durationMs: Distribution;
}

export interface BrowserResult {
  plan: Omit<typeof BROWSER_PLAN, 'windowSec'> & { windowSec: number };
  build: { builtMs: number | null; reason: string | null };
  load: {
    sensors: number;
    ratePerSec: number;
    /** Readings acknowledged during the window, per second. */
    acknowledgedPerSec: number;
    /** During the window: due but skipped because too many messages waited for acknowledgement. */
    behind: number;
    failed: number;
    total: CityLoadStats;
    alertsAtWindowStart: AlertCounts;
    alertsAtWindowEnd: AlertCounts;
  };
  /** Navigation start → the first frame showing live data, ms; null when it never came. */
  firstLiveFrameMs: number | null;
  /** Navigation start → each condition of the first live frame, ms. */
  milestonesMs: InstrumentState['milestones'];
  /** Long tasks from navigation start to the first live frame. */
  loadPhase: LongTaskFigures;
  window: {
    seconds: number;
    longTasks: LongTaskFigures;
    /** Main-thread task time ÷ window (CDP TaskDuration), %. */
    mainThreadBusyPct: number;
    scriptSec: number;
    layoutSec: number;
    styleSec: number;
    framesPerSec: number;
    heapMb: { startAfterGc: number; start: number; peak: number; end: number; endAfterGc: number };
    domNodes: { start: number; end: number };
    server: ProcDelta;
    /** Every Chromium process (browser, renderer, GPU/SwiftShader, utilities), % of one core. */
    chromiumCpuPct: number;
    /** Every other process on the machine (not the server, the bench or Chromium), % of one core. */
    othersPct: number;
  };
  /** What the wall showed at the end of the window (its own hooks). */
  wallAtEnd: { sensors: string; freshness: string; mapReady: boolean };
  /** Files the browser fetched under /assets/ (paths relative to dist/client). */
  fetched: { wall: string[]; worker: string[] };
  bundles: BundleReport;
  /** Long tasks of the window as [start ms since navigation, duration ms]. */
  longTasksRaw: [number, number][];
  screenshot: string | null;
  pageErrors: string[];
  warnings: string[];
}

export interface BrowserSectionOptions {
  repoRoot: string;
  windowSec: number;
  serverEnv: Record<string, string>;
  cpuProfDir?: string | undefined;
  /** Where the wall's screenshot goes (bench-results), and the name it starts with. */
  screenshotPath: string;
  log: (text: string) => void;
}

interface AlertCounts {
  firing: number;
  /** pending + firing + acknowledged */
  open: number;
}

async function alertCounts(url: string): Promise<AlertCounts> {
  const total = async (states: string) => {
    const res = await fetch(`${url}/api/v1/alerts?state=${states}&limit=1`);
    if (!res.ok) throw new Error(`GET /api/v1/alerts answered ${res.status}`);
    return ((await res.json()) as { total: number }).total;
  };
  return { firing: await total('firing'), open: await total('pending,firing,acknowledged') };
}

async function createUser(url: string, user: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${url}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(user),
  });
  if (res.status !== 201)
    throw new Error(`creating user ${String(user['username'])}: ${res.status} ${await res.text()}`);
}

/** Sign the browser context in through the login API: the session cookie lands in its jar as the server set it. */
async function signInContext(
  browser: TestBrowser,
  url: string,
  username: string,
  password: string,
): Promise<void> {
  const res = await browser.context.request.post(`${url}/api/v1/auth/login`, {
    data: { username, password },
  });
  if (res.status() !== 200)
    throw new Error(`sign-in of ${username} answered ${res.status()}: ${await res.text()}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let clockTicks: number | null = null;
function ticksPerSec(): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return clockTicks;
}

/**
 * CPU seconds of the processes this bench started other than the server: Chromium's browser,
 * renderer, GPU and utility processes (from /proc/<pid>/stat, every thread included).
 */
function chromiumCpuSec(server: ServerProcess): number {
  const procs = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(entry), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // Gone meanwhile.
    }
  }
  const serverTree = new Set([server.pid, procs.get(server.pid)?.ppid ?? server.pid]);
  let ticks = 0;
  for (const [pid, p] of procs) {
    if (pid === process.pid) continue;
    for (
      let at = p.ppid, hops = 0;
      at > 1 && hops < 32 && !serverTree.has(at) && !serverTree.has(pid);
      hops++
    ) {
      if (at === process.pid) {
        ticks += p.ticks;
        break;
      }
      at = procs.get(at)?.ppid ?? 0;
    }
  }
  return ticks / ticksPerSec();
}

async function cdpMetrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

const mb = (bytes: number | undefined) => (bytes ?? Number.NaN) / 1_048_576;

export function longTaskFigures(
  tasks: readonly [number, number][],
  from: number,
  to: number,
): LongTaskFigures {
  const inside = tasks.filter(([start]) => start >= from && start < to).map(([, d]) => d);
  return {
    count: inside.length,
    totalBlockingMs: inside.reduce((sum, d) => sum + Math.max(0, d - BROWSER_PLAN.longTaskMs), 0),
    durationMs: distribution(inside),
  };
}

/** Record what a page fetches under /assets/ (relative to dist/client), in order. */
function recordAssets(page: Page): string[] {
  const files: string[] = [];
  page.on('response', (res: Response) => {
    const path = new URL(res.url()).pathname;
    if (path.startsWith('/assets/') && !files.includes(path.slice(1))) files.push(path.slice(1));
  });
  return files;
}

/** Wait until no new asset arrived for `quietMs` (or `maxMs` passed). */
async function waitAssetsQuiet(files: readonly string[], quietMs: number, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  let seen = files.length;
  let since = Date.now();
  while (Date.now() < deadline && Date.now() - since < quietMs) {
    await sleep(100);
    if (files.length !== seen) {
      seen = files.length;
      since = Date.now();
    }
  }
}

/** The grid worker's phone: the files `/worker` fetches when a signed-in worker opens it. */
async function workerAppFiles(url: string, username: string, password: string): Promise<string[]> {
  const phone: BrowserContextOptions = {
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    isMobile: true,
    hasTouch: true,
  };
  const browser = await launchChromium(phone);
  try {
    await signInContext(browser, url, username, password);
    const page = await browser.context.newPage();
    const files = recordAssets(page);
    await page.goto(`${url}/worker`);
    await page.locator('[data-test="worker-app"]').waitFor({ timeout: 30_000 });
    await waitAssetsQuiet(files, 2_000, 15_000);
    return [...files];
  } finally {
    await browser.close();
  }
}

/** Run the section: build if needed, start the server with the scaled city, load it, open the wall. */
export async function runBrowserSection(options: BrowserSectionOptions): Promise<BrowserResult> {
  const { repoRoot, log } = options;
  const plan = { ...BROWSER_PLAN, windowSec: options.windowSec };
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `the browser section needs Debian's Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`,
    );
  }
  const build = await ensureClientBuilt(repoRoot, log);
  const warnings: string[] = [];
  const packDir = mkdtempSync(join(tmpdir(), 'cityops-bench-pack-'));
  try {
    const pack = writeScaledCityPack(packDir, plan.sensors);
    const server = await startServerProcess({
      repoRoot,
      env: { CLIENT_DIR: clientDirOf(repoRoot), CITY_PACK: packDir, ...options.serverEnv },
      cpuProfDir: options.cpuProfDir,
    });
    try {
      return await measure(server, pack, plan, build, warnings, options);
    } catch (err) {
      log(`\nThe browser section failed. The server's last output:\n${server.output()}\n`);
      throw err;
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(packDir, { recursive: true, force: true });
  }
}

async function measure(
  server: ServerProcess,
  pack: ReturnType<typeof writeScaledCityPack>,
  plan: BrowserResult['plan'],
  build: BrowserResult['build'],
  warnings: string[],
  options: BrowserSectionOptions,
): Promise<BrowserResult> {
  const { log } = options;
  const url = server.url;
  const catalog = (await (await fetch(`${url}/api/v1/sensors?limit=1`)).json()) as { total: number };
  if (catalog.total !== plan.sensors)
    warnings.push(`the server lists ${num(catalog.total)} sensors, not ${num(plan.sensors)}`);

  const wallUser = { username: 'bench-wall', password: testPassword() };
  await createUser(url, { ...wallUser, displayName: '大屏', role: 'viewer' });
  const workerUser = { username: 'bench-worker', password: testPassword() };
  const workerId = pack.workers[0]?.id ?? null;
  if (workerId) await createUser(url, { ...workerUser, displayName: '网格员', role: 'worker', workerId });

  log(
    `server pid ${server.pid} at ${url}, ${num(catalog.total)} sensors; ` +
      `load ${num(plan.sensors / plan.periodSec)} readings/s, ${num(plan.openAlerts)} sensors breaching… `,
  );
  const load = await startCityLoad(server.mqttUrl, {
    sensors: pack.sensors,
    breaches: planBreaches(pack.sensors, plan.openAlerts),
    periodSec: plan.periodSec,
    tickMs: plan.tickMs,
    batch: plan.batch,
    maxInFlight: plan.maxInFlight,
  });
  try {
    const alertsDeadline = Date.now() + plan.alertsTimeoutMs;
    let alerts = await alertCounts(url);
    while (alerts.firing < plan.openAlerts && Date.now() < alertsDeadline) {
      await sleep(1_000);
      alerts = await alertCounts(url);
    }
    if (alerts.firing < plan.openAlerts) {
      warnings.push(
        `only ${num(alerts.firing)} alerts were firing after ${plan.alertsTimeoutMs / 1000} s of load`,
      );
    }
    log(`${num(alerts.firing)} alerts firing (${num(alerts.open)} open)\n`);

    const wall = await launchChromium();
    let result: Omit<BrowserResult, 'fetched' | 'bundles' | 'plan' | 'build' | 'warnings'> & {
      wallFiles: string[];
    };
    try {
      result = await measureWall(wall, server, plan, load, wallUser, warnings, options);
    } finally {
      await wall.close();
    }

    log('worker app on a phone… ');
    const workerFiles = workerId ? await workerAppFiles(url, workerUser.username, workerUser.password) : [];
    if (!workerId) warnings.push('the city pack has no workers: the worker app was not opened');
    log(`${workerFiles.length} files\n`);

    const bundles = bundleReport(clientDirOf(options.repoRoot), result.wallFiles, workerFiles);
    warnings.push(...bundles.warnings);
    const { wallFiles, ...rest } = result;
    return { ...rest, plan, build, fetched: { wall: wallFiles, worker: workerFiles }, bundles, warnings };
  } finally {
    await load.stop();
  }
}

async function measureWall(
  wall: TestBrowser,
  server: ServerProcess,
  plan: BrowserResult['plan'],
  load: Awaited<ReturnType<typeof startCityLoad>>,
  user: { username: string; password: string },
  warnings: string[],
  options: BrowserSectionOptions,
) {
  const { log } = options;
  await signInContext(wall, server.url, user.username, user.password);
  const page = await wall.context.newPage();
  const files = recordAssets(page);
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.addInitScript({ content: INSTRUMENT });
  const cdp = await wall.context.newCDPSession(page);
  await cdp.send('Performance.enable');

  log('wall in Chromium: first live frame… ');
  // Times are the page's own (performance.now(), from navigation start); this loop only polls them.
  // (Polled from here: the page's CSP forbids the string evaluation waitForFunction relies on.)
  await page.goto(`${server.url}/`, { waitUntil: 'domcontentloaded' });
  const frameAt = () => page.evaluate('window.__cityopsBench.firstLiveFrame') as Promise<number | null>;
  const deadline = Date.now() + plan.firstFrameTimeoutMs;
  while ((await frameAt()) === null && Date.now() < deadline) await sleep(250);
  const first = (await page.evaluate('({ ...window.__cityopsBench, longTasks: [] })')) as InstrumentState;
  if (first.firstLiveFrame === null) {
    const m = first.milestones;
    warnings.push(
      `no live frame within ${plan.firstFrameTimeoutMs / 1000} s (snapshot ${String(m.snapshot)}, fresh ` +
        `${String(m.fresh)}, map ${String(m.mapReady)} ms): the window below ran on a wall still loading`,
    );
  }
  if (first.longTaskError) warnings.push(`long tasks could not be observed: ${first.longTaskError}`);
  const wallFiles = [...files];
  const firstLiveFrameMs = first.firstLiveFrame;
  log(
    `${firstLiveFrameMs === null ? 'none' : `${num(firstLiveFrameMs)} ms`}; settling, then ${plan.windowSec} s window… `,
  );

  await sleep(plan.settleMs);
  await cdp.send('HeapProfiler.collectGarbage');
  const m0gc = await cdpMetrics(cdp);
  const server0 = sampleProc(server.pid);
  const chrome0 = chromiumCpuSec(server);
  const load0 = load.stats();
  const alerts0 = await alertCounts(server.url);
  const m0 = await cdpMetrics(cdp);
  await page.evaluate('window.__cityopsBench.startWindow()');
  const heap: number[] = [m0['JSHeapUsedSize'] ?? Number.NaN];
  const windowEnd = Date.now() + plan.windowSec * 1000;
  while (Date.now() < windowEnd) {
    await sleep(Math.min(plan.heapSampleEveryMs, windowEnd - Date.now()));
    heap.push((await cdpMetrics(cdp))['JSHeapUsedSize'] ?? Number.NaN);
  }
  const w = (await page.evaluate('window.__cityopsBench.endWindow()')) as WindowReport;
  const m1 = await cdpMetrics(cdp);
  const server1 = sampleProc(server.pid);
  const chrome1 = chromiumCpuSec(server);
  const load1 = load.stats();
  const alerts1 = await alertCounts(server.url);
  await cdp.send('HeapProfiler.collectGarbage');
  const m1gc = await cdpMetrics(cdp);
  const wallAtEnd = (await page.evaluate('window.__cityopsBench.wallState()')) as BrowserResult['wallAtEnd'];

  let screenshot: string | null = null;
  try {
    mkdirSync(dirname(options.screenshotPath), { recursive: true });
    await page.screenshot({ path: options.screenshotPath });
    screenshot = options.screenshotPath;
  } catch (err) {
    warnings.push(`no screenshot: ${String(err)}`);
  }
  log('done\n');

  const seconds = (w.end - w.start) / 1000;
  const delta = (name: string) => (m1[name] ?? Number.NaN) - (m0[name] ?? Number.NaN);
  const serverDelta = procDelta(server0, server1);
  const loadSec = (load1.elapsedMs - load0.elapsedMs) / 1000;
  if (!wallAtEnd.freshness.includes('is-fresh'))
    warnings.push(`the wall was not fresh at the end: ${wallAtEnd.freshness}`);
  if (load1.behind > load0.behind)
    warnings.push(`the load fell behind by ${num(load1.behind - load0.behind)} readings`);
  if (pageErrors.length > 0) warnings.push(`${pageErrors.length} page errors, the first: ${pageErrors[0]}`);
  const chromiumCpuPct = (100 * (chrome1 - chrome0)) / serverDelta.wallSec;
  // The machine's "others" include Chromium here: only what is left is other load on the cores.
  const othersPct = Math.max(0, serverDelta.othersPct - chromiumCpuPct);
  if (othersPct > 25) {
    warnings.push(
      `other processes used ${num(othersPct)} % CPU during the window: the figures understate the wall`,
    );
  }
  return {
    firstLiveFrameMs,
    milestonesMs: first.milestones,
    loadPhase: longTaskFigures(w.longTasks, 0, firstLiveFrameMs ?? w.start),
    window: {
      seconds,
      longTasks: longTaskFigures(w.longTasks, w.start, w.end),
      mainThreadBusyPct: (100 * delta('TaskDuration')) / seconds,
      scriptSec: delta('ScriptDuration'),
      layoutSec: delta('LayoutDuration'),
      styleSec: delta('RecalcStyleDuration'),
      framesPerSec: w.frames / seconds,
      heapMb: {
        startAfterGc: mb(m0gc['JSHeapUsedSize']),
        start: mb(m0['JSHeapUsedSize']),
        peak: mb(Math.max(...heap, m1['JSHeapUsedSize'] ?? 0)),
        end: mb(m1['JSHeapUsedSize']),
        endAfterGc: mb(m1gc['JSHeapUsedSize']),
      },
      domNodes: { start: m0['Nodes'] ?? Number.NaN, end: m1['Nodes'] ?? Number.NaN },
      server: serverDelta,
      chromiumCpuPct,
      othersPct,
    },
    load: {
      sensors: plan.sensors,
      ratePerSec: load.ratePerSec,
      acknowledgedPerSec: (load1.acknowledged - load0.acknowledged) / loadSec,
      behind: load1.behind - load0.behind,
      failed: load1.failed - load0.failed,
      total: load1,
      alertsAtWindowStart: alerts0,
      alertsAtWindowEnd: alerts1,
    },
    wallAtEnd,
    longTasksRaw: w.longTasks.filter(([start]) => start >= w.start && start < w.end),
    screenshot,
    pageErrors,
    wallFiles,
  };
}

const kb = (bytes: number) => bytes / 1000;
const ms = (v: number | null) => (v === null ? '–' : `${num(v / 1000, 1)} s`);

/** The section's figures as a Markdown table, targets beside them. */
export function browserTable(r: BrowserResult): string {
  const w = r.window;
  const lt = w.longTasks;
  const figures: [string, string, string, string, string][] = [
    [
      'Time to first live frame (navigation → snapshot on screen, fresh, map drawn)',
      r.firstLiveFrameMs === null ? 'never' : `${num(r.firstLiveFrameMs)} ms`,
      'reported',
      '—',
      `snapshot ${ms(r.milestonesMs.snapshot)} · fresh ${ms(r.milestonesMs.fresh)} · map ${ms(r.milestonesMs.mapReady)}; ` +
        `cold cache; ${num(r.loadPhase.count)} long tasks, TBT ${num(r.loadPhase.totalBlockingMs)} ms before it`,
    ],
    [
      `Long tasks (> 50 ms) in ${num(w.seconds)} s under load`,
      num(lt.count),
      'reported',
      '—',
      lt.count > 0
        ? `p50 ${num(lt.durationMs.p50)} / p95 ${num(lt.durationMs.p95)} / max ${num(lt.durationMs.max)} ms`
        : 'none',
    ],
    [
      `Total blocking time in ${num(w.seconds)} s (Σ duration − 50 ms)`,
      `${num(lt.totalBlockingMs)} ms`,
      'reported',
      '—',
      `${num((100 * lt.totalBlockingMs) / (w.seconds * 1000), 1)} % of the window`,
    ],
    [
      'Main thread busy (CDP TaskDuration)',
      `${num(w.mainThreadBusyPct)} %`,
      '—',
      '—',
      `script ${num(w.scriptSec, 1)} s, style ${num(w.styleSec, 1)} s, layout ${num(w.layoutSec, 1)} s; ` +
        `${num(w.framesPerSec)} frames/s`,
    ],
    [
      'JS heap used, after GC: window start → end',
      `${num(w.heapMb.startAfterGc, 1)} → ${num(w.heapMb.endAfterGc, 1)} MB`,
      '—',
      '—',
      `as found ${num(w.heapMb.start, 1)} → ${num(w.heapMb.end, 1)} MB, peak ${num(w.heapMb.peak, 1)} MB; ` +
        `DOM nodes ${num(w.domNodes.start)} → ${num(w.domNodes.end)}`,
    ],
  ];
  for (const b of r.bundles.rows) {
    const target = b.initialRoute ? INITIAL_ROUTE_TARGET : null;
    figures.push([
      b.title,
      `${num(kb(b.set.gzipBytes), 1)} kB gz`,
      target ? `≤ ${num(target.value)} kB gz` : '—',
      verdictOf(kb(b.set.gzipBytes), target),
      `${num(kb(b.set.rawBytes))} kB raw, ${b.set.files.length} files. ${b.notes.join(' ')}`.trim(),
    ]);
  }
  const lines = figures.map((f, i) => [String(i + 1), ...f]);
  for (const warning of r.warnings) lines.push(['⚠', warning, '', '', '', '']);
  return markdownTable(['#', 'Figure', 'Measured', 'Target', 'Verdict', 'Detail'], lines);
}

/** The load while the window ran, and the resources it took. */
export function browserLoadTable(r: BrowserResult): string {
  const l = r.load;
  const s = r.window.server;
  return markdownTable(
    [
      'Sensors',
      'Readings/s offered / acknowledged',
      'Alerts firing (open) at start → end',
      'Wall at the end',
      'Server CPU: event loop / writer / all',
      'Chromium CPU',
      'Bench / others CPU',
    ],
    [
      [
        num(l.sensors),
        `${num(l.ratePerSec)} / ${num(l.acknowledgedPerSec)}`,
        `${num(l.alertsAtWindowStart.firing)} (${num(l.alertsAtWindowStart.open)}) → ` +
          `${num(l.alertsAtWindowEnd.firing)} (${num(l.alertsAtWindowEnd.open)})`,
        `sensors "${r.wallAtEnd.sensors}", ${r.wallAtEnd.freshness.includes('is-fresh') ? 'fresh' : 'NOT fresh'}`,
        `${num(s.mainPct)} / ${num(s.busiestOtherPct)} / ${num(s.cpuPct)} %`,
        `${num(r.window.chromiumCpuPct)} %`,
        `${num(s.benchPct)} / ${num(r.window.othersPct)} %`,
      ],
    ],
  );
}

/** What the wall's initial route is made of (rendered code before minification, by package). */
export function largestText(r: BrowserResult): string {
  return r.bundles.wallLargest
    .map((m) => `${m.name} ${num(kb(m.bytes))} kB (${num(100 * m.share)} %)`)
    .join(', ');
}
