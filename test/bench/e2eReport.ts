import type { BrokerName, ReferenceRow, Shape } from './brokerReference';
import { loadLabel, TRANSPORTS, type E2eRow, type Transport } from './endToEnd';
import { targetText, verdictOf } from './report';
import type { Target } from './rows';
import { markdownTable, num } from './table';

/** The issue's targets for the end-to-end rows, on these 2-core machines. */
export const E2E_TARGETS = {
  /** The offered load the latency targets apply at, readings/s. */
  atPerSec: 10_000,
  /** Publish of a breaching reading → `alert:raised` at the dashboards, p99. */
  alertP99Ms: 50,
  /** Publish → the reading in a `readings:batch` at the dashboards, p99. */
  screenP99Ms: 250,
  /** Batched platform throughput ÷ the bare broker's pass-through, same shape and window. */
  batchedThroughputShare: 0.5,
} as const;

export const BROKERS: readonly BrokerName[] = ['aedes', 'mosquitto'];

/** `value ÷ reference`, or null when either is missing, not finite, or the reference is 0. */
export function ratio(value: number | null | undefined, reference: number | null | undefined): number | null {
  if (value === null || value === undefined || reference === null || reference === undefined) return null;
  if (!Number.isFinite(value) || !Number.isFinite(reference) || reference <= 0) return null;
  return value / reference;
}

/** A share as a percentage: 0.431 → "43 %"; below 1 % one decimal; "—" when there is none. */
export function shareText(r: number | null): string {
  if (r === null) return '—';
  return `${num(100 * r, r < 0.01 ? 1 : 0)} %`;
}

/** A factor: 45.2 → "×45", 3.14 → "×3.1", 0.42 → "×0.42"; "—" when there is none. */
export function timesText(r: number | null): string {
  if (r === null) return '—';
  return `×${num(r, r >= 10 ? 0 : r >= 1 ? 1 : 2)}`;
}

/** "p50 / p99 ms" with one decimal; "—" for a distribution without samples. */
export function latencyText(d: { count: number; p50: number; p99: number }): string {
  return d.count > 0 ? `${num(d.p50, 1)} / ${num(d.p99, 1)} ms` : '—';
}

/** "MQTT batched (500/msg) at 10k/s", or "… at max (closed loop)". */
export function rowTitle(row: Pick<E2eRow, 'transport' | 'offeredPerSec'>): string {
  const load = row.offeredPerSec === null ? 'max (closed loop)' : `${loadLabel(row.offeredPerSec)}/s`;
  return `${TRANSPORTS[row.transport].title} at ${load}`;
}

/** The reference row of `broker` for a shape: the paced one at `offeredPerSec`, or the maximum (null). */
export function findReference(
  refs: readonly ReferenceRow[],
  broker: BrokerName,
  shape: Shape,
  offeredPerSec: number | null,
): ReferenceRow | undefined {
  return refs.find((r) => r.broker === broker && r.shape === shape && r.offeredPerSec === offeredPerSec);
}

/** A pair of ratios: of the p50s and of the p99s. */
export interface LatencyRatio {
  p50: number | null;
  p99: number | null;
}

/** One end-to-end row against one broker's pass-through. */
export interface Comparison {
  id: string;
  broker: BrokerName;
  /** Achieved ÷ offered: did the platform keep up with the load? */
  ofOffered: number | null;
  /** Achieved ÷ the broker's maximum pass-through for the same shape. */
  ofBrokerMax: number | null;
  /** Reading → screen ÷ publish → subscriber through the broker at the same shape and offered load. */
  screen: LatencyRatio;
  /** Alert latency ÷ the same pass-through latency. */
  alert: LatencyRatio;
}

const latencyRatio = (
  platform: { count: number; p50: number; p99: number },
  ref: ReferenceRow | undefined,
): LatencyRatio =>
  platform.count > 0 && ref && ref.latencyMs.count > 0
    ? { p50: ratio(platform.p50, ref.latencyMs.p50), p99: ratio(platform.p99, ref.latencyMs.p99) }
    : { p50: null, p99: null };

/** Every end-to-end row against every broker measured in the run. */
export function compare(rows: readonly E2eRow[], refs: readonly ReferenceRow[]): Comparison[] {
  return BROKERS.filter((b) => refs.some((r) => r.broker === b)).flatMap((broker) =>
    rows.map((row) => {
      const paced = findReference(refs, broker, row.shape, row.offeredPerSec);
      const max = findReference(refs, broker, row.shape, null);
      return {
        id: row.id,
        broker,
        ofOffered: ratio(row.achievedPerSec, row.offeredPerSec),
        ofBrokerMax: ratio(row.achievedPerSec, max?.readingsPerSec),
        screen: latencyRatio(row.screenMs, paced),
        alert: latencyRatio(row.alertMs, paced),
      };
    }),
  );
}

/** A closed-loop platform maximum from the server rows (rows.ts): no dashboards, same window as the reference. */
export interface PlatformMax {
  /** The server row it comes from (mqtt-batched, mqtt-single, http-batched). */
  row: string;
  shape: Shape;
  readingsPerSec: number;
}

/** One target of the issue with the figure measured and the verdict (how far off, when missed). */
export interface TargetLine {
  target: string;
  /** Where the figure comes from. */
  source: string;
  measured: number | null;
  unit: string;
  threshold: Target;
  verdict: string;
}

const NOT_MEASURED = '— not measured';

function latencyTarget(
  rows: readonly E2eRow[],
  transport: Transport,
  what: 'alert' | 'screen',
  limitMs: number,
): TargetLine {
  const row = rows.find((r) => r.transport === transport && r.offeredPerSec === E2E_TARGETS.atPerSec);
  const d = row ? (what === 'alert' ? row.alertMs : row.screenMs) : null;
  const measured = d && d.count > 0 ? d.p99 : null;
  const threshold: Target = { kind: 'max', value: limitMs, unit: 'ms' };
  return {
    target: `${what === 'alert' ? 'Alert latency' : 'Reading → screen'} p99 at ${loadLabel(E2E_TARGETS.atPerSec)} readings/s, ${TRANSPORTS[transport].title}`,
    source: row ? row.id : `no ${transport} row at ${loadLabel(E2E_TARGETS.atPerSec)}/s in this run`,
    measured,
    unit: 'ms',
    threshold,
    verdict: measured === null ? NOT_MEASURED : verdictOf(measured, threshold),
  };
}

/**
 * The issue's targets: alert and reading-to-screen p99 at 10k readings/s for each transport run,
 * and batched throughput ≥ 50 % of each broker's pass-through. The platform's batched figure is,
 * in order of preference: the end-to-end closed-loop batched MQTT row (the quiet city, rules,
 * store and 50 dashboards, same shape and window as the reference); the server rows'
 * `mqtt-batched` (same window, no dashboards, random values that keep raising alerts); the best
 * paced batched MQTT row, a lower bound of the maximum.
 */
export function targetLines(
  rows: readonly E2eRow[],
  refs: readonly ReferenceRow[],
  platformMax: readonly PlatformMax[],
): TargetLine[] {
  const transports = [...new Set(rows.map((r) => r.transport))];
  const lines: TargetLine[] = [
    ...transports.map((t) => latencyTarget(rows, t, 'alert', E2E_TARGETS.alertP99Ms)),
    ...transports.map((t) => latencyTarget(rows, t, 'screen', E2E_TARGETS.screenP99Ms)),
  ];
  const batched = rows.filter((r) => r.transport === 'mqtt-batched');
  const e2eMax = batched.find((r) => r.offeredPerSec === null);
  const closed = platformMax.find((m) => m.row === 'mqtt-batched');
  const paced = [...batched].sort((a, b) => b.achievedPerSec - a.achievedPerSec)[0];
  const platform = e2eMax
    ? { value: e2eMax.achievedPerSec, source: `${e2eMax.id} (closed loop, 4 × 4 × 500 in flight)` }
    : closed
      ? {
          value: closed.readingsPerSec,
          source: 'server row mqtt-batched (closed loop, 4 × 4 × 500 in flight, no dashboards)',
        }
      : paced
        ? { value: paced.achievedPerSec, source: `${paced.id} (paced: a lower bound of the maximum)` }
        : null;
  for (const broker of BROKERS) {
    const ref = findReference(refs, broker, 'batched', null);
    if (!ref && !refs.some((r) => r.broker === broker)) continue;
    const share = E2E_TARGETS.batchedThroughputShare;
    const threshold: Target = ref
      ? { kind: 'min', value: share * ref.readingsPerSec, unit: 'readings/s' }
      : { kind: 'min', value: Number.NaN, unit: 'readings/s' };
    const measured = platform?.value ?? null;
    lines.push({
      target: `Batched throughput ≥ ${num(100 * share)} % of ${broker} pass-through${ref ? ` (${num(ref.readingsPerSec)} readings/s)` : ''}`,
      source: platform
        ? `${platform.source}: ${shareText(ratio(measured, ref?.readingsPerSec))} of it`
        : 'no batched platform row in this run',
      measured,
      unit: 'readings/s',
      threshold,
      verdict: measured === null || !ref ? NOT_MEASURED : verdictOf(measured, threshold),
    });
  }
  return lines;
}

const seconds = (ms: number) => `${num(ms / 1000, 1)} s`;

function referenceLoad(r: ReferenceRow): string {
  const shape = r.shape === 'batched' ? 'batched 500/msg' : 'single 1/msg';
  return r.offeredPerSec === null
    ? `${shape}, max (closed loop)`
    : `${shape}, ${loadLabel(r.offeredPerSec)} readings/s paced`;
}

/** The bare brokers: pass-through throughput and latency, what their process spent. */
export function referenceTable(refs: readonly ReferenceRow[]): string {
  const lines: string[][] = [];
  refs.forEach((r, i) => {
    lines.push([
      String(i + 1),
      `${r.broker} ${r.brokerVersion}`,
      referenceLoad(r),
      num(r.readingsPerSec),
      num(r.messagesPerSec),
      latencyText(r.latencyMs),
      `${num(r.proc.cpuPct)} %`,
      `${num(r.load.acked)} msgs in ${seconds(r.load.elapsedMs)}; bench ${num(r.proc.benchPct)} %, others ${num(r.proc.othersPct)} %`,
    ]);
    for (const w of r.warnings) lines.push(['⚠', w, '', '', '', '', '', '']);
  });
  return markdownTable(
    [
      '#',
      'Broker',
      'Load',
      'Readings/s delivered',
      'Msgs/s',
      'Publish → subscriber p50 / p99',
      'Broker CPU',
      'Work',
    ],
    lines,
  );
}

/** The platform end to end: throughput, the count check, latencies, lag and resources. */
export function endToEndTable(rows: readonly E2eRow[]): string {
  const lines: string[][] = [];
  rows.forEach((r, i) => {
    const c = r.counts;
    const balanced = c.published === c.received && c.received === c.accepted + c.rejected;
    lines.push([
      String(i + 1),
      rowTitle(r),
      `${num(r.achievedPerSec)} (${r.offeredPerSec === null ? 'max' : shareText(ratio(r.achievedPerSec, r.offeredPerSec))})`,
      `${num(c.published)} = ${num(c.accepted)} + ${num(c.rejected)} ${balanced ? '✓' : '✗'}`,
      `${latencyText(r.screenMs)} (${shareText(r.screenCoverage)} shown)`,
      `${latencyText(r.alertMs)} (${r.alerts.received}/${r.alerts.expected})`,
      r.loopLagMs ? `${num(r.loopLagMs.p99Ms, 1)} ms` : '—',
      `${num(r.server.cpuPct)} % · ${num(r.rssPeakMb)} MB`,
      `${num(r.dashboards.cpuPct)} % · lag ${num(r.dashboards.loopLagP99Ms, 1)} ms`,
    ]);
    for (const w of r.warnings) lines.push(['⚠', w, '', '', '', '', '', '', '']);
  });
  return markdownTable(
    [
      '#',
      'Row',
      'Achieved readings/s (of offered)',
      'Published = accepted + rejected',
      'Reading → screen p50 / p99',
      'Alert p50 / p99 (n)',
      'Loop lag p99',
      'Server CPU · RSS peak',
      'Dashboards CPU · lag p99',
    ],
    lines,
  );
}

/** Each end-to-end row against one broker: throughput shares and latency factors. */
export function comparisonTable(
  comparisons: readonly Comparison[],
  rows: readonly E2eRow[],
  broker: BrokerName,
): string {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return markdownTable(
    [
      '#',
      'Row',
      `Throughput ÷ ${broker} max`,
      `Screen p50 / p99 ÷ ${broker} pass-through`,
      `Alert p50 / p99 ÷ ${broker} pass-through`,
    ],
    comparisons
      .filter((c) => c.broker === broker)
      .map((c, i) => {
        const row = byId.get(c.id);
        return [
          String(i + 1),
          row ? rowTitle(row) : c.id,
          shareText(c.ofBrokerMax),
          `${timesText(c.screen.p50)} / ${timesText(c.screen.p99)}`,
          `${timesText(c.alert.p50)} / ${timesText(c.alert.p99)}`,
        ];
      }),
  );
}

/** The targets: measured, the threshold (the limit itself passes), ✓ or ✗ and by how much. */
export function targetsTable(lines: readonly TargetLine[]): string {
  return markdownTable(
    ['Target', 'Measured', 'Threshold', 'Verdict', 'From'],
    lines.map((l) => [
      l.target,
      l.measured === null ? '—' : `${num(l.measured, l.unit === 'ms' ? 1 : 0)} ${l.unit}`,
      targetText(l.threshold),
      l.verdict,
      l.source,
    ]),
  );
}

/** The closed-loop platform maxima (server rows, no dashboards) against each broker's maximum. */
export function maxComparisonTable(
  platformMax: readonly PlatformMax[],
  refs: readonly ReferenceRow[],
): string {
  const brokers = BROKERS.filter((b) => refs.some((r) => r.broker === b));
  return markdownTable(
    ['Server row (closed loop)', 'Readings/s', ...brokers.map((b) => `÷ ${b} max, same shape`)],
    platformMax.map((m) => [
      m.row,
      num(m.readingsPerSec),
      ...brokers.map((b) => {
        const ref = findReference(refs, b, m.shape, null);
        return ref
          ? `${shareText(ratio(m.readingsPerSec, ref.readingsPerSec))} of ${num(ref.readingsPerSec)}`
          : '—';
      }),
    ]),
  );
}
