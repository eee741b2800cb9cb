import { describe, expect, it } from 'vitest';
import type { LngLat } from '@shared/schemas/common.schema';
import type { TimelineEntry } from '@shared/schemas/workOrder.schema';
import type { SimWorkerSettings } from '../../../simulators/src/scenario/scenario.schema';
import {
  failsFirstReport,
  nextSimAction,
  travel,
  type SimCase,
} from '../../../simulators/src/scenario/workers';

const T0 = Date.parse('2026-11-24T09:00:00+08:00');
const MIN = 60_000;
const SETTINGS: SimWorkerSettings = {
  acceptAfter: 180,
  travelKmh: 15,
  handle: 1200,
  reworkShare: 0,
  verifyAfter: 300,
};
const SITE: LngLat = [120.162435, 30.257969];
/** 0.03° of latitude north of the site: 3.336 km along the meridian. */
const NORTH: LngLat = [SITE[0], SITE[1] + 0.03];

let seq = 0;
const entry = (
  minute: number,
  action: TimelineEntry['action'],
  from: TimelineEntry['from'],
  to: TimelineEntry['to'],
  extra: Partial<TimelineEntry> = {},
): TimelineEntry => ({ seq: ++seq, at: T0 + minute * MIN, action, by: 'x', byName: 'x', from, to, ...extra });

/** A case whose timeline is `entries`; its state is that of the last entry. */
const order = (entries: TimelineEntry[], id = 'WO-20261124-0001', reworkCount = 0): SimCase => ({
  id,
  state: entries.at(-1)!.to,
  location: SITE,
  reworkCount,
  timeline: entries,
});

const registered = entry(0, 'register', null, 'registered');
const dispatched = entry(1, 'dispatch', 'registered', 'dispatched', { assigneeId: 'W-0001' });
const accepted = entry(4, 'accept', 'dispatched', 'accepted');
const checkedIn = entry(17, 'checkIn', 'accepted', 'handling');
const reported = entry(37, 'report', 'handling', 'reported');
const ctx = (over: Partial<SimWorkerSettings> = {}, from: LngLat | null = NORTH, seed = 1) => ({
  from,
  settings: { ...SETTINGS, ...over },
  seed,
});

describe('simulated grid workers', () => {
  it('accept acceptAfter after the dispatch, or after the latest reassignment', () => {
    expect(nextSimAction(order([registered, dispatched]), ctx())).toEqual({
      action: 'accept',
      at: T0 + 4 * MIN,
    });
    const reassigned = entry(10, 'reassign', 'dispatched', 'dispatched', { assigneeId: 'W-0002' });
    expect(nextSimAction(order([registered, dispatched, reassigned]), ctx({ acceptAfter: 60 }))).toEqual({
      action: 'accept',
      at: T0 + 11 * MIN,
    });
  });

  it('check in with the site QR code after travelling the distance at travelKmh', () => {
    const next = nextSimAction(order([registered, dispatched, accepted]), ctx());
    expect(next).toMatchObject({ action: 'checkIn', code: 'cityops:site:WO-20261124-0001' });
    const trip = travel(NORTH, SITE, 15);
    expect(trip.km).toBeCloseTo(3.336, 2);
    // 3.336 km at 15 km/h: 13.3 minutes after the accept.
    expect(next!.at - accepted.at).toBe(trip.ms);
    expect(trip.ms / MIN).toBeCloseTo(13.34, 1);
    // Twice as fast, half the time; already on site, at once.
    const fast = nextSimAction(order([registered, dispatched, accepted]), ctx({ travelKmh: 30 }));
    expect(Math.abs(fast!.at - accepted.at - trip.ms / 2)).toBeLessThanOrEqual(1);
    const there = nextSimAction(order([registered, dispatched, accepted]), ctx({}, null));
    expect(there).toMatchObject({ action: 'checkIn', at: accepted.at, travelKm: 0 });
  });

  it('report `handle` after the check-in', () => {
    expect(nextSimAction(order([registered, dispatched, accepted, checkedIn]), ctx())).toEqual({
      action: 'report',
      at: T0 + 37 * MIN,
    });
  });

  it('have the verifier pass a report verifyAfter after it when no rework is asked', () => {
    expect(nextSimAction(order([registered, dispatched, accepted, checkedIn, reported]), ctx())).toEqual({
      action: 'verify',
      at: T0 + 42 * MIN,
      result: 'pass',
    });
  });

  it('fail the first report of a case chosen for rework once, then handle it again and pass', () => {
    const all = ctx({ reworkShare: 1 });
    const first = order([registered, dispatched, accepted, checkedIn, reported]);
    expect(nextSimAction(first, all)).toMatchObject({ action: 'verify', result: 'fail' });
    const failed = entry(42, 'verify', 'reported', 'handling', { data: { result: 'fail' } });
    const rework = order([registered, dispatched, accepted, checkedIn, reported, failed], first.id, 1);
    // Back on site since the failed verification: the report comes `handle` after it.
    expect(nextSimAction(rework, all)).toEqual({ action: 'report', at: T0 + 62 * MIN });
    const again = entry(62, 'report', 'handling', 'reported');
    expect(nextSimAction(order([...rework.timeline, again], first.id, 1), all)).toEqual({
      action: 'verify',
      at: T0 + 67 * MIN,
      result: 'pass',
    });
  });

  it('do nothing on cases nobody simulated acts on', () => {
    for (const last of [
      registered,
      entry(3, 'return', 'dispatched', 'returned'),
      entry(3, 'escalate', 'dispatched', 'escalated'),
      entry(50, 'verify', 'reported', 'closed', { data: { result: 'pass' } }),
      entry(3, 'cancel', 'dispatched', 'cancelled'),
    ])
      expect(nextSimAction(order([registered, last]), ctx()), last.to).toBeNull();
  });

  it('count time from when a queued action was done on the phone', () => {
    const offline = entry(9, 'accept', 'dispatched', 'accepted', { doneAt: T0 + 5 * MIN });
    const next = nextSimAction(order([registered, dispatched, offline]), ctx({}, null));
    expect(next).toMatchObject({ action: 'checkIn', at: T0 + 5 * MIN });
  });
});

describe('rework share', () => {
  const ids = Array.from({ length: 2000 }, (_, i) => `WO-20261124-${String(i + 1).padStart(4, '0')}`);

  it('fails about the share asked, the same cases for the same seed, other cases for another seed', () => {
    const picked = (seed: number, share: number) => ids.filter((id) => failsFirstReport(id, seed, share));
    const a = picked(7, 0.3);
    expect(a.length / ids.length).toBeGreaterThan(0.26);
    expect(a.length / ids.length).toBeLessThan(0.34);
    expect(picked(7, 0.3)).toEqual(a);
    const b = picked(8, 0.3);
    expect(b).not.toEqual(a);
    // A larger share keeps the cases a smaller one picked.
    const wider = new Set(picked(7, 0.6));
    expect(a.every((id) => wider.has(id))).toBe(true);
  });

  it('fails none at 0 and all at 1', () => {
    expect(ids.some((id) => failsFirstReport(id, 3, 0))).toBe(false);
    expect(ids.every((id) => failsFirstReport(id, 3, 1))).toBe(true);
  });
});
