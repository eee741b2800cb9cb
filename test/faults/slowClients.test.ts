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

/**
 * How long each healthy phase (before the stuck dashboards, after them) lasts, ms: long enough
 * that "a healthy dashboard got batches in it" does not hinge on one scheduling hiccup.
 */
const PHASE_MS = Math.max(LOAD_MS / 2, 3000);
/** The slow reader's cycle: its socket paused this long, then read this long. */
const SLOW_PAUSE_MS = 1500;
const SLOW_READ_MS = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One phase: readings acknowledged, and batches each healthy dashboard got, with the longest wait. */
interface Window {
  from: number;
  to: number;
  acked: number;
  perSec: number;
  /** Per healthy dashboard: batches that arrived in the window. */
  batches: number[];
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
      const batches = arrivals.map((times) => {
        const inside = times.filter((t) => t >= from && t < to);
        for (let i = 1; i < inside.length; i++)
          longestGapMs = Math.max(longestGapMs, inside[i]! - inside[i - 1]!);
        return inside.length;
      });
      const n = sizeAt(to) - sizeAt(from);
      return { from, to, acked: n, perSec: to > from ? (n * 1000) / (to - from) : 0, batches, longestGapMs };
    },
  };
}

/**
 * A dashboard that reads slowly rather than not at all (a busy tab, a poor link): its socket is
 * paused SLOW_PAUSE_MS, then read SLOW_READ_MS, over and over. It records every connection (the
 * socket id the server logs when it closes one, and whether the session was resumed) and what
 * each read window brought.
 */
function slowReader(board: Dashboard) {
  const ids = new Set([board.socket.id!]);
  const reconnects: boolean[] = [];
  board.socket.on('connect', () => {
    ids.add(board.socket.id!);
    reconnects.push(board.socket.recovered);
  });
  let reliable = 0;
  const counts = { stats: 0, vitals: 0, batches: 0 };
  board.socket.on('stats:updated', () => ((counts.stats += 1), (reliable += 1)));
  board.socket.on('vitals:updated', () => ((counts.vitals += 1), (reliable += 1)));
  board.socket.on('readings:batch', () => (counts.batches += 1));
  const cycles = { paused: 0, skipped: 0, readWindowsWithReliable: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      // A connection being re-established is not paused this time round (nothing to pause yet).
      const pausing = board.socket.connected;
      if (pausing) freeze(board, true);
      cycles.paused += pausing ? 1 : 0;
      cycles.skipped += pausing ? 0 : 1;
      await sleep(SLOW_PAUSE_MS);
      if (pausing) freeze(board, false);
      const before = reliable;
      await sleep(SLOW_READ_MS);
      if (reliable > before) cycles.readWindowsWithReliable += 1;
    }
  })();
  return {
    ids,
    reconnects,
    counts,
    cycles,
    /** Stop pausing (the socket is left reading) and wait for the cycle to end. */
    stop: async () => {
      running = false;
      await loop;
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
      /** Connections the server closed for not reading: when, and which socket. */
      const drops = () =>
        server
          .output()
          .split('\n')
          .filter((line) => line.includes(SLOW_CLIENT_LOG))
          .map((line) => JSON.parse(line) as { time: number; socketId: string });

      // Three healthy dashboards (they parse every batch in this process: more would measure us).
      const healthy: Dashboard[] = [];
      for (let i = 0; i < 3; i++) healthy.push(await openDashboard(server.url));
      cleanups.push(() => healthy.forEach((b) => b.close()));
      // And one that reads slowly, all along.
      const slowBoard = await openDashboard(server.url);
      cleanups.push(() => slowBoard.close());
      const slow = slowReader(slowBoard);
      cleanups.push(() => slow.stop());

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
      await sleep(PHASE_MS);
      const beforeTo = Date.now();

      // Dashboards that stop reading as soon as they are connected, beside the healthy ones.
      const stuck: Dashboard[] = [];
      for (let i = 0; i < (LONG ? 20 : 4); i++) stuck.push(await openDashboard(server.url, { stuck: true }));
      cleanups.push(() => stuck.forEach((b) => b.close()));
      const stuckIds = new Set(stuck.map((b) => b.socket.id!));
      const stuckDrops = () => drops().filter((d) => stuckIds.has(d.socketId));
      // After their snapshots were built and sent (a burst of its own), they are only stuck.
      await sleep(1000);
      const stuckFrom = Date.now();

      // The server closes each once its queue passed the bound (the kernel's socket buffers fill first).
      await waitFor(
        () => stuckDrops().length >= stuck.length,
        90_000,
        'the server to close every stuck connection',
      );
      const stuckTo = Math.min(...stuckDrops().map((d) => d.time));
      const afterFrom = Math.max(...stuckDrops().map((d) => d.time));
      await waitFor(
        // The slow reader may be between connections.
        () => healthy.every((b) => (b.stats.at(-1)?.connections ?? Infinity) <= healthy.length + 1),
        10_000,
        'the stats to count only the healthy dashboards and the slow reader',
      );
      await sleep(PHASE_MS);
      const afterTo = Date.now();

      // The slow reader reads normally again and catches up with the stats pushed meanwhile.
      await slow.stop();
      const lastStats = healthy[0]!.stats.at(-1)!.serverTime;
      await waitFor(
        () => slowBoard.socket.connected && (slowBoard.stats.at(-1)?.serverTime ?? 0) >= lastStats,
        15_000,
        'the slow reader to catch up',
      );
      await feed.stop();
      rec.stop();

      // Ingest was never held back: no request failed or was shed, and readings were acknowledged
      // in every phase (their rates are printed below, not judged here).
      expect(feed.counts().failed, JSON.stringify(feed.errors())).toBe(0);
      expect(feed.counts().refused, 'HTTP batches shed with 503').toBe(0);
      const before = rec.window(beforeFrom, beforeTo);
      // While at least one stuck dashboard was open: from the first one's connection to the last close.
      const stuckOpen = rec.window(beforeTo, afterFrom);
      const after = rec.window(afterFrom, afterTo);
      for (const [name, w] of Object.entries({ before, stuckOpen, after })) {
        expect(w.acked, `readings acknowledged ${name}`).toBeGreaterThan(0);
        // Healthy dashboards got batches in every phase.
        w.batches.forEach((n, i) =>
          expect(n, `batches on healthy dashboard ${i} ${name}`).toBeGreaterThan(0),
        );
      }

      // Each stuck connection was closed by the server, once, at the bound; nobody else was but
      // (possibly) the slow reader; healthy dashboards never lost their connection.
      const closed = drops();
      expect(new Set(stuckDrops().map((d) => d.socketId)).size).toBe(stuck.length);
      expect(stuckDrops()).toHaveLength(stuck.length);
      const slowDrops = closed.filter((d) => slow.ids.has(d.socketId));
      expect(closed).toHaveLength(stuck.length + slowDrops.length);
      for (const b of healthy) expect(b.disconnects).toEqual([]);

      // The slow reader kept receiving: every reliable stats push the healthy dashboards got
      // while it was cycling reached it too, once each and in order — on the same connection, or
      // replayed on the resumed session after the server closed it at the bound.
      const inRange = (times: number[]) => times.filter((t) => t >= beforeFrom && t <= lastStats);
      const healthyStats = inRange(healthy[0]!.stats.map((x) => x.serverTime));
      expect(healthyStats.length, 'stats pushes while the slow reader cycled').toBeGreaterThan(2);
      expect(inRange(slowBoard.stats.map((x) => x.serverTime))).toEqual(healthyStats);
      expect(slow.counts.batches, 'reading batches on the slow reader').toBeGreaterThan(0);
      expect(slow.cycles.paused, 'pause/read cycles of the slow reader').toBeGreaterThan(1);
      // Each of its disconnections was the server closing it at the bound, and each came back
      // as the same session.
      expect(slowBoard.disconnects).toHaveLength(slowDrops.length);
      expect(slow.reconnects).toEqual(slowDrops.map(() => true));

      // Healthy dashboards (and the slow reader) still get pushes.
      const marker = quiet.next();
      await postReadings(server.url, [marker]);
      await waitFor(
        () =>
          [...healthy, slowBoard].every((b) => b.pushed(marker.sensorId, marker.observedAt as number) > 0),
        15_000,
        'the marker reading on every healthy dashboard and the slow reader',
      );

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
        () =>
          [...healthy, slowBoard, ...stuck].every(
            (b) => b.pushed(again.sensorId, again.observedAt as number) > 0,
          ),
        15_000,
        'live pushes on every dashboard after the reconnection',
      );
      for (const b of healthy) expect(b.disconnects).toEqual([]);

      await server.kill('SIGTERM');
      expect(server.child.exitCode, server.output()).toBe(0);
      expect(missingFromStore(file, ledger).missing).toEqual([]);
      expect(integrityCheck(file)).toEqual(['ok']);

      // Figures, not judged (speed is measured by `npm run bench`, on a quiet machine): ingest
      // and the healthy dashboards' batches before, with every stuck dashboard open, and after.
      const connecting = rec.window(beforeTo, stuckFrom);
      const allStuck = rec.window(stuckFrom, stuckTo);
      const closing = rec.window(stuckTo, afterFrom);
      const show = (w: Window) =>
        w.to > w.from
          ? `${Math.round(w.perSec)} readings/s, batches ${w.batches.join('/')}, at most ${w.longestGapMs} ms ` +
            `apart over ${((w.to - w.from) / 1000).toFixed(1)} s`
          : 'empty window';
      console.log(
        `slow clients: ${stuck.length} stuck connections closed at ${MAX_BUFFERED / 1024} KiB; ` +
          `before: ${show(before)}; stuck ones connecting: ${show(connecting)}; every stuck one open: ` +
          `${show(allStuck)}; being closed: ${show(closing)}; after: ${show(after)}`,
      );
      console.log(
        `slow reader (${SLOW_PAUSE_MS} ms paused / ${SLOW_READ_MS} ms read): ${slow.cycles.paused} cycles ` +
          `(${slow.cycles.skipped} skipped while reconnecting), reliable pushes in ` +
          `${slow.cycles.readWindowsWithReliable} read windows; closed at the bound ${slowDrops.length}×, ` +
          `resumed ${slow.reconnects.filter(Boolean).length}×; received ${slow.counts.stats} stats ` +
          `(all ${healthyStats.length} pushed while it cycled), ${slow.counts.vitals} vitals, ` +
          `${slow.counts.batches} reading batches (healthy: ${healthy.map((b) => b.batches.length).join('/')})`,
      );
    },
    testTimeout(90_000, 3),
  );
});
