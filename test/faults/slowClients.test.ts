import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deviceFor } from '../helpers/auth';
import { listSensors, postReadings } from '../helpers/cityOpsApi';
import { spawnServer, type ServerProcess } from '../helpers/serverProcess';
import { waitFor } from '../helpers/server';
import {
  AckLedger,
  LOAD_MS,
  LONG,
  QuietReadings,
  freeze,
  httpProducers,
  integrityCheck,
  missingFromStore,
  openDashboard,
  testTimeout,
  type Dashboard,
} from './faultKit';

/**
 * The server's bound per connection in this test (SOCKET_MAX_BUFFERED_BYTES; 4 MiB by default):
 * above a vitals push (~5 KB), low enough that a stuck dashboard passes it within seconds — a
 * little later in the long run, which measures ingest while the stuck dashboards are still there.
 */
const MAX_BUFFERED = (LONG ? 256 : 16) * 1024;
const SLOW_CLIENT_LOG = 'closed a live connection that stopped reading';

/** One measurement window: readings acknowledged per second, and the longest wait for a batch. */
interface Window {
  from: number;
  to: number;
  perSec: number;
  longestGapMs: number;
}

/** Acknowledged readings over time and batch arrivals per healthy dashboard, cut into windows. */
function recorder(ledger: AckLedger, healthy: Dashboard[]) {
  const acked: Array<[number, number]> = [];
  const sampler = setInterval(() => acked.push([Date.now(), ledger.size]), 100);
  const arrivals = healthy.map(() => [] as number[]);
  healthy.forEach((b, i) => b.socket.on('readings:batch', () => arrivals[i]!.push(Date.now())));
  const sizeAt = (t: number) => acked.filter(([at]) => at <= t).at(-1)?.[1] ?? 0;
  return {
    stop: () => clearInterval(sampler),
    window(from: number, to: number): Window {
      let longestGapMs = 0;
      for (const times of arrivals) {
        const inside = times.filter((t) => t >= from && t < to);
        for (let i = 1; i < inside.length; i++)
          longestGapMs = Math.max(longestGapMs, inside[i]! - inside[i - 1]!);
      }
      return { from, to, perSec: ((sizeAt(to) - sizeAt(from)) * 1000) / (to - from), longestGapMs };
    },
  };
}

describe('slow and stuck dashboards', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cityops-fault-slow-'));
  const file = join(dir, 'cityops.db');
  const cleanups: Array<() => Promise<unknown> | void> = [];

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'neither slow ingest nor other dashboards, and are cut off at the per-connection bound',
    async () => {
      const server: ServerProcess = await spawnServer(file, {
        SOCKET_MAX_BUFFERED_BYTES: String(MAX_BUFFERED),
        // More reliable pushes (vitals are not volatile): a stuck dashboard's queue grows faster.
        VITALS_PUSH_MS: '250',
        INGEST_HTTP_REQUESTS_PER_SEC: '100000',
      });
      cleanups.push(() => server.kill('SIGKILL'));
      const quiet = new QuietReadings(await listSensors(server.url));
      const ledger = new AckLedger();
      const drops = () =>
        server
          .output()
          .split('\n')
          .filter((line) => line.includes(SLOW_CLIENT_LOG))
          .map((line) => (JSON.parse(line) as { time: number }).time);

      // Three healthy dashboards (they parse every batch in this process: more would measure us).
      const healthy: Dashboard[] = [];
      for (let i = 0; i < 3; i++) healthy.push(await openDashboard(server.url));
      cleanups.push(() => healthy.forEach((b) => b.close()));

      // Steady ingest from a gateway all along, sampled against time.
      const feed = httpProducers(server.url, quiet, ledger, {
        clients: 2,
        batch: 500,
        deviceKey: deviceFor(server.mqttUrl)!.apiKey,
      });
      cleanups.push(() => feed.stop());
      const rec = recorder(ledger, healthy);
      cleanups.push(() => rec.stop());
      await waitFor(() => ledger.size > 0, 10_000, 'the first acknowledged readings');
      const beforeFrom = Date.now();
      await new Promise((r) => setTimeout(r, LOAD_MS / 2));
      const beforeTo = Date.now();

      // Dashboards that stop reading as soon as they are connected, beside the healthy ones.
      const stuck: Dashboard[] = [];
      for (let i = 0; i < (LONG ? 20 : 4); i++) stuck.push(await openDashboard(server.url, { stuck: true }));
      cleanups.push(() => stuck.forEach((b) => b.close()));
      // After their snapshots were built and sent (a burst of its own), they are only stuck.
      await new Promise((r) => setTimeout(r, 1000));
      const stuckFrom = Date.now();

      // The server closes each once its queue passed the bound (the kernel's socket buffers fill first).
      await waitFor(
        () => drops().length >= stuck.length,
        90_000,
        'the server to close every stuck connection',
      );
      const stuckTo = Math.min(...drops());
      const afterFrom = Math.max(...drops());
      await waitFor(
        () => healthy.every((b) => b.stats.at(-1)?.connections === healthy.length),
        10_000,
        'the stats to count only the healthy dashboards',
      );
      await new Promise((r) => setTimeout(r, LOAD_MS / 2));
      const afterTo = Date.now();
      await feed.stop();
      rec.stop();
      expect(feed.counts().failed, JSON.stringify(feed.errors())).toBe(0);
      expect(drops()).toHaveLength(stuck.length);
      for (const b of healthy) expect(b.disconnects).toEqual([]);

      // Healthy dashboards got pushes all along and still do.
      const marker = quiet.next();
      await postReadings(server.url, [marker]);
      await waitFor(
        () => healthy.every((b) => b.pushed(marker.sensorId, marker.observedAt as number) > 0),
        15_000,
        'the marker reading on every healthy dashboard',
      );
      for (const b of healthy)
        expect(b.batches.length, 'batches on a healthy dashboard').toBeGreaterThan(stuck.length);

      // A stuck dashboard that reads again finds itself disconnected, reconnects and resyncs.
      for (const b of stuck) freeze(b, false);
      await waitFor(
        () => stuck.every((b) => b.disconnects.length > 0 && b.socket.connected),
        30_000,
        'the stuck dashboards to reconnect',
      );
      const again = quiet.next();
      await postReadings(server.url, [again]);
      await waitFor(
        () => [...healthy, ...stuck].every((b) => b.pushed(again.sensorId, again.observedAt as number) > 0),
        15_000,
        'live pushes on every dashboard after the reconnection',
      );

      await server.kill('SIGTERM');
      expect(server.child.exitCode, server.output()).toBe(0);
      expect(missingFromStore(file, ledger).missing).toEqual([]);
      expect(integrityCheck(file)).toEqual(['ok']);

      const before = rec.window(beforeFrom, beforeTo);
      const during = rec.window(stuckFrom, stuckTo);
      const after = rec.window(afterFrom, afterTo);
      const show = (w: Window) =>
        `${Math.round(w.perSec)} readings/s, batches at most ${w.longestGapMs} ms apart over ${((w.to - w.from) / 1000).toFixed(1)} s`;
      console.info(
        `slow clients: ${stuck.length} stuck connections closed at ${MAX_BUFFERED / 1024} KiB; ` +
          `before: ${show(before)}; stuck: ${show(during)}; after: ${show(after)}`,
      );
      if (LONG) {
        // Timing needs a quiet machine and long windows: only the long run (npm run test:faults) checks it.
        expect(during.to - during.from, 'a window with every stuck dashboard still open').toBeGreaterThan(
          3000,
        );
        expect(during.perSec).toBeGreaterThan(0.7 * Math.min(before.perSec, after.perSec));
        expect(during.longestGapMs).toBeLessThan(
          Math.max(1000, 2 * Math.max(before.longestGapMs, after.longestGapMs)),
        );
      }
    },
    testTimeout(90_000, 3),
  );
});
