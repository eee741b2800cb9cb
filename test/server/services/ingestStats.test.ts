import { describe, expect, it } from 'vitest';
import { IngestStatsSchema } from '../../../shared/schemas/ingest.schema';
import { IngestCounters } from '../../../server/src/services/ingestStats';
import type { ReadingStoreStats } from '../../../server/src/services/ports';

const T0 = Date.parse('2026-11-21T08:00:00Z');

const STORE: ReadingStoreStats = {
  queued: 3,
  queuedPeak: 900,
  written: 120,
  duplicates: 2,
  flushes: 7,
  lastFlushMs: 1.5,
  failures: 0,
  failing: null,
};

/** Counters on a clock the test moves. */
function counters() {
  let now = T0;
  const c = new IngestCounters(() => now);
  return { c, at: (ms: number) => (now = T0 + ms) };
}

const kinds = (entries: Record<string, number>) => new Map(Object.entries(entries));

describe('IngestCounters', () => {
  it('starts at zero with every rejection reason listed', () => {
    const stats = new IngestCounters(() => T0).snapshot(STORE);
    expect(IngestStatsSchema.parse(stats)).toEqual(stats);
    expect(stats.since).toBe(T0);
    expect(stats.total).toEqual({ payloads: 0, received: 0, accepted: 0, duplicates: 0, rejected: 0 });
    expect(Object.values(stats.rejectedByReason).every((n) => n === 0)).toBe(true);
    expect(stats.rejectedByReason).toHaveProperty('topic_mismatch', 0);
    expect(stats.ratePerSec).toBe(0);
  });

  it('counts payloads and offered readings per path, with the total as their sum', () => {
    const { c } = counters();
    c.payload('mqtt', 1);
    c.payload('mqtt', 3);
    c.payload('http', 500);
    const { byPath, total } = c.snapshot(STORE);
    expect(byPath.mqtt).toMatchObject({ payloads: 2, received: 4 });
    expect(byPath.http).toMatchObject({ payloads: 1, received: 500 });
    expect(total).toMatchObject({ payloads: 3, received: 504 });
  });

  it('counts rejections per path and per reason', () => {
    const { c } = counters();
    c.rejected('mqtt', 'out_of_range');
    c.rejected('http', 'out_of_range');
    c.rejected('http', 'batch_too_large', 5001);
    const stats = c.snapshot(STORE);
    expect(stats.byPath.mqtt.rejected).toBe(1);
    expect(stats.byPath.http.rejected).toBe(5002);
    expect(stats.total.rejected).toBe(5003);
    expect(stats.rejectedByReason).toMatchObject({
      out_of_range: 2,
      batch_too_large: 5001,
      malformed_json: 0,
    });
  });

  it('counts accepted readings per path and per sensor kind', () => {
    const { c } = counters();
    c.accepted('mqtt', kinds({ traffic: 10, air: 2 }), T0);
    c.accepted('http', kinds({ traffic: 5 }), T0);
    const stats = c.snapshot(STORE);
    expect(stats.byPath.mqtt.accepted).toBe(12);
    expect(stats.byPath.http.accepted).toBe(5);
    expect(stats.acceptedByKind).toEqual({ traffic: 15, air: 2 });
  });

  it('counts duplicates as accepted without counting them per kind', () => {
    const { c } = counters();
    c.accepted('http', kinds({ air: 1 }), T0);
    c.duplicates('http', 4);
    const stats = c.snapshot(STORE);
    expect(stats.byPath.http).toMatchObject({ accepted: 5, duplicates: 4 });
    expect(stats.acceptedByKind).toEqual({ air: 1 });
  });

  it('keeps the newest observation time across accepted batches', () => {
    const { c } = counters();
    expect(c.totals().newestObservedAt).toBeNull();
    c.accepted('mqtt', kinds({ air: 1 }), T0 - 5000);
    c.accepted('mqtt', kinds({ air: 1 }), T0 - 60_000);
    expect(c.totals()).toEqual({ accepted: 2, rejected: 0, byKind: { air: 2 }, newestObservedAt: T0 - 5000 });
  });

  it('passes the store figures through', () => {
    expect(new IngestCounters(() => T0).snapshot(STORE).store).toEqual({
      queued: 3,
      queuedPeak: 900,
      written: 120,
      flushes: 7,
      lastFlushMs: 1.5,
      failures: 0,
      failing: null,
    });
  });

  it('says why the store cannot write while its writes fail', () => {
    const failing = {
      code: 'SQLITE_FULL',
      message: 'database or disk is full',
      since: T0 - 3000,
      failures: 2,
    };
    const stats = new IngestCounters(() => T0).snapshot({ ...STORE, failures: 2, failing });
    expect(IngestStatsSchema.parse(stats)).toEqual(stats);
    expect(stats.store).toMatchObject({ failures: 2, failing });
  });

  it('reports the rate over the last 10 whole seconds, leaving out the second in progress', () => {
    const { c, at } = counters();
    at(200);
    c.accepted('mqtt', kinds({ traffic: 50 }), T0);
    expect(c.ratePerSec()).toBe(0);
    at(1200);
    expect(c.ratePerSec()).toBe(5);
    c.accepted('http', kinds({ air: 30 }), T0);
    at(2000);
    expect(c.ratePerSec()).toBe(8);
    at(10_999);
    expect(c.ratePerSec()).toBe(8);
    at(11_000);
    expect(c.ratePerSec()).toBe(3);
    at(12_000);
    expect(c.ratePerSec()).toBe(0);
  });

  it('forgets readings from before a long quiet spell', () => {
    const { c, at } = counters();
    c.accepted('mqtt', kinds({ traffic: 100 }), T0);
    at(95_000);
    c.accepted('mqtt', kinds({ traffic: 10 }), T0);
    at(96_000);
    expect(c.ratePerSec()).toBe(1);
  });

  it('does not count rejections in the rate', () => {
    const { c, at } = counters();
    c.rejected('mqtt', 'malformed_json', 40);
    at(1000);
    expect(c.ratePerSec()).toBe(0);
  });
});
