import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';

/** A position the phone's GPS gave. */
export interface CurrentFix {
  /** `[lng, lat]`, degrees (WGS-84). */
  location: [number, number];
  /** Horizontal accuracy, metres. */
  accuracyM: number;
  /** When the phone took it, epoch ms. */
  at: number;
}

/**
 * Whether the worker is on duty, as the server last said when the phone reported its
 * position: `unknown` until it answered since the last connect.
 */
export type DutyState = 'unknown' | 'on' | 'off';

/** Why the phone has no position. */
export type FixProblem = 'unsupported' | 'denied' | 'unavailable';

/** Where the worker's phone is, and whether the server takes its position. */
export const useWorkerPositionStore = defineStore('workerPosition', () => {
  /** The latest GPS fix; null until the first one (and after sign-out). */
  const fix = shallowRef<CurrentFix | null>(null);
  /** Why there is no fix (no GPS, permission refused, no signal); null while fixes come. */
  const problem = ref<FixProblem | null>(null);
  /** On duty per the server's answer to the last position report. */
  const duty = ref<DutyState>('unknown');
  /** When the server last accepted a position report, epoch ms; null before the first. */
  const lastReportedAt = ref<number | null>(null);

  function setFix(next: CurrentFix): void {
    fix.value = next;
    problem.value = null;
  }

  function setProblem(next: FixProblem): void {
    problem.value = next;
  }

  function markReported(at: number): void {
    duty.value = 'on';
    lastReportedAt.value = at;
  }

  function markDuty(next: DutyState): void {
    duty.value = next;
  }

  /** Forget everything (sign-out). */
  function reset(): void {
    fix.value = null;
    problem.value = null;
    duty.value = 'unknown';
    lastReportedAt.value = null;
  }

  return { fix, problem, duty, lastReportedAt, setFix, setProblem, markReported, markDuty, reset };
});
