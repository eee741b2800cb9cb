import type { MqttClient } from 'mqtt';
import type { ReadingFactory } from '../../simulators/src/load/readingFactory';
import type { EventLoopLag, IngestPath, IngestResult, IngestStats } from '../../shared/schemas/ingest.schema';
import { readingsTopic } from '../../shared/version';
import { testGatewayTopic } from '../helpers/auth';
import { noDelay, SHAPES, type Shape } from './brokerReference';
import type { DashboardReport, DashboardsProcess } from './dashboardsProcess';
import { MessageBuilder, spreadBreaches, wallNow, type PlannedBreach } from './liveReadings';
import { connectPublisher } from './mqttLoad';
import { pacingSchedule, runClosedLoop, runPaced, type LoadOutcome, type SendMessage } from './pacing';
import { fetchIngestStats, waitStoreIdle } from './probe';
import { procDelta, sampleProc, type ProcDelta } from './procStats';
import type { ServerProcess } from './serverProcess';
import { distribution, type Distribution } from './stats';
import { num } from './table';

/** How each end-to-end transport sends: its reference shape, connections and window. */
export const TRANSPORTS = {
  'mqtt-batched': { shape: 'batched', path: 'mqtt', title: 'MQTT batched (500/msg)' },
  'mqtt-single': { shape: 'single', path: 'mqtt', title: 'MQTT single (1/msg)' },
  // HTTP bodies of 500 readings, at most 4 × 4 requests in flight: the MQTT batches' shape and window.
  'http-batched': { shape: 'batched', path: 'http', title: 'HTTP batched (500/request)' },
} as const satisfies Record<string, { shape: Shape; path: IngestPath; title: string }>;
export type Transport = keyof typeof TRANSPORTS;
export const TRANSPORT_IDS = Object.keys(TRANSPORTS) as Transport[];

/** The end-to-end section's plan (docs/BENCHMARKS.md, "End to end against a bare broker"). */
export const E2E_PLAN = {
  /** Offered loads, readings/s. */
  loads: [1_000, 10_000, 50_000],
  /** Load of each row, ms. */
  durationMs: 10_000,
  /** Dashboards connected (scope city) for the whole section. */
  clients: 50,
  /** Breaching readings per row, spread evenly over its load. */
  breachesPerRow: 20,
  /** Paced batched MQTT before the first row, not reported: JIT and caches. */
  warmUp: { ratePerSec: 5_000, durationMs: 3_000 },
  /** After the last acknowledgement: how long alerts may take, and a margin for the last push, ms. */
  alertTimeoutMs: 5_000,
  settleMs: 400,
} as const;

/** Readings per second with a compact label: 1000 → "1k"; null (the closed-loop maximum) → "max". */
export function loadLabel(perSec: number | null): string {
  if (perSec === null) return 'max';
  return perSec >= 1000 && perSec % 1000 === 0 ? `${perSec / 1000}k` : String(perSec);
}

/** One end-to-end row: a transport at an offered load, through the whole platform to 50 dashboards. */
export interface E2eRow {
  id: string;
  transport: Transport;
  /** The broker reference it compares with (HTTP batches with batched MQTT). */
  shape: Shape;
  /** Readings offered per second (paced), or null for the closed-loop maximum. */
  offeredPerSec: number | null;
  /** Readings acknowledged (= stored) per second. */
  achievedPerSec: number;
  durationMs: number;
  counts: {
    /** Readings the bench sent. */
    published: number;
    /** Readings acknowledged (MQTT PUBACK, HTTP 200 with all accepted). */
    acknowledged: number;
    /** Readings offered but never sent: every connection's window was full. */
    skipped: number;
    /** Readings in messages that failed or were never acknowledged. */
    failed: number;
    /** The server's counters on this path during the row. */
    received: number;
    accepted: number;
    rejected: number;
    duplicates: number;
  };
  /** Publish → the reading in a `readings:batch` at a client, over every (reading, client), ms. */
  screenMs: DashboardReport['screenMs'];
  /** Share of (acknowledged reading, client) pairs shown: newer readings replace older ones between pushes. */
  screenCoverage: number;
  /** Publish of a breaching reading → its `alert:raised` at a client, over every (breach, client), ms. */
  alertMs: Distribution;
  /**
   * The alert latency cut at the server's clock when it raised the alert (`updatedAt`): send →
   * raised (ingest, commit, rules; one per breach) and raised → receipt (alert and incident
   * writes, the push, the dashboards process), over every (breach, client). Both clocks are the
   * machine's; the server's has 1 ms resolution. `firstDeliveredMs`: raised → the first of the
   * clients to receive it, per breach (the server's part, with the least of the clients' queueing).
   */
  alertSplit: { raisedMs: Distribution; deliveredMs: Distribution; firstDeliveredMs: Distribution };
  /**
   * Breaching readings sent, (breach, client) alerts expected and received, and the other alerts
   * each client was told of during the row (rules firing on something else: should be few).
   */
  alerts: { injected: number; expected: number; received: number; otherPerClient: number };
  /** The server's own event-loop lag (GET /api/v1/ingest/stats) over the 10 s before the load ended. */
  loopLagMs: EventLoopLag | null;
  /** The server process during the row; `othersPct` excludes the dashboards process. */
  server: ProcDelta;
  /** Largest server RSS sampled during the row (every 500 ms), MB. */
  rssPeakMb: number;
  dashboards: { cpuPct: number; clients: number; disconnects: number; loopLagP99Ms: number; early: number };
  /** How late the bench sent messages behind their due time, ms. */
  sendLateMs: Distribution;
  warnings: string[];
}

export interface E2eContext {
  server: ServerProcess;
  dashboards: DashboardsProcess;
  readings: ReadingFactory;
  clients: number;
  pushIntervalMs: number;
}

export interface E2eLoad {
  transport: Transport;
  /** Readings/s, paced (open loop); null: closed loop, each connection's window kept full. */
  offeredPerSec: number | null;
  durationMs: number;
  /** Breaches for this row, spread over its load. */
  breaches: readonly PlannedBreach[];
  seed: number;
}

/** How one row's messages leave: MQTT publishers (the test gateway's credential) or HTTP requests. */
interface Sender {
  send(lane: number, readings: readonly { sensorId: string; json: string }[]): Promise<void>;
  close(): Promise<void>;
}

async function mqttSender(server: ServerProcess, transport: Transport, lanes: number): Promise<Sender> {
  const clients: MqttClient[] = await Promise.all(
    Array.from({ length: lanes }, async (_, i) =>
      noDelay(await connectPublisher(server.mqttUrl, `bench-e2e-${process.pid}-${Date.now()}-${i}`)),
    ),
  );
  const gateway = testGatewayTopic(server.mqttUrl);
  return {
    send: (lane, readings) =>
      new Promise<void>((resolve, reject) => {
        const single = transport === 'mqtt-single';
        const topic = single ? readingsTopic(readings[0]!.sensorId) : gateway;
        const payload = single ? readings[0]!.json : `[${readings.map((r) => r.json).join(',')}]`;
        clients[lane]!.publish(topic, payload, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
      }),
    close: async () => {
      await Promise.all(clients.map((c) => c.endAsync(true)));
    },
  };
}

function httpSender(server: ServerProcess): Sender {
  return {
    send: async (_lane, readings) => {
      const res = await fetch(`${server.url}/api/v1/readings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"readings":[${readings.map((r) => r.json).join(',')}]}`,
      });
      const text = await res.text();
      const answer = res.ok ? (JSON.parse(text) as IngestResult) : null;
      if (!answer || answer.accepted !== readings.length || answer.rejected.length > 0) {
        throw new Error(`HTTP ${res.status} ${text.slice(0, 300)}`);
      }
    },
    close: async () => {},
  };
}

/** Paced readings through `transport` with nothing measured: before the first row. */
export async function warmUpE2e(ctx: E2eContext): Promise<void> {
  const shape = SHAPES.batched;
  const sender = await mqttSender(ctx.server, 'mqtt-batched', shape.lanes);
  const builder = new MessageBuilder(ctx.readings, shape.perMessage, []);
  try {
    await runPaced({
      schedule: pacingSchedule({ ...E2E_PLAN.warmUp, perMessage: shape.perMessage, seed: 1 }),
      lanes: shape.lanes,
      window: shape.window,
      durationMs: E2E_PLAN.warmUp.durationMs,
      send: async (lane) => {
        const msg = builder.build(0, wallNow());
        await sender.send(lane, msg.readings);
        return msg.readings.length;
      },
    });
  } finally {
    await sender.close();
  }
  await waitStoreIdle(ctx.server.url);
}

/** Counter growth on one path between two snapshots. */
function pathDelta(path: IngestPath, before: IngestStats, after: IngestStats) {
  const b = before.byPath[path];
  const a = after.byPath[path];
  return {
    received: a.received - b.received,
    accepted: a.accepted - b.accepted,
    rejected: a.rejected - b.rejected,
    duplicates: a.duplicates - b.duplicates,
  };
}

/**
 * One end-to-end row: the transport's messages leave at their paced times (open loop), or as
 * fast as acknowledgements free the window (closed loop, the maximum), while the dashboards
 * watch; the planned breaches ride in the messages due after their time. Then the bench waits
 * for the acknowledgements, the store, the alerts and one more push.
 */
export async function runE2eRow(ctx: E2eContext, load: E2eLoad): Promise<E2eRow> {
  const { server, dashboards } = ctx;
  const spec = TRANSPORTS[load.transport];
  const shape = SHAPES[spec.shape];
  const sender =
    spec.path === 'http' ? httpSender(server) : await mqttSender(server, load.transport, shape.lanes);
  const schedule =
    load.offeredPerSec === null
      ? null
      : pacingSchedule({
          ratePerSec: load.offeredPerSec,
          perMessage: shape.perMessage,
          durationMs: load.durationMs,
          seed: load.seed,
        });
  // Breaches fall due while messages still leave: by the last paced message, or in the closed loop
  // (where a message leaves only when an acknowledgement frees a slot) over the first 80 %.
  const lastDueMs = schedule ? (schedule[schedule.length - 1] ?? load.durationMs) : 0.8 * load.durationMs;
  const builder = new MessageBuilder(
    ctx.readings,
    shape.perMessage,
    spreadBreaches(load.breaches, lastDueMs),
  );
  const breachSentAt = new Map<string, number>();
  let published = 0;
  let loadStart = performance.now();
  const send: SendMessage = async (lane, index) => {
    const atMs = schedule ? schedule[index]! : performance.now() - loadStart;
    const msg = builder.build(atMs, wallNow());
    for (const b of msg.breaches) breachSentAt.set(b.sensorId, b.sentAt);
    published += msg.readings.length;
    await sender.send(lane, msg.readings);
    return msg.readings.length;
  };

  ctx.readings.refresh(Date.now());
  const before = await waitStoreIdle(server.url);
  const watch = Object.fromEntries(load.breaches.map((b) => [b.sensorId, Object.keys(b.values)]));
  await dashboards.reset({ since: wallNow(), watch });
  const procBefore = sampleProc(server.pid);
  const dashBefore = sampleProc(dashboards.pid);
  let rssPeakMb = procBefore.rssMb;
  const rssTimer = setInterval(() => {
    rssPeakMb = Math.max(rssPeakMb, sampleProc(server.pid).rssMb);
  }, 500);
  let atLoadEnd: Promise<IngestStats> | null = null;
  const loadEnded = () => {
    atLoadEnd = fetchIngestStats(server.url);
  };
  let outcome: LoadOutcome;
  let endTimer: NodeJS.Timeout | undefined;
  try {
    loadStart = performance.now();
    if (schedule) {
      outcome = await runPaced({
        schedule,
        lanes: shape.lanes,
        window: shape.window,
        durationMs: load.durationMs,
        send,
        onScheduleEnd: loadEnded,
      });
    } else {
      endTimer = setTimeout(loadEnded, load.durationMs);
      outcome = await runClosedLoop({
        lanes: shape.lanes,
        window: shape.window,
        durationMs: load.durationMs,
        send,
      });
    }
  } finally {
    clearTimeout(endTimer);
    clearInterval(rssTimer);
    await sender.close();
  }
  const loopLagMs = atLoadEnd ? (await (atLoadEnd as Promise<IngestStats>)).eventLoop : null;
  const after = await waitStoreIdle(server.url);
  const procAfter = sampleProc(server.pid);
  const dashAfter = sampleProc(dashboards.pid);
  rssPeakMb = Math.max(rssPeakMb, procAfter.rssMb);
  const report = await dashboards.report({
    expectedAlerts: breachSentAt.size * ctx.clients,
    timeoutMs: E2E_PLAN.alertTimeoutMs,
    settleMs: ctx.pushIntervalMs + E2E_PLAN.settleMs,
  });

  const spent = procDelta(procBefore, procAfter);
  const dashboardsPct =
    spent.wallSec > 0 ? (100 * (dashAfter.cpuSec - dashBefore.cpuSec)) / spent.wallSec : 0;
  const delta = pathDelta(spec.path, before, after);
  const acknowledged = outcome.readingsAcked;
  const counts = {
    published,
    acknowledged,
    skipped: outcome.skipped * shape.perMessage,
    failed: published - acknowledged,
    ...delta,
  };

  const alertLatencies: number[] = [];
  const raised = new Map<string, number>();
  const delivered: number[] = [];
  const firstDelivered = new Map<string, number>();
  let beforeSend = 0;
  for (const r of report.alerts) {
    const sentAt = breachSentAt.get(r.sensorId);
    if (sentAt === undefined) continue;
    if (r.at < sentAt) beforeSend += 1;
    else {
      alertLatencies.push(r.at - sentAt);
      raised.set(r.sensorId, Math.max(0, r.raisedAt - sentAt));
      delivered.push(Math.max(0, r.at - r.raisedAt));
      const first = firstDelivered.get(r.sensorId);
      if (first === undefined || r.at - r.raisedAt < first)
        firstDelivered.set(r.sensorId, Math.max(0, r.at - r.raisedAt));
    }
  }
  const expectedAlerts = breachSentAt.size * report.clients;

  const warnings: string[] = [];
  if (delta.received !== published) {
    warnings.push(`published ${num(published)} readings but the server received ${num(delta.received)}`);
  }
  if (delta.received !== delta.accepted + delta.rejected) {
    warnings.push(
      `the server received ${num(delta.received)} ≠ accepted ${num(delta.accepted)} + rejected ${num(delta.rejected)}`,
    );
  }
  if (acknowledged !== delta.accepted) {
    warnings.push(
      `${num(acknowledged)} readings acknowledged but the server accepted ${num(delta.accepted)}`,
    );
  }
  if (delta.rejected > 0) {
    const reasons = Object.entries(after.rejectedByReason)
      .map(
        ([reason, n]) =>
          [
            reason,
            n - (before.rejectedByReason[reason as keyof typeof before.rejectedByReason] ?? 0),
          ] as const,
      )
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => `${reason}: ${num(n)}`);
    warnings.push(`the server rejected ${num(delta.rejected)} readings (${reasons.join(', ')})`);
  }
  if (delta.duplicates > 0) warnings.push(`the server counted ${num(delta.duplicates)} duplicates`);
  if (outcome.failed > 0 || outcome.unfinished > 0) {
    warnings.push(
      `${num(outcome.failed)} messages failed and ${num(outcome.unfinished)} were never acknowledged` +
        (outcome.firstFailure ? `; the first failure: ${outcome.firstFailure}` : ''),
    );
  }
  if (counts.skipped > 0) {
    warnings.push(
      `${num(counts.skipped)} readings offered but not sent: all ${shape.lanes} × ${shape.window} in-flight slots were waiting for acknowledgements`,
    );
  }
  if (builder.unsent() > 0) warnings.push(`${builder.unsent()} planned breaches were never sent`);
  if (alertLatencies.length < expectedAlerts) {
    warnings.push(
      `${num(expectedAlerts - alertLatencies.length)} of ${num(expectedAlerts)} (breach, client) alerts did not arrive within ${E2E_PLAN.alertTimeoutMs / 1000} s`,
    );
  }
  if (report.otherAlerts > 0) {
    warnings.push(
      `${num(report.otherAlerts / Math.max(1, report.clients), 1)} other alerts per client were raised during the row (not the planned breaches)`,
    );
  }
  if (beforeSend > 0)
    warnings.push(`${beforeSend} alerts arrived before their breach was sent (clock problem)`);
  if (report.early > 0)
    warnings.push(
      `${num(report.early)} pushed readings arrived > 1 ms before they were sent (clock problem)`,
    );
  if (report.clients < ctx.clients || report.disconnects > 0) {
    warnings.push(
      `${report.clients} of ${ctx.clients} dashboards connected at the end, ${report.disconnects} disconnections`,
    );
  }
  if (outcome.lateMs.p99 > 50) {
    warnings.push(
      `the bench sent late (p99 ${num(outcome.lateMs.p99, 1)} ms behind schedule): the offered rate was not held`,
    );
  }
  if (report.loopLagMs.p99 > 50) {
    warnings.push(
      `the dashboards process lagged (p99 ${num(report.loopLagMs.p99, 1)} ms): latencies include it`,
    );
  }
  if (loopLagMs && load.durationMs < loopLagMs.windowSec * 1000) {
    warnings.push(
      `the load (${load.durationMs / 1000} s) is shorter than the server's ${loopLagMs.windowSec} s lag window`,
    );
  }
  const others = Math.max(0, spent.othersPct - dashboardsPct);
  if (others > 25)
    warnings.push(
      `other processes used ${num(others)} % CPU during this row: the figures understate the platform`,
    );

  const seconds = outcome.elapsedMs / 1000;
  return {
    id: `e2e-${load.transport}-${loadLabel(load.offeredPerSec)}`,
    transport: load.transport,
    shape: spec.shape,
    offeredPerSec: load.offeredPerSec,
    achievedPerSec: seconds > 0 ? acknowledged / seconds : 0,
    durationMs: load.durationMs,
    counts,
    screenMs: report.screenMs,
    screenCoverage: acknowledged > 0 ? report.items / (acknowledged * report.clients) : 0,
    alertMs: distribution(alertLatencies),
    alertSplit: {
      raisedMs: distribution([...raised.values()]),
      deliveredMs: distribution(delivered),
      firstDeliveredMs: distribution([...firstDelivered.values()]),
    },
    alerts: {
      injected: breachSentAt.size,
      expected: expectedAlerts,
      received: alertLatencies.length,
      otherPerClient: report.clients > 0 ? report.otherAlerts / report.clients : 0,
    },
    loopLagMs,
    server: { ...spent, othersPct: others },
    rssPeakMb,
    dashboards: {
      cpuPct: dashboardsPct,
      clients: report.clients,
      disconnects: report.disconnects,
      loopLagP99Ms: report.loopLagMs.p99,
      early: report.early,
    },
    sendLateMs: outcome.lateMs,
    warnings,
  };
}
