/**
 * The CityOps ingest and fan-out benchmark (`npm run bench`). Starts the real
 * server as a child process, drives it through MQTT, HTTP and Socket.IO from
 * this process, prints the figures as Markdown tables and writes them to
 * bench-results/bench-<timestamp>.json. Targets are reported, never asserted:
 * the exit code is 0 unless something crashes. See docs/BENCHMARKS.md. First, without a
 * server, the anomaly detector's quality on labelled series (detectorQuality.ts) and the
 * rule engine's throughput on one core (engineThroughput.ts). Last, the wall in headless Chromium
 * under 10,000 sensors and 1,000 open alerts, and the bundle sizes (browser.ts).
 *
 *   npm run bench [-- --rows mqtt-batched,fanout,browser] [--server-env PUSH_INTERVAL_MS=50] [--cpu-prof DIR]
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
import { measuredText, resultsTable, serverTable, serverTableLegend, verdictOf } from './report';
import { PLAN, ROW_IDS, ROWS, warmUp, type RowId, type RowResult } from './rows';
import { num } from './table';
import { installAuthenticatedFetch } from '../helpers/auth';
import { CHROMIUM_PATH } from '../helpers/browser';
import { startServerProcess } from './serverProcess';

// Requests to the bench's server carry its admin token (test/helpers/auth.ts).
installAuthenticatedFetch();

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `--rows` takes the server rows and `browser` (the browser section, with its own server). */
const SECTION_IDS = [...ROW_IDS, 'browser'] as const;

interface Options {
  rows: RowId[];
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
    },
  });
  const rows = values.rows?.split(',') ?? [...SECTION_IDS];
  for (const id of rows) {
    if (!(SECTION_IDS as readonly string[]).includes(id)) {
      throw new Error(`unknown row ${id}; the rows are ${SECTION_IDS.join(', ')}`);
    }
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
    rows: rows.filter((id): id is RowId => id !== 'browser'),
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
  if (!options.engineOnly) {
    process.stdout.write('anomaly detector on labelled series… ');
    detectorQuality = runDetectorQuality();
    process.stdout.write(`\n\n### Anomaly detector quality\n\n${detectorQualityTable(detectorQuality)}\n\n`);
    if (options.detectorOnly) {
      writeReport(startedAt, { startedAt: startedAt.toISOString(), machine, commit, detectorQuality });
      return;
    }
  }

  process.stdout.write('rule engine throughput, one core:\n');
  const engineThroughput = runEngineThroughput({
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

  const rows: RowResult[] = [];
  if (options.rows.length > 0) rows.push(...(await serverRows(options, pushIntervalMs)));

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
    browser,
  });
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
