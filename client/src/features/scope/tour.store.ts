import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Scope } from '@shared/schemas/live.schema';
import { useCityStore } from '../city/city.store';
import { useScopeStore } from './scope.store';

/** How long the tour stays on each stop unless told otherwise, seconds. */
export const TOUR_DEFAULT_DWELL_S = 30;
/** Shortest dwell the tour accepts, seconds (a wall must stay readable). */
export const TOUR_MIN_DWELL_S = 10;

/**
 * The stop after `current` in a tour of the whole city then each district in code order,
 * back to the city after the last one. A scope outside the tour (a cell) restarts it.
 */
export function nextTourStop(current: Scope, districtIds: readonly string[]): Scope {
  if (districtIds.length === 0) return { kind: 'city' };
  if (current.kind !== 'district') return { kind: 'district', id: districtIds[0]! };
  const at = districtIds.indexOf(current.id);
  return at < 0 || at === districtIds.length - 1
    ? { kind: 'city' }
    : { kind: 'district', id: districtIds[at + 1]! };
}

/**
 * The dwell asked for by the wall's address (`?tour` or `?tour=45`), seconds; null when the
 * address does not ask for a tour. Unattended walls boot straight into it.
 */
export function tourFromQuery(search: string): number | null {
  const params = new URLSearchParams(search);
  if (!params.has('tour')) return null;
  const value = Number(params.get('tour'));
  return Number.isFinite(value) && value > 0 ? Math.max(TOUR_MIN_DWELL_S, value) : TOUR_DEFAULT_DWELL_S;
}

/**
 * 巡游 — tour mode for unattended walls: the wall follows the whole city, then each district in
 * turn, `dwellS` seconds each. An operator choosing a scope by hand stops it.
 */
export const useTourStore = defineStore('tour', () => {
  /** True while the wall tours the city. */
  const running = ref(false);
  /** Seconds on each stop. */
  const dwellS = ref(TOUR_DEFAULT_DWELL_S);

  const scope = useScopeStore();
  const city = useCityStore();
  let timer: ReturnType<typeof setInterval> | undefined;

  function advance(): void {
    const ids = city.districts.map((d) => d.id);
    void scope.select(nextTourStop(scope.selected, ids));
  }

  /** Start touring, `seconds` per stop (at least TOUR_MIN_DWELL_S). */
  function start(seconds: number = dwellS.value): void {
    stop();
    dwellS.value = Math.max(TOUR_MIN_DWELL_S, seconds);
    running.value = true;
    timer = setInterval(advance, dwellS.value * 1000);
  }

  function stop(): void {
    clearInterval(timer);
    timer = undefined;
    running.value = false;
  }

  function toggle(): void {
    if (running.value) stop();
    else start();
  }

  return { running, dwellS, start, stop, toggle, advance };
});
