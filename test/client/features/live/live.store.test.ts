import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { RECENT_LIMIT, useLiveStore } from '../../../../client/src/features/live/live.store';
import { alert, batch, reading, sensor, snapshot, stats, T0 } from '../../live.fixtures';

describe('useLiveStore', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    vi.useFakeTimers({ now: T0 });
  });

  it('starts with no data and city scope', () => {
    const live = useLiveStore();
    expect(live.hasSnapshot).toBe(false);
    expect(live.scope).toEqual({ kind: 'city' });
    expect(live.stats).toBeNull();
    expect(live.recent).toEqual([]);
    expect(live.simulated).toBe(false);
  });

  it('applies a snapshot: sensors, latest, alerts, stats and a recent list seeded newest first', () => {
    const live = useLiveStore();
    live.applySnapshot(snapshot());
    expect(live.hasSnapshot).toBe(true);
    expect(live.sensorCount).toBe(4);
    expect(live.openAlertCount).toBe(1);
    expect(live.openAlertsBySeverity).toEqual({ red: 0, orange: 1, yellow: 0, blue: 0 });
    expect(live.stats?.acceptedByKind.traffic).toBe(600);
    expect(live.latestOf('t1')?.values).toEqual({ speed: 40, volume: 900 });
    expect(live.recent.map((r) => r.sensorId)).toEqual(['t1', 'a1']);
    expect(live.recent[0]).toMatchObject({ kind: 'traffic', name: { zh: '传感器t1', en: 'Sensor t1' } });
  });

  it('counts muted alerts apart, and escalated red alerts until they are acknowledged', () => {
    const live = useLiveStore();
    live.applySnapshot(
      snapshot({
        openAlerts: [
          alert('al1'),
          alert('al2', { severity: 'red', suppressed: { by: 'silence', id: 'sil1', reason: '维护' } }),
          alert('al3', { severity: 'red', escalatedAt: T0 - 1000 }),
        ],
      }),
    );
    expect(live.openAlertCount).toBe(2);
    expect(live.mutedAlertCount).toBe(1);
    expect(live.openAlertsBySeverity).toEqual({ red: 1, orange: 1, yellow: 0, blue: 0 });
    expect(live.escalatedAlertCount).toBe(1);
    live.applyAlert(
      alert('al3', {
        severity: 'red',
        escalatedAt: T0 - 1000,
        state: 'acknowledged',
        updatedAt: T0,
        acknowledged: { at: T0, by: 'u1', byName: '值班员', comment: '已派人' },
      }),
    );
    expect(live.escalatedAlertCount).toBe(0);
    // The silence ends: the alert is announced and counted.
    live.applyAlert(alert('al2', { severity: 'red', updatedAt: T0 }));
    expect(live.mutedAlertCount).toBe(0);
    expect(live.openAlertsBySeverity.red).toBe(2);
  });

  it('keeps open incidents from the snapshot and the pushed changes, dropping resolved ones', () => {
    const live = useLiveStore();
    const incident = {
      id: 'inc1',
      state: 'open' as const,
      severity: 'red' as const,
      peakSeverity: 'red' as const,
      title: { zh: '烟感报警 等 2 条告警', en: 'Smoke (+1 more)' },
      districtIds: ['330102'],
      gridCellIds: ['330102001001001'],
      subjects: ['sensor:s1', 'sensor:s2'],
      alertIds: ['al1', 'al2'],
      openAlertIds: ['al1', 'al2'],
      ruleIds: ['grid-smoke'],
      startsAt: T0 - 60_000,
      updatedAt: T0 - 60_000,
      lastActiveAt: T0 - 60_000,
    };
    live.applySnapshot(snapshot({ openIncidents: [incident] }));
    expect(live.openIncidentCount).toBe(1);
    live.applyIncident({ ...incident, id: 'inc2', updatedAt: T0 });
    expect(live.openIncidentCount).toBe(2);
    // A replayed older copy changes nothing; the resolution removes it.
    live.applyIncident({ ...incident, state: 'resolved', updatedAt: T0 - 120_000 });
    expect(live.openIncidentCount).toBe(2);
    live.applyIncident({ ...incident, state: 'resolved', openAlertIds: [], updatedAt: T0 });
    expect([...live.openIncidentsById.keys()]).toEqual(['inc2']);
  });

  it('counts the sensors that reported within two minutes', () => {
    const live = useLiveStore();
    live.applySnapshot(snapshot());
    // t1 reported 10 s ago, a1 five minutes ago, w1 and g1 never.
    expect(live.reportingCount).toBe(1);
    live.applyBatch(batch([reading('w1', T0 + 500, { rainfall: 2 })]));
    live.applyStats(stats({ serverTime: T0 + 1000 }));
    expect(live.reportingCount).toBe(2);
    // Two minutes later t1's report has aged out, w1's has not.
    live.applyStats(stats({ serverTime: T0 + 115_000 }));
    expect(live.reportingCount).toBe(1);
  });

  it('does not count a reporting sensor missing from the snapshot', () => {
    const live = useLiveStore();
    live.applySnapshot(snapshot());
    live.applyBatch(batch([reading('newcomer', T0, { speed: 10 })]));
    live.applyStats(stats({ serverTime: T0 + 1000 }));
    expect(live.reportingCount).toBe(1);
    expect(live.recent[0]).toMatchObject({ sensorId: 'newcomer', kind: null, name: null });
  });

  it('puts batch readings at the head of the recent list and keeps it bounded', () => {
    const live = useLiveStore();
    live.applySnapshot(snapshot());
    live.applyBatch(batch([reading('t1', T0 + 1, { speed: 41 }), reading('w1', T0 + 2, { rainfall: 1 })]));
    expect(live.recent.map((r) => r.sensorId)).toEqual(['w1', 't1', 't1', 'a1']);

    const big = Array.from({ length: 1000 }, (_, i) => reading('t1', T0 + 10 + i, { speed: i % 100 }));
    live.applyBatch(batch(big));
    expect(live.recent).toHaveLength(RECENT_LIMIT);
    // Newest (last in the batch) first.
    expect(live.recent[0]?.observedAt).toBe(T0 + 10 + 999);
    expect(new Set(live.recent.map((r) => r.seq)).size).toBe(RECENT_LIMIT);
  });

  it('merges batch values into the latest values and ignores a late, older reading', () => {
    const live = useLiveStore();
    live.applySnapshot(snapshot());
    const before = live.latestRevision;
    live.applyBatch(batch([reading('t1', T0, { speed: 55 })]));
    expect(live.latestOf('t1')).toMatchObject({ observedAt: T0, values: { speed: 55, volume: 900 } });
    expect(live.latestRevision).toBe(before + 1);

    live.applyBatch(batch([reading('t1', T0 - 5000, { speed: 1 })]));
    expect(live.latestOf('t1')?.values.speed).toBe(55);
  });

  it('ignores a batch for another room', () => {
    const live = useLiveStore();
    live.applySnapshot(snapshot());
    live.applyBatch(batch([reading('t1', T0, { speed: 99 })], { kind: 'district', id: '330102' }));
    expect(live.latestOf('t1')?.values.speed).toBe(40);
    expect(live.recent).toHaveLength(2);
  });

  it('takes the latest values of a resync', () => {
    const live = useLiveStore();
    live.applySnapshot(snapshot());
    live.applyResync({
      v: 'v1',
      latest: [
        { sensorId: 't1', observedAt: T0 + 30_000, values: { speed: 12 } },
        { sensorId: 'g1', observedAt: T0 + 30_000, values: { tilt: 3 } },
      ],
    });
    expect(live.latestOf('t1')).toMatchObject({
      observedAt: T0 + 30_000,
      values: { speed: 12, volume: 900 },
    });
    expect(live.latestOf('g1')?.values).toEqual({ tilt: 3 });
    vi.setSystemTime(T0 + 31_000);
    live.applyResync({ v: 'v1', latest: [] });
    expect(live.reportingCount).toBe(2);
  });

  it('replaces the state with a new snapshot on a scope change', () => {
    const live = useLiveStore();
    live.applySnapshot(snapshot());
    live.applyBatch(batch([reading('t1', T0, { speed: 1 })]));
    live.applySnapshot(
      snapshot({
        scope: { kind: 'district', id: '330102' },
        sensors: [sensor('x1', 'air', '330102')],
        latest: [{ sensorId: 'x1', observedAt: T0 - 1000, values: { pm25: 80 } }],
        openAlerts: [],
      }),
    );
    expect(live.scope).toEqual({ kind: 'district', id: '330102' });
    expect(live.sensorCount).toBe(1);
    expect(live.latestOf('t1')).toBeUndefined();
    expect(live.openAlertCount).toBe(0);
    expect(live.recent.map((r) => r.sensorId)).toEqual(['x1']);
    // Batches of the new room are now applied, those of the old one are not.
    live.applyBatch(batch([reading('x1', T0, { pm25: 81 })], { kind: 'district', id: '330102' }));
    live.applyBatch(batch([reading('t1', T0, { speed: 2 })]));
    expect(live.recent.map((r) => r.sensorId)).toEqual(['x1', 'x1']);
  });

  it('keeps two minutes of readings/s samples from the stats', () => {
    const live = useLiveStore();
    live.applySnapshot(snapshot());
    for (let s = 1; s <= 150; s += 1)
      live.applyStats(stats({ serverTime: T0 + s * 1000, readingsPerSec: s }));
    const samples = live.rateSamples;
    expect(samples.at(-1)).toEqual({ t: T0 + 150_000, value: 150 });
    expect(samples[0]?.t).toBe(T0 + 30_000);
    expect(samples).toHaveLength(121);
  });

  it('tracks the server clock offset but ignores jitter under half a second', () => {
    const live = useLiveStore();
    live.applyStats(stats({ serverTime: T0 + 5000 }));
    expect(live.clockOffsetMs).toBe(5000);
    expect(live.serverNow()).toBe(T0 + 5000);
    live.applyStats(stats({ serverTime: T0 + 5200 }));
    expect(live.clockOffsetMs).toBe(5000);
    live.applyStats(stats({ serverTime: T0 - 3000 }));
    expect(live.clockOffsetMs).toBe(-3000);
  });

  it('reports a simulated feed from the stats', () => {
    const live = useLiveStore();
    live.applyStats(stats({ simulated: true }));
    expect(live.simulated).toBe(true);
  });

  it('adds raised alerts, updates them and drops them once resolved', () => {
    const live = useLiveStore();
    live.applySnapshot(snapshot({ openAlerts: [] }));
    live.applyAlert(alert('a', { severity: 'red' }));
    live.applyAlert(alert('b', { severity: 'blue' }));
    expect(live.openAlertCount).toBe(2);
    expect(live.openAlertsBySeverity).toEqual({ red: 1, orange: 0, yellow: 0, blue: 1 });

    live.applyAlert(alert('a', { severity: 'red', state: 'acknowledged', updatedAt: T0 }));
    expect(live.openAlertsById.get('a')?.state).toBe('acknowledged');

    live.applyAlert(alert('a', { state: 'resolved', updatedAt: T0 + 1 }));
    expect(live.openAlertCount).toBe(1);
    // A resolved alert we never had stays out.
    live.applyAlert(alert('c', { state: 'closed' }));
    expect(live.openAlertCount).toBe(1);
  });

  it('ignores a replayed alert older than the one it has', () => {
    const live = useLiveStore();
    live.applySnapshot(snapshot({ openAlerts: [] }));
    live.applyAlert(alert('a', { state: 'acknowledged', updatedAt: T0 }));
    live.applyAlert(alert('a', { state: 'firing', updatedAt: T0 - 1000 }));
    expect(live.openAlertsById.get('a')?.state).toBe('acknowledged');
  });

  it('ignores an alert of another district while following one district', () => {
    const live = useLiveStore();
    live.applySnapshot(snapshot({ scope: { kind: 'district', id: '330106' }, openAlerts: [] }));
    live.applyAlert(alert('other', { districtId: '330102' }));
    live.applyAlert(alert('mine', { districtId: '330106' }));
    expect([...live.openAlertsById.keys()]).toEqual(['mine']);
  });
});
