/**
 * The CityOps ingest and fan-out benchmark (`npm run bench`). Starts the real
 * server as a child process, drives it through MQTT, HTTP and Socket.IO from
 * this process, prints the figures as Markdown tables and writes them to
 * bench-results/bench-<timestamp>.json. Targets are reported, never asserted:
 * the exit code is 0 unless something crashes. See docs/BENCHMARKS.md. First, without a
 * server, the anomaly detector's quality on labelled series (detectorQuality.ts) and the
 * rule engine's throughput on one core (engineThroughput.ts). Last, the wall in headless Chromium
 * under 10,000 sensors and 1,000 open alerts, and the bundle sizes (browser.ts). Between them, the
 * raw broker pass-through reference (brokerReference.ts) and the end-to-end rows at fixed offered
 * loads with 50 dashboards (endToEnd.ts), compared with it and with the issue's targets (e2eReport.ts).
 *
 *   npm run bench [-- --rows mqtt-batched,fanout,e2e,browser] [--server-env PUSH_INTERVAL_MS=50] [--cpu-prof DIR]
 *   npm run bench -- --rows broker,e2e [--loads 1000,10000] [--row-seconds 3]   (reference and end to end only)
 *   npm run bench -- --detector-only      (only the anomaly detector section)
 *   npm run bench -- --engine-only        (only the rule engine throughput section)
 *   npm run bench -- --browser-only [--browser-window-s 60]   (only the browser section)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Sensor } from '../../shared/schemas/sensor.schema';
import {
  BROWSER_PLAN,
  browserLoadTable,
  browserTable,
  largestText,
  runBrowserSection,
  type BrowserResult,
} from './browser';
import { detectorQualityTable, runDetectorQuality, type DetectorQualityRow } from './detectorQuality';
import {
  ENGINE_PLAN,
  engineThroughputLegend,
  engineThroughputTable,
  runEngineThroughput,
  type EngineThroughputRow,
} from './engineThroughput';
import { ReadingFactory } from '../../simulators/src/load/readingFactory';
import { loadCityPack, DEFAULT_CITY_PACK_DIR } from '../../server/src/cityPack/cityPack.loader';
import {
  runReference,
  SHAPES,
  startAedes,
  startMosquitto,
  MOSQUITTO_PATH,
  type BrokerName,
  type ReferenceRow,
} from './brokerReference';
import { planBreaches } from './browserLoad';
import { startDashboards } from './dashboardsProcess';
import {
  compare,
  comparisonTable,
  endToEndTable,
  maxComparisonTable,
  referenceTable,
  targetLines,
  latencyText,
  rowTitle,
  targetsTable,
  BROKERS,
  type PlatformMax,
} from './e2eReport';
import {
  E2E_PLAN,
  loadLabel,
  runE2eRow,
  TRANSPORT_IDS,
  warmUpE2e,
  type E2eRow,
  type Transport,
} from './endToEnd';
import { planInjections } from './liveReadings';
import { measuredText, resultsTable, serverTable, serverTableLegend, verdictOf } from './report';
import { PLAN, ROW_IDS, ROWS, warmUp, type RowId, type RowResult } from './rows';
import { num } from './table';
import { installAuthenticatedFetch, tokenFor } from '../helpers/auth';
import { CHROMIUM_PATH } from '../helpers/browser';
import { CLUSTER_PLAN, clusterLegend, clusterTable, runClusterSection, type ClusterRow } from './cluster';
import { startServerProcess } from './serverProcess';

// Requests to the bench's server carry its admin token (test/helpers/auth.ts).
installAuthenticatedFetch();

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const BROKER_IDS = ['broker-aedes', 'broker-mosquitto'] as const;
const E2E_IDS = TRANSPORT_IDS.map((t) => `e2e-${t}` as const);
/**
 * `--rows` takes the sections: `detector`, `engine`, the server rows, the broker references, the
 * end-to-end transports and `browser` (with its own server). Without it every section runs.
 */
const SECTION_IDS = [
  'detector',
  'engine',
  ...ROW_IDS,
  ...BROKER_IDS,
  ...E2E_IDS,
  'cluster',
  'browser',
] as const;
/** Names for several sections at once. */
const SECTION_GROUPS: Record<string, readonly string[]> = { broker: BROKER_IDS, e2e: E2E_IDS };

/** Length of the reference rows: the closed-loop maximum and each paced load, ms. */
const REFERENCE_PLAN = { maxMs: 6_000, pacedMs: 5_000 } as const;

interface Options {
  rows: RowId[];
  /** Run the anomaly detector and the rule engine sections. */
  detector: boolean;
  engine: boolean;
  /** Brokers to measure the pass-through reference of. */
  brokers: BrokerName[];
  /** End-to-end transports to run at each load. */
  transports: Transport[];
  /** Offered loads of the end-to-end rows and the paced reference, readings/s. */
  loads: number[];
  /** Overrides the length of every reference and end-to-end row (smoke runs), ms. */
  rowMs: number | null;
  /** Run the scale-out section: one node on SQLite and PostgreSQL, clusters of 1–3 nodes. */
  cluster: boolean;
  /** Run the browser section (after the server rows). */
  browser: boolean;
  /** Only the browser section: no detector, engine or server rows. */
  browserOnly: boolean;
  /** Length of the browser section's measured window, s. */
  browserWindowSec: number;
  /** Config variables for the server (experiments: PUSH_INTERVAL_MS, WRITE_FLUSH_MS, …). */
  serverEnv: Record<string, string>;
  cpuProfDir: string | undefined;
  /** Only the anomaly detector section: no server. */
  detectorOnly: boolean;
  /** Only the rule engine throughput section: no server. */
  engineOnly: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string' },
      'server-env': { type: 'string', multiple: true },
      'cpu-prof': { type: 'string' },
      'detector-only': { type: 'boolean' },
      'engine-only': { type: 'boolean' },
      'browser-only': { type: 'boolean' },
      'browser-window-s': { type: 'string' },
      loads: { type: 'string' },
      'row-seconds': { type: 'string' },
    },
  });
  const rows = values.rows?.split(',').flatMap((id) => SECTION_GROUPS[id] ?? [id]) ?? [...SECTION_IDS];
  for (const id of rows) {
    if (!(SECTION_IDS as readonly string[]).includes(id)) {
      throw new Error(
        `unknown row ${id}; the rows are ${SECTION_IDS.join(', ')} (and ${Object.keys(SECTION_GROUPS).join(', ')} for several)`,
      );
    }
  }
  const loads = values.loads?.split(',').map(Number) ?? [...E2E_PLAN.loads];
  for (const l of loads) {
    if (!Number.isInteger(l) || l < 10 || l > 1_000_000) {
      throw new Error(`--loads wants readings per second between 10 and 1,000,000, got ${values.loads}`);
    }
  }
  const rowSeconds = values['row-seconds'] === undefined ? null : Number(values['row-seconds']);
  if (rowSeconds !== null && (!Number.isFinite(rowSeconds) || rowSeconds < 1 || rowSeconds > 600)) {
    throw new Error(`--row-seconds wants seconds between 1 and 600, got ${values['row-seconds']}`);
  }
  const browserWindowSec = Number(values['browser-window-s'] ?? BROWSER_PLAN.windowSec);
  if (!Number.isFinite(browserWindowSec) || browserWindowSec < 1 || browserWindowSec > 3600) {
    throw new Error(`--browser-window-s wants seconds between 1 and 3600, got ${values['browser-window-s']}`);
  }
  const serverEnv: Record<string, string> = {};
  for (const kv of values['server-env'] ?? []) {
    const at = kv.indexOf('=');
    if (at < 1) throw new Error(`--server-env wants KEY=VALUE, got ${kv}`);
    serverEnv[kv.slice(0, at)] = kv.slice(at + 1);
  }
  return {
    rows: rows.filter((id): id is RowId => (ROW_IDS as readonly string[]).includes(id)),
    detector: rows.includes('detector'),
    engine: rows.includes('engine'),
    brokers: BROKERS.filter((b) => rows.includes(`broker-${b}`)),
    transports: TRANSPORT_IDS.filter((t) => rows.includes(`e2e-${t}`)),
    loads,
    rowMs: rowSeconds === null ? null : rowSeconds * 1000,
    cluster: rows.includes('cluster'),
    browser: rows.includes('browser'),
    browserOnly: values['browser-only'] ?? false,
    browserWindowSec,
    serverEnv,
    cpuProfDir: values['cpu-prof'],
    detectorOnly: values['detector-only'] ?? false,
    engineOnly: values['engine-only'] ?? false,
  };
}

async function loadSensors(url: string): Promise<Sensor[]> {
  const res = await fetch(`${url}/api/v1/sensors?limit=5000`);
  if (!res.ok) throw new Error(`GET /api/v1/sensors answered ${res.status}`);
  const body = (await res.json()) as { items: Sensor[]; total: number };
  if (body.items.length !== body.total) throw new Error(`got ${body.items.length} of ${body.total} sensors`);
  return body.items;
}

function gitCommit(): string | null {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: repoRoot,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'server', 'shared') !== '';
    return dirty ? `${head} + uncommitted server changes` : head;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  const startedAt = new Date();
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
  };
  const commit = gitCommit();
  const pushIntervalMs = Number(options.serverEnv['PUSH_INTERVAL_MS'] ?? 100);
  process.stdout.write(
    `CityOps benchmark, ${startedAt.toISOString()}: ${machine.cores} × ${machine.cpu}, Node ${machine.node}, ` +
      `load average ${machine.loadAverage.join(' ')}${commit ? `, commit ${commit}` : ''}` +
      `${Object.keys(options.serverEnv).length > 0 ? `, server env ${JSON.stringify(options.serverEnv)}` : ''}\n`,
  );

  if (options.browserOnly) {
    const browser = await browserSection(options, startedAt);
    writeReport(startedAt, {
      startedAt: startedAt.toISOString(),
      machine,
      commit,
      serverEnv: options.serverEnv,
      browser,
    });
    return;
  }

  let detectorQuality: DetectorQualityRow[] | undefined;
  if (!options.engineOnly && (options.detector || options.detectorOnly)) {
    process.stdout.write('anomaly detector on labelled series… ');
    detectorQuality = runDetectorQuality();
    process.stdout.write(`\n\n### Anomaly detector quality\n\n${detectorQualityTable(detectorQuality)}\n\n`);
    if (options.detectorOnly) {
      writeReport(startedAt, { startedAt: startedAt.toISOString(), machine, commit, detectorQuality });
      return;
    }
  }

  let engineThroughput: EngineThroughputRow[] | undefined;
  if (options.engine || options.engineOnly) {
    process.stdout.write('rule engine throughput, one core:\n');
    engineThroughput = runEngineThroughput({
      onRow: (row) =>
        process.stdout.write(`  ${row.title}: ${num(row.readingsPerSec)} readings/s  ${row.verdict}\n`),
    });
    process.stdout.write(
      `\n### Rule engine throughput\n\n${engineThroughputTable(engineThroughput)}\n\n${engineThroughputLegend()}\n\n`,
    );
    if (options.engineOnly) {
      writeReport(startedAt, {
        startedAt: startedAt.toISOString(),
        machine,
        commit,
        enginePlan: ENGINE_PLAN,
        engineThroughput,
      });
      return;
    }
  }

  const rows: RowResult[] = [];
  if (options.rows.length > 0) rows.push(...(await serverRows(options, pushIntervalMs)));

  // The reference right before the end-to-end rows, so that both meet the machine in the same state.
  const reference = options.brokers.length > 0 ? await referenceSection(options) : [];
  const endToEnd = options.transports.length > 0 ? await endToEndSection(options, pushIntervalMs) : [];
  const platformMax: PlatformMax[] = rows.flatMap((r) =>
    r.id === 'mqtt-batched' || r.id === 'mqtt-single'
      ? [{ row: r.id, shape: r.id === 'mqtt-batched' ? 'batched' : 'single', readingsPerSec: r.value }]
      : [],
  );
  const comparison = compare(endToEnd, reference);
  const targets =
    endToEnd.length > 0 || reference.length > 0 ? targetLines(endToEnd, reference, platformMax) : [];
  if (reference.length > 0 || endToEnd.length > 0) printComparison(endToEnd, reference, platformMax, targets);

  let cluster: ClusterRow[] | undefined;
  if (options.cluster) {
    process.stdout.write('\nscale-out: one node on SQLite and PostgreSQL, then clusters of 1, 2, 3 nodes:\n');
    cluster = await runClusterSection(repoRoot, (text) => process.stdout.write(text));
    process.stdout.write(`\n### Scale-out (issue 9)\n\n${clusterTable(cluster)}\n\n${clusterLegend()}\n`);
  }

  // The browser section runs last, with its own server; without Chromium it is skipped, and if it
  // fails the figures above are still written (and the exit code says it failed).
  let browser: BrowserResult | { skipped: string } | { failed: string } | undefined;
  if (options.browser) {
    if (!existsSync(CHROMIUM_PATH)) {
      browser = { skipped: `no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)` };
      process.stdout.write(`\nbrowser section skipped: ${browser.skipped}\n`);
    } else {
      try {
        browser = await browserSection(options, startedAt);
      } catch (err) {
        browser = { failed: err instanceof Error ? (err.stack ?? err.message) : String(err) };
        process.stderr.write(`\nThe browser section crashed:\n${browser.failed}\n`);
        process.exitCode = 1;
      }
    }
  }

  writeReport(startedAt, {
    startedAt: startedAt.toISOString(),
    machine,
    commit,
    serverEnv: options.serverEnv,
    plan: PLAN,
    rows: rows.map((r) => ({ ...r, verdict: verdictOf(r.value, r.target) })),
    detectorQuality,
    enginePlan: ENGINE_PLAN,
    engineThroughput,
    referencePlan: { ...REFERENCE_PLAN, shapes: SHAPES, loads: options.loads, rowMs: options.rowMs },
    reference,
    e2ePlan: { ...E2E_PLAN, loads: options.loads, rowMs: options.rowMs },
    endToEnd,
    platformMax,
    comparison,
    targets,
    clusterPlan: CLUSTER_PLAN,
    cluster,
    browser,
  });
}

/** The bare brokers, one after the other: each shape's maximum, then each shape at each load. */
async function referenceSection(options: Options): Promise<ReferenceRow[]> {
  // Same sensors and readings as the end-to-end rows (the default city pack), without a server.
  const readings = new ReadingFactory(loadCityPack(DEFAULT_CITY_PACK_DIR).sensors);
  const rows: ReferenceRow[] = [];
  process.stdout.write('\nraw broker pass-through (publish → subscriber, no platform):\n');
  for (const name of options.brokers) {
    const broker = name === 'aedes' ? await startAedes(repoRoot) : await startMosquitto();
    if (!broker) {
      process.stdout.write(`  ${name} skipped: no binary at ${MOSQUITTO_PATH}\n`);
      continue;
    }
    try {
      const plan = [
        ...(['batched', 'single'] as const).map((shape) => ({ shape, offeredPerSec: null })),
        ...(['batched', 'single'] as const).flatMap((shape) =>
          options.loads.map((offeredPerSec) => ({ shape, offeredPerSec })),
        ),
      ];
      for (const [i, p] of plan.entries()) {
        const durationMs =
          options.rowMs ?? (p.offeredPerSec === null ? REFERENCE_PLAN.maxMs : REFERENCE_PLAN.pacedMs);
        const row = await runReference(broker, { ...p, durationMs, readings, seed: 100 + i });
        process.stdout.write(
          `  ${broker.name} ${p.shape} ${p.offeredPerSec === null ? 'max' : `${loadLabel(p.offeredPerSec)}/s`}: ` +
            `${num(row.readingsPerSec)} readings/s, publish → subscriber ${latencyText(row.latencyMs)}` +
            `${row.warnings.length > 0 ? `  ⚠ ${row.warnings.join('; ')}` : ''}\n`,
        );
        rows.push(row);
      }
    } finally {
      await broker.stop();
    }
  }
  process.stdout.write(`\n### Raw broker pass-through (reference)\n\n${referenceTable(rows)}\n`);
  return rows;
}

/**
 * The end-to-end rows against a fresh server (no earlier rows' alerts or data) with the
 * dashboards in their own process: each transport at each load, a few breaches in each row.
 */
async function endToEndSection(options: Options, pushIntervalMs: number): Promise<E2eRow[]> {
  const server = await startServerProcess({
    repoRoot,
    env: options.serverEnv,
    cpuProfDir: options.cpuProfDir,
  });
  const rows: E2eRow[] = [];
  let dashboards: Awaited<ReturnType<typeof startDashboards>> | null = null;
  try {
    dashboards = await startDashboards(repoRoot);
    const sensors = await loadSensors(server.url);
    // Batched MQTT also runs closed loop: the platform's maximum for the throughput target.
    const plan = options.transports.flatMap((transport) => [
      ...options.loads.map((offeredPerSec): { transport: Transport; offeredPerSec: number | null } => ({
        transport,
        offeredPerSec,
      })),
      ...(transport === 'mqtt-batched' ? [{ transport, offeredPerSec: null }] : []),
    ]);
    const durationMs = options.rowMs ?? E2E_PLAN.durationMs;
    const breaches = planInjections(
      planBreaches(sensors, plan.length * E2E_PLAN.breachesPerRow),
      plan.length,
      E2E_PLAN.breachesPerRow,
    );
    const token = tokenFor(server.url);
    if (!token) throw new Error('the bench has no admin token for its server');
    const clients = await dashboards.connect({ url: server.url, token, clients: E2E_PLAN.clients });
    if (clients !== E2E_PLAN.clients)
      throw new Error(`only ${clients} of ${E2E_PLAN.clients} dashboards connected`);
    const ctx = { server, dashboards, readings: new ReadingFactory(sensors), clients, pushIntervalMs };
    process.stdout.write(
      `\nend to end: server pid ${server.pid}, ${sensors.length} sensors, ${clients} dashboards (city) in pid ` +
        `${dashboards.pid}; warming up…\n`,
    );
    await warmUpE2e(ctx);
    for (const [i, p] of plan.entries()) {
      process.stdout.write(`  ${rowTitle(p)}… `);
      const row = await runE2eRow(ctx, { ...p, durationMs, breaches: breaches[i]!, seed: 200 + i });
      process.stdout.write(
        `${num(row.achievedPerSec)} readings/s, screen ${latencyText(row.screenMs)}, alert ${latencyText(row.alertMs)} ` +
          `(raised ${latencyText(row.alertSplit.raisedMs)}, delivered ${latencyText(row.alertSplit.deliveredMs)}, ` +
          `to the first dashboard ${latencyText(row.alertSplit.firstDeliveredMs)})` +
          `${row.warnings.length > 0 ? `  ⚠ ${row.warnings.length} warning(s)` : ''}\n`,
      );
      rows.push(row);
    }
  } catch (err) {
    process.stderr.write(`\nThe end-to-end rows crashed. The server's last output:\n${server.output()}\n`);
    throw err;
  } finally {
    await dashboards?.close();
    await server.stop();
  }
  process.stdout.write(`\n### End to end, paced, 50 dashboards\n\n${endToEndTable(rows)}\n`);
  return rows;
}

function printComparison(
  endToEnd: readonly E2eRow[],
  reference: readonly ReferenceRow[],
  platformMax: readonly PlatformMax[],
  targets: ReturnType<typeof targetLines>,
): void {
  const comparisons = compare(endToEnd, reference);
  for (const broker of BROKERS) {
    if (endToEnd.length === 0 || !reference.some((r) => r.broker === broker)) continue;
    process.stdout.write(
      `\n### End to end against ${broker} (same shape, same offered load)\n\n` +
        `${comparisonTable(comparisons, endToEnd, broker)}\n`,
    );
  }
  if (platformMax.length > 0 && reference.length > 0) {
    process.stdout.write(
      `\n### Platform maximum against the broker maximum\n\n${maxComparisonTable(platformMax, reference)}\n`,
    );
  }
  if (targets.length > 0) process.stdout.write(`\n### Targets (issue 8)\n\n${targetsTable(targets)}\n`);
}

/** The server rows (ingest and fan-out) against one server process; prints their tables. */
async function serverRows(options: Options, pushIntervalMs: number): Promise<RowResult[]> {
  const server = await startServerProcess({
    repoRoot,
    env: options.serverEnv,
    cpuProfDir: options.cpuProfDir,
  });
  const rows: RowResult[] = [];
  try {
    const sensors = await loadSensors(server.url);
    const ctx = { server, factory: new ReadingFactory(sensors), pushIntervalMs };
    process.stdout.write(
      `server pid ${server.pid} at ${server.url}, ${sensors.length} sensors; warming up…\n`,
    );
    await warmUp(ctx);
    for (const id of options.rows) {
      process.stdout.write(`running ${id}… `);
      const row = await ROWS[id](ctx);
      process.stdout.write(`${measuredText(row)}  ${verdictOf(row.value, row.target)}\n`);
      rows.push(row);
    }
  } catch (err) {
    process.stderr.write(`\nThe benchmark crashed. The server's last output:\n${server.output()}\n`);
    throw err;
  } finally {
    await server.stop();
  }

  const notes = rows.flatMap((r, i) => r.notes.map((n) => `- ${i + 1}. ${n}`));
  process.stdout.write(
    `\n### Results\n\n${resultsTable(rows)}\n\n${notes.join('\n')}\n\n` +
      `### Server during each row\n\n${serverTable(rows)}\n\n${serverTableLegend(cpus().length)}\n`,
  );
  return rows;
}

/** The browser section (browser.ts): prints its tables and returns its figures. */
async function browserSection(options: Options, startedAt: Date): Promise<BrowserResult> {
  process.stdout.write('\nbrowser section: ');
  const result = await runBrowserSection({
    repoRoot,
    windowSec: options.browserWindowSec,
    serverEnv: options.serverEnv,
    cpuProfDir: options.cpuProfDir,
    screenshotPath: join(repoRoot, 'bench-results', `bench-${stampOf(startedAt)}-wall.png`),
    log: (text) => process.stdout.write(text),
  });
  process.stdout.write(
    `\n### Browser: the wall under load\n\n${browserTable(result)}\n\n` +
      `Load during the window:\n\n${browserLoadTable(result)}\n\n` +
      `Largest parts of the wall's initial route (rendered code before minification): ${largestText(result)}.\n` +
      (result.screenshot
        ? `Screenshot of the wall at the end: ${relative(process.cwd(), result.screenshot)}\n`
        : ''),
  );
  return result;
}

function stampOf(startedAt: Date): string {
  return startedAt.toISOString().replace(/[:.]/g, '-');
}

function writeReport(
  startedAt: Date,
  report: Record<string, unknown> & {
    detectorQuality?: DetectorQualityRow[];
    engineThroughput?: EngineThroughputRow[];
  },
): void {
  const outDir = join(repoRoot, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `bench-${stampOf(startedAt)}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\nWrote ${relative(process.cwd(), file)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
