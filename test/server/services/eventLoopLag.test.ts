import { describe, expect, it } from 'vitest';
import { IngestStatsSchema } from '../../../shared/schemas/ingest.schema';
import { EventLoopLagMonitor, LagWindow } from '../../../server/src/services/eventLoopLag';
import { IngestCounters } from '../../../server/src/services/ingestStats';
import { useTestServer } from '../../helpers/server';

const T0 = 1_000_000;

/** The histogram keeps 3 significant figures: `actual` is within 0.2 % of `expected`. */
function expectNear(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(expected * 0.002);
}

describe('LagWindow', () => {
  it('gives the percentiles, maximum and mean of the samples in the window', () => {
    const w = new LagWindow(10);
    // 1, 2, …, 100 ms spread over three seconds.
    for (let i = 1; i <= 100; i++) w.record(T0 + i * 25, i);
    const s = w.snapshot(T0 + 2_600);
    expect(s.samples).toBe(100);
    expect(s.windowSec).toBe(10);
    expectNear(s.p50Ms, 50);
    expectNear(s.p99Ms, 99);
    expectNear(s.maxMs, 100);
    expectNear(s.meanMs, 50.5);
  });

  it('forgets the seconds that left the trailing window', () => {
    const w = new LagWindow(3);
    w.record(T0, 400);
    w.record(T0 + 1_000, 5);
    w.record(T0 + 2_000, 5);
    const all = w.snapshot(T0 + 2_500);
    expect(all.samples).toBe(3);
    expectNear(all.maxMs, 400);
    // At T0 + 3 s the window is the seconds T0+1 … T0+3: the 400 ms sample is gone.
    const later = w.snapshot(T0 + 3_000);
    expect(later.samples).toBe(2);
    expectNear(later.maxMs, 5);
    expect(w.snapshot(T0 + 10_000)).toEqual({
      windowSec: 3,
      samples: 0,
      p50Ms: 0,
      p99Ms: 0,
      maxMs: 0,
      meanMs: 0,
    });
  });

  it('counts a lag of zero as the smallest recordable one', () => {
    const w = new LagWindow(1);
    w.record(T0, 0);
    const s = w.snapshot(T0);
    expect(s.samples).toBe(1);
    expect(s.maxMs).toBeLessThanOrEqual(0.001);
  });

  it('refuses a window that is not a whole number of seconds', () => {
    expect(() => new LagWindow(0)).toThrow(/whole number of seconds/);
    expect(() => new LagWindow(2.5)).toThrow(/whole number of seconds/);
  });
});

describe('EventLoopLagMonitor', () => {
  it('sees the loop blocked for 150 ms as a lag of at least 100 ms', async () => {
    const monitor = new EventLoopLagMonitor({ sampleMs: 5, windowSec: 10 });
    monitor.start();
    try {
      await new Promise((r) => setTimeout(r, 50));
      const until = performance.now() + 150;
      while (performance.now() < until) {
        // Busy: the monitor's timer cannot fire.
      }
      await new Promise((r) => setTimeout(r, 50));
      const s = monitor.snapshot();
      expect(s.samples).toBeGreaterThan(2);
      expect(s.maxMs).toBeGreaterThanOrEqual(100);
      expect(s.p50Ms).toBeLessThan(s.maxMs);
    } finally {
      monitor.stop();
    }
  });

  it('takes no samples once stopped', async () => {
    const monitor = new EventLoopLagMonitor({ sampleMs: 5 });
    monitor.start();
    await new Promise((r) => setTimeout(r, 30));
    monitor.stop();
    const before = monitor.snapshot().samples;
    await new Promise((r) => setTimeout(r, 40));
    expect(monitor.snapshot().samples).toBe(before);
  });

  it('is reported with the ingest counters, which say null without a monitor', () => {
    const lag = { windowSec: 10, samples: 7, p50Ms: 0.2, p99Ms: 3, maxMs: 4, meanMs: 0.5 };
    const store = {
      queued: 0,
      queuedPeak: 0,
      written: 0,
      duplicates: 0,
      flushes: 0,
      lastFlushMs: 0,
      failures: 0,
      failing: null,
    };
    expect(new IngestCounters(() => T0, { snapshot: () => lag }).snapshot(store).eventLoop).toEqual(lag);
    expect(new IngestCounters(() => T0).snapshot(store).eventLoop).toBeNull();
  });
});

describe('GET /api/v1/ingest/stats', () => {
  const server = useTestServer();

  it("reports the server's event-loop lag over the last 10 s", async () => {
    // The monitor samples every 10 ms from the start; give it a few samples.
    await new Promise((r) => setTimeout(r, 100));
    const res = await fetch(`${server().url}/api/v1/ingest/stats`);
    expect(res.status).toBe(200);
    const stats = IngestStatsSchema.parse(await res.json());
    expect(stats.eventLoop).not.toBeNull();
    expect(stats.eventLoop!.windowSec).toBe(10);
    expect(stats.eventLoop!.samples).toBeGreaterThan(0);
    expect(stats.eventLoop!.maxMs).toBeGreaterThanOrEqual(stats.eventLoop!.p99Ms);
  });
});
