import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { useLiveStore } from '../../../../client/src/features/live/live.store';
import { useVitalsStore, vitalsMatchScope } from '../../../../client/src/features/vitals/vitals.store';
import { snapshot } from '../../live.fixtures';
import { T0, vitals } from './vitals.fixtures';

const XIHU = { kind: 'district', id: '330106' } as const;

describe('vitalsMatchScope', () => {
  it('matches the city to the city and a district to itself only', () => {
    expect(vitalsMatchScope({ kind: 'city' }, { kind: 'city' })).toBe(true);
    expect(vitalsMatchScope(XIHU, XIHU)).toBe(true);
    expect(vitalsMatchScope(XIHU, { kind: 'district', id: '330102' })).toBe(false);
    expect(vitalsMatchScope({ kind: 'city' }, XIHU)).toBe(false);
    expect(vitalsMatchScope(XIHU, { kind: 'city' })).toBe(false);
  });

  it('never matches a grid cell, which has no vitals', () => {
    expect(vitalsMatchScope(XIHU, { kind: 'cell', id: '330106001001001' })).toBe(false);
    expect(vitalsMatchScope({ kind: 'city' }, { kind: 'cell', id: '330106001001001' })).toBe(false);
  });
});

describe('useVitalsStore', () => {
  beforeEach(() => setActivePinia(createPinia()));

  /** Live and vitals stores after a snapshot, as the socket binding applies it. */
  function afterSnapshot(s = snapshot({ vitals: vitals() })) {
    const live = useLiveStore();
    const store = useVitalsStore();
    live.applySnapshot(s);
    store.applySnapshot(s);
    return { live, store };
  }

  it('holds nothing before a snapshot', () => {
    const store = useVitalsStore();
    expect(store.vitals).toBeNull();
    expect(store.trend).toEqual([]);
  });

  it("takes the snapshot's vitals and trend", () => {
    const { store } = afterSnapshot();
    expect(store.vitals?.traffic.index.tpi).toBe(4.2);
    expect(store.trend).toEqual([{ t: T0 - 60_000, tpi: 4.1, aqi: 77 }]);
  });

  it('holds none for a snapshot without vitals (a grid cell), dropping those of the scope before', () => {
    const { store, live } = afterSnapshot();
    const cell = snapshot({ scope: { kind: 'cell', id: '330106001001001' } });
    live.applySnapshot(cell);
    store.applySnapshot(cell);
    expect(store.vitals).toBeNull();
  });

  it('takes a newer push and keeps the trend it held when the push carries none', () => {
    const { store } = afterSnapshot();
    const { trend: _omitted, ...push } = vitals({ at: T0 + 2_000, readingsPerSec: 300 });
    store.applyPush(push);
    expect(store.vitals?.readingsPerSec).toBe(300);
    expect(store.trend).toEqual([{ t: T0 - 60_000, tpi: 4.1, aqi: 77 }]);
  });

  it("replaces the trend with a push's own", () => {
    const { store } = afterSnapshot();
    const newTrend = [
      { t: T0 - 60_000, tpi: 4.1, aqi: 77 },
      { t: T0, tpi: 5, aqi: 80 },
    ];
    store.applyPush(vitals({ at: T0 + 60_000, trend: newTrend }));
    expect(store.trend).toEqual(newTrend);
  });

  it('ignores a push older than the vitals it holds', () => {
    const { store } = afterSnapshot(snapshot({ vitals: vitals({ at: T0 + 4_000, readingsPerSec: 50 }) }));
    store.applyPush(vitals({ at: T0 + 2_000, readingsPerSec: 999 }));
    expect(store.vitals?.readingsPerSec).toBe(50);
  });

  it('ignores a push for another scope than the one the wall follows (late, from before a switch)', () => {
    const { store } = afterSnapshot(snapshot({ scope: XIHU, vitals: vitals({}, XIHU) }));
    store.applyPush(vitals({ at: T0 + 2_000, readingsPerSec: 999 }));
    store.applyPush(vitals({ at: T0 + 2_000, readingsPerSec: 999 }, { kind: 'district', id: '330102' }));
    expect(store.vitals?.scope).toEqual(XIHU);
    expect(store.vitals?.readingsPerSec).toBe(120.5);
  });

  it('takes the first push of the scope when the snapshot had no vitals yet', () => {
    const { store } = afterSnapshot(snapshot());
    const { trend: _omitted, ...push } = vitals({ at: T0 + 2_000 });
    store.applyPush(push);
    expect(store.vitals?.at).toBe(T0 + 2_000);
    expect(store.trend).toEqual([]);
  });

  it('forgets everything on clear', () => {
    const { store } = afterSnapshot();
    store.clear();
    expect(store.vitals).toBeNull();
    expect(store.trend).toEqual([]);
  });
});
