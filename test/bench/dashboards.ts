/**
 * The end-to-end rows' dashboards (dashboardsProcess.ts starts this as a child process): socket.io
 * clients following the city, in a process of their own so that parsing their pushes does not
 * delay the load generator's sends, and the generator's work does not delay their receipts.
 *
 * Reading → screen: each item of a `readings:batch` is timed from its `observedAt` (the send time,
 * rounded to the ms, see liveReadings.ts) to its arrival here, on the wall clock both processes
 * share. Alerts: the first `alert:raised` per (client, watched sensor) is recorded with its
 * arrival time; the parent, which knows when each breach left, computes the latency.
 */
import { createHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { ReadingsBatch } from '../../shared/schemas/live.schema';
import { registerToken } from '../helpers/auth';
import { connectClient, type TestSocket } from '../helpers/socket';
import type { DashboardCommand, DashboardReport, AlertReceipt } from './dashboardsProcess';

const LOOP_RESOLUTION_MS = 10;

const sockets: TestSocket[] = [];
const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
loop.enable();

/** Items observed before this wall-clock time belong to an earlier row and are not timed. */
let since = Number.POSITIVE_INFINITY;
/** Sensor → the metrics its breach carries: an alert on another metric (offline…) is not the breach's. */
let watch = new Map<string, ReadonlySet<string>>();
let screen = createHistogram({ lowest: 1, highest: 600e6, figures: 3 });
let items = 0;
let stale = 0;
let early = 0;
let batches = 0;
let disconnects = 0;
let alerts: AlertReceipt[] = [];
/** `alert:raised` events not from a watched breach (all clients together). */
let otherAlerts = 0;
let seen = new Set<string>();

const wallNow = () => performance.timeOrigin + performance.now();

function onBatch(batch: ReadingsBatch): void {
  const now = wallNow();
  batches += 1;
  for (const item of batch.items) {
    if (item.observedAt < since) {
      stale += 1;
      continue;
    }
    const latency = now - item.observedAt;
    // observedAt is rounded to the ms: up to 0.5 ms "before" it is rounding, more is a clock problem.
    if (latency < -1) early += 1;
    screen.record(Math.max(1, Math.round(latency * 1000)));
    items += 1;
  }
}

async function connect(url: string, token: string, clients: number): Promise<number> {
  registerToken(url, token);
  // A few at a time: 50 simultaneous snapshots would measure the handshake, not the fan-out.
  for (let i = sockets.length; i < clients; i += 10) {
    const group = await Promise.all(
      Array.from({ length: Math.min(10, clients - i) }, () =>
        connectClient(url, { kind: 'city' }, { reconnection: true }).then((c) => c.socket),
      ),
    );
    for (const socket of group) {
      const client = sockets.length;
      socket.on('readings:batch', onBatch);
      socket.on('alert:raised', (alert) => {
        const sensorId = alert.subject.id;
        const metrics = watch.get(sensorId);
        if (!metrics?.has(alert.metric ?? '')) {
          otherAlerts += 1;
          return;
        }
        if (seen.has(`${client}|${sensorId}`)) return;
        seen.add(`${client}|${sensorId}`);
        alerts.push({ sensorId, client, ruleId: alert.ruleId, at: wallNow(), raisedAt: alert.updatedAt });
      });
      socket.on('disconnect', () => (disconnects += 1));
      sockets.push(socket);
    }
  }
  return sockets.filter((s) => s.connected).length;
}

function reset(from: number, sensors: Readonly<Record<string, readonly string[]>>): void {
  since = from;
  watch = new Map(Object.entries(sensors).map(([id, metrics]) => [id, new Set(metrics)]));
  screen = createHistogram({ lowest: 1, highest: 600e6, figures: 3 });
  items = stale = early = batches = disconnects = otherAlerts = 0;
  alerts = [];
  seen = new Set();
  loop.reset();
}

async function report(expectedAlerts: number, timeoutMs: number, settleMs: number): Promise<DashboardReport> {
  const deadline = performance.now() + timeoutMs;
  while (alerts.length < expectedAlerts && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, settleMs));
  const ms = (us: number) => (screen.count > 0 ? us / 1000 : Number.NaN);
  const lag = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
  return {
    clients: sockets.filter((s) => s.connected).length,
    batches,
    items,
    stale,
    early,
    screenMs: {
      count: screen.count,
      p50: ms(screen.percentile(50)),
      p99: ms(screen.percentile(99)),
      max: ms(screen.max),
      mean: ms(screen.mean),
    },
    alerts,
    otherAlerts,
    disconnects,
    loopLagMs: { p99: lag(loop.percentile(99)), max: lag(loop.max) },
  };
}

process.on('message', (raw) => {
  const command = raw as DashboardCommand;
  const answer = async (): Promise<unknown> => {
    switch (command.type) {
      case 'connect':
        return connect(command.url, command.token, command.clients);
      case 'reset':
        reset(command.since, command.watch);
        return null;
      case 'report':
        return report(command.expectedAlerts, command.timeoutMs, command.settleMs);
      case 'close':
        for (const s of sockets) s.disconnect();
        setImmediate(() => process.exit(0));
        return null;
    }
  };
  answer().then(
    (result) => process.send?.({ id: command.id, ok: true, result }),
    (err: unknown) =>
      process.send?.({ id: command.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ id: 0, ok: true, result: 'ready' });
