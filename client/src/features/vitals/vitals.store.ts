import { defineStore } from 'pinia';
import { computed, shallowRef } from 'vue';
import type { Scope, Snapshot } from '@shared/schemas/live.schema';
import type { CityVitals, VitalsScope, VitalsTrendPoint } from '@shared/schemas/vitals.schema';
import { useLiveStore } from '../live/live.store';

/** Whether vitals computed for `vitals` belong to the scope the wall follows (a cell has none). */
export function vitalsMatchScope(vitals: VitalsScope, scope: Scope): boolean {
  if (vitals.kind === 'city') return scope.kind === 'city';
  return scope.kind === 'district' && scope.id === vitals.id;
}

/**
 * 城市体征 of the followed scope, as the server computes them: from the snapshot (connect and
 * every scope switch), then `vitals:updated` every VITALS_PUSH_MS. A push carries the per-minute
 * trend only when it changed, so the trend held is kept until a push brings a new one. A push
 * for another scope (late, from the scope before) or older than what is held is ignored.
 */
export const useVitalsStore = defineStore('vitals', () => {
  const live = useLiveStore();

  /** The newest vitals of the followed scope; null before the first, and for a grid cell (it has none). */
  const vitals = shallowRef<CityVitals | null>(null);

  /** TPI/AQI per minute, oldest first (the newest trend any snapshot or push carried). */
  const trend = computed((): readonly VitalsTrendPoint[] => vitals.value?.trend ?? []);

  /** Start over from a snapshot: its vitals, or none (a cell scope, or before the first computation). */
  function applySnapshot(snapshot: Snapshot): void {
    const next = snapshot.vitals;
    vitals.value = next && vitalsMatchScope(next.scope, snapshot.scope) ? next : null;
  }

  /** `vitals:updated`: newer figures of the followed scope; a push without `trend` keeps the one held. */
  function applyPush(next: CityVitals): void {
    if (!vitalsMatchScope(next.scope, live.scope)) return;
    const held = vitals.value;
    // Held figures of another scope (a switch in progress) are not older data, just other data.
    const sameScope = held !== null && vitalsMatchScope(held.scope, live.scope);
    if (sameScope && next.at < held.at) return;
    vitals.value = next.trend || !sameScope ? next : { ...next, trend: held.trend };
  }

  /** Forget everything (sign-out): the next user must not see the previous one's figures. */
  function clear(): void {
    vitals.value = null;
  }

  return { vitals, trend, applySnapshot, applyPush, clear };
});
