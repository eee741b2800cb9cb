import type { IngestPath, IngestStats, RejectionReason } from '../../shared/schemas/ingest.schema';
import { readingsTopic } from '../../shared/version';
import { runFanout } from './fanout';
import { runHttpLoad } from './httpLoad';
import { runWindowedLoad } from './mqttLoad';
import { startProbe, waitStoreIdle, type ProbeReport } from './probe';
import { procDelta, sampleProc, type ProcDelta } from './procStats';
import type { ReadingFactory } from '../../simulators/src/load/readingFactory';
import type { ServerProcess } from './serverProcess';
import { num } from './table';
import { testGatewayTopic } from '../helpers/auth';

/** Size of each row: fixed durations, a little over a minute in all. */
export const PLAN = {
  warmup: { publishers: 4, window: 4, batch: 500, durationMs: 3_000 },
  mqttBatched: { publishers: 4, window: 4, batch: 500, durationMs: 15_000 },
  mqttSingle: { publishers: 4, window: 100, durationMs: 12_000 },
  httpBatched: { requesters: 4, batch: 1000, durationMs: 12_000 },
  fanout: { clients: 50, ratePerSec: 1000, batchSize: 50, durationMs: 10_000 },
} as const;

export const ROW_IDS = ['mqtt-batched', 'mqtt-single', 'http-batched', 'fanout'] as const;
export type RowId = (typeof ROW_IDS)[number];

/** A target from the issue. */
export interface Target {
  /** `min`: the figure must reach the value; `max`: it must not exceed it (the value itself meets both). */
  kind: 'min' | 'max';
  value: number;
  unit: string;
}

export interface RowResult {
  id: RowId;
  title: string;
  /** The headline figure, compared with the target. */
  value: number;
  unit: string;
  target: Target | null;
  /** What was done, in words (amount of work, duration, distribution). */
  work: string;
  notes: string[];
  /** Anything that makes the figure doubtful: refused readings, lost pushes, a busy machine. */
  warnings: string[];
  server: ProcDelta;
  probe: ProbeReport;
  /** Writer commits during the row. */
  store: { commits: number; written: number; readingsPerCommit: number };
  /** The raw figures of the load, for the JSON file. */
  details: object;
}

export interface RowContext {
  server: ServerProcess;
  factory: ReadingFactory;
  /** The server's PUSH_INTERVAL_MS (the fan-out latency includes up to one). */
  pushIntervalMs: number;
}

interface Measured<T> {
  value: T;
  server: ProcDelta;
  probe: ProbeReport;
  before: IngestStats;
  after: IngestStats;
}

/** Run one load with the store idle before it, and record what the server spent meanwhile. */
async function measure<T>(server: ServerProcess, run: () => Promise<T>): Promise<Measured<T>> {
  const before = await waitStoreIdle(server.url);
  const procBefore = sampleProc(server.pid);
  const probe = startProbe(server.url);
  const value = await run();
  const after = await waitStoreIdle(server.url);
  const procAfter = sampleProc(server.pid);
  return { value, server: procDelta(procBefore, procAfter), probe: await probe.stop(), before, after };
}

/** Compare what a row had acknowledged with what the server counted on that path. */
function ingestWarnings(path: IngestPath, acknowledged: number, m: Measured<unknown>): string[] {
  const b = m.before.byPath[path];
  const a = m.after.byPath[path];
  const accepted = a.accepted - b.accepted;
  const rejected = a.rejected - b.rejected;
  const duplicates = a.duplicates - b.duplicates;
  const warnings: string[] = [];
  if (accepted !== acknowledged) {
    warnings.push(
      `server accepted ${num(accepted)} ${path} readings but ${num(acknowledged)} were acknowledged`,
    );
  }
  if (rejected !== 0) {
    const reasons = Object.entries(m.after.rejectedByReason)
      .map(
        ([reason, n]) => [reason, n - (m.before.rejectedByReason[reason as RejectionReason] ?? 0)] as const,
      )
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => `${reason}: ${num(n)}`);
    warnings.push(`server rejected ${num(rejected)} ${path} readings (${reasons.join(', ')})`);
  }
  if (duplicates !== 0)
    warnings.push(`server counted ${num(duplicates)} duplicates (observedAt not unique?)`);
  return warnings;
}

/** Other processes busy on the cores during a row make its figure understate the server. */
function contentionWarnings(server: ProcDelta): string[] {
  return server.othersPct > 25
    ? [
        `other processes used ${num(server.othersPct)} % CPU during this row: the figure understates the server`,
      ]
    : [];
}

type RowFields = Pick<RowResult, 'id' | 'title' | 'value' | 'unit' | 'target' | 'work' | 'notes' | 'details'>;

function rowResult(m: Measured<unknown>, fields: RowFields, warnings: string[]): RowResult {
  const commits = m.after.store.flushes - m.before.store.flushes;
  const written = m.after.store.written - m.before.store.written;
  return {
    ...fields,
    warnings: [...warnings, ...contentionWarnings(m.server)],
    server: m.server,
    probe: m.probe,
    store: { commits, written, readingsPerCommit: commits > 0 ? written / commits : 0 },
  };
}

const seconds = (ms: number) => `${num(ms / 1000, 1)} s`;

/** Batched MQTT publishes before the rows, so that no row pays for JIT compilation or a cold cache. */
export async function warmUp({ server, factory }: RowContext): Promise<void> {
  const w = PLAN.warmup;
  await runWindowedLoad(server.mqttUrl, {
    ...w,
    nextMessage: () => ({
      topic: testGatewayTopic(server.mqttUrl),
      payload: factory.batch(w.batch).json,
      readings: w.batch,
    }),
  });
}

async function mqttBatched({ server, factory }: RowContext): Promise<RowResult> {
  const p = PLAN.mqttBatched;
  const m = await measure(server, () =>
    runWindowedLoad(server.mqttUrl, {
      ...p,
      nextMessage: () => ({
        topic: testGatewayTopic(server.mqttUrl),
        payload: factory.batch(p.batch).json,
        readings: p.batch,
      }),
    }),
  );
  const r = m.value;
  const warnings = ingestWarnings('mqtt', r.readings, m);
  if (r.failed > 0) warnings.push(`${num(r.failed)} messages were not acknowledged`);
  return rowResult(
    m,
    {
      id: 'mqtt-batched',
      title: `MQTT batched: ${p.publishers} gateways × ${p.window} msgs in flight, ${p.batch} readings/msg, QoS 1`,
      value: r.readings / (r.elapsedMs / 1000),
      unit: 'readings/s',
      target: { kind: 'min', value: 50_000, unit: 'readings/s' },
      work: `${num(r.readings)} readings in ${num(r.messages)} msgs, ${seconds(r.elapsedMs)}`,
      notes: ['The embedded broker sends PUBACK after the commit: acknowledged = stored.'],
      details: r,
    },
    warnings,
  );
}

async function mqttSingle({ server, factory }: RowContext): Promise<RowResult> {
  const p = PLAN.mqttSingle;
  const m = await measure(server, () =>
    runWindowedLoad(server.mqttUrl, {
      ...p,
      nextMessage: () => {
        const reading = factory.next();
        return { topic: readingsTopic(reading.sensorId), payload: reading.json, readings: 1 };
      },
    }),
  );
  const r = m.value;
  const warnings = ingestWarnings('mqtt', r.readings, m);
  if (r.failed > 0) warnings.push(`${num(r.failed)} messages were not acknowledged`);
  return rowResult(
    m,
    {
      id: 'mqtt-single',
      title: `MQTT single: ${p.publishers} clients × ${p.window} msgs in flight, 1 reading/msg on its sensor topic, QoS 1`,
      value: r.messages / (r.elapsedMs / 1000),
      unit: 'msg/s',
      target: { kind: 'min', value: 10_000, unit: 'msg/s' },
      work: `${num(r.messages)} msgs, ${seconds(r.elapsedMs)}`,
      notes: [
        'Bounded by the messages in flight (throughput ≈ in flight ÷ round trip); the server is not saturated here.',
      ],
      details: r,
    },
    warnings,
  );
}

async function httpBatched({ server, factory }: RowContext): Promise<RowResult> {
  const p = PLAN.httpBatched;
  const m = await measure(server, () =>
    runHttpLoad(server.url, {
      ...p,
      nextBody: () => ({ body: `{"readings":${factory.batch(p.batch).json}}`, readings: p.batch }),
    }),
  );
  const r = m.value;
  const warnings = ingestWarnings('http', r.readings, m);
  if (r.failed > 0) warnings.push(`${num(r.failed)} requests failed; the first: ${r.firstFailure ?? ''}`);
  return rowResult(
    m,
    {
      id: 'http-batched',
      title: `HTTP batched: ${p.requesters} requesters, ${p.batch} readings/request`,
      value: r.readings / (r.elapsedMs / 1000),
      unit: 'readings/s',
      target: null,
      work: `${num(r.readings)} readings in ${num(r.requests)} requests, ${seconds(r.elapsedMs)}`,
      notes: ['No target in the issue. The 200 is sent after the commit.'],
      details: r,
    },
    warnings,
  );
}

async function fanout({ server, factory, pushIntervalMs }: RowContext): Promise<RowResult> {
  const p = PLAN.fanout;
  const m = await measure(server, () => runFanout(server.url, server.mqttUrl, factory, p));
  const r = m.value;
  const l = r.latencyMs;
  const coverage = r.expected > 0 ? (100 * l.count) / r.expected : 0;
  const warnings = ingestWarnings('mqtt', r.published, m);
  if (r.unmatched > 0) warnings.push(`${num(r.unmatched)} pushed items matched no reading sent in this row`);
  if (coverage < 99) {
    warnings.push(
      `clients got ${num(coverage, 1)} % of the (reading, client) pairs: volatile batches were dropped`,
    );
  }
  return rowResult(
    m,
    {
      id: 'fanout',
      title: `Fan-out latency p99: ${p.clients} clients (city), ${num(p.ratePerSec)} readings/s in msgs of ${p.batchSize}`,
      value: l.p99,
      unit: 'ms',
      target: { kind: 'max', value: 100, unit: 'ms' },
      work:
        `p50 ${num(l.p50, 1)} / p95 ${num(l.p95, 1)} / p99 ${num(l.p99, 1)} / max ${num(l.max, 1)} ms; ` +
        `${num(l.count)} samples (${num(coverage, 1)} % of ${num(r.expected)})`,
      notes: [
        `Latency = publish call → arrival in a readings:batch, both on the bench's clock; messages leave at random ` +
          `(Poisson) times. The server coalesces readings and pushes every PUSH_INTERVAL_MS = ${pushIntervalMs} ms, ` +
          `so each latency includes a wait of 0–${pushIntervalMs} ms by design.`,
        `Publish → PUBACK (stored): p50 ${num(r.storedMs.p50, 1)} / p99 ${num(r.storedMs.p99, 1)} ms per message.`,
      ],
      details: r,
    },
    warnings,
  );
}

export const ROWS: Record<RowId, (ctx: RowContext) => Promise<RowResult>> = {
  'mqtt-batched': mqttBatched,
  'mqtt-single': mqttSingle,
  'http-batched': httpBatched,
  fanout,
};
