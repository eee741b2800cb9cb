import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useCityStore } from '../../../../client/src/features/city/city.store';
import { useScopeStore } from '../../../../client/src/features/scope/scope.store';
import {
  nextTourStop,
  TOUR_DEFAULT_DWELL_S,
  TOUR_MIN_DWELL_S,
  tourFromQuery,
  useTourStore,
} from '../../../../client/src/features/scope/tour.store';

const DISTRICTS = ['330102', '330103', '330104'];

describe('nextTourStop', () => {
  it('goes from the whole city to the first district, through each district, and back to the city', () => {
    const stops = [];
    let at: Parameters<typeof nextTourStop>[0] = { kind: 'city' };
    for (let i = 0; i < 5; i++) {
      at = nextTourStop(at, DISTRICTS);
      stops.push(at.kind === 'city' ? 'city' : at.id);
    }
    expect(stops).toEqual(['330102', '330103', '330104', 'city', '330102']);
  });

  it('restarts from the first district when the wall shows a cell or a district no longer listed', () => {
    expect(nextTourStop({ kind: 'cell', id: '330102001001001' }, DISTRICTS)).toEqual({
      kind: 'district',
      id: '330102',
    });
    expect(nextTourStop({ kind: 'district', id: '330999' }, DISTRICTS)).toEqual({ kind: 'city' });
  });

  it('stays on the whole city when there are no districts', () => {
    expect(nextTourStop({ kind: 'city' }, [])).toEqual({ kind: 'city' });
  });
});

describe('tourFromQuery', () => {
  it('reads the dwell from ?tour=45, the default from a bare ?tour, and nothing without it', () => {
    expect(tourFromQuery('?tour=45')).toBe(45);
    expect(tourFromQuery('?tour')).toBe(TOUR_DEFAULT_DWELL_S);
    expect(tourFromQuery('?tour=abc')).toBe(TOUR_DEFAULT_DWELL_S);
    expect(tourFromQuery('?scope=city')).toBeNull();
  });

  it('never dwells less than the readable minimum', () => {
    expect(tourFromQuery('?tour=2')).toBe(TOUR_MIN_DWELL_S);
  });
});

describe('tour store', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    setActivePinia(createPinia());
    useCityStore().districts = DISTRICTS.map((id) => ({ id, name: { zh: id, en: id } }));
  });
  afterEach(() => vi.useRealTimers());

  it('moves the wall to the next stop every dwell and stops when told', async () => {
    const scope = useScopeStore();
    const select = vi.spyOn(scope, 'select').mockImplementation(async (target) => {
      scope.selected = target;
    });
    const tour = useTourStore();
    tour.start(20);
    expect(tour.running).toBe(true);
    await vi.advanceTimersByTimeAsync(19_999);
    expect(select).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(select).toHaveBeenLastCalledWith({ kind: 'district', id: '330102' });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(select).toHaveBeenLastCalledWith({ kind: 'district', id: '330103' });
    tour.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(select).toHaveBeenCalledTimes(2);
    expect(tour.running).toBe(false);
  });

  it('toggles on and off and keeps at least the minimum dwell', () => {
    const tour = useTourStore();
    tour.start(1);
    expect(tour.dwellS).toBe(TOUR_MIN_DWELL_S);
    tour.toggle();
    expect(tour.running).toBe(false);
    tour.toggle();
    expect(tour.running).toBe(true);
    tour.stop();
  });
});
