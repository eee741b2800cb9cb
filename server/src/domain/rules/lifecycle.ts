import type { Severity } from '@shared/schemas/alert.schema';
import type { Verdict } from './ruleKind';

/**
 * The timing every rule shares, applied to a kind's verdicts (pure; time passed in):
 *
 * ```
 *            active, for > 0                  for elapsed while active
 * inactive ───────────────────▶ pending ──────────────────────────────▶ firing
 *    ▲  active, for = 0           │ inactive (cancelled)                  │ ▲ inactive, keepFiringFor > 0
 *    │ ───────────────────────────┼──────────────────────────────────────▶│ │
 *    │                            ▼                                        ▼ │ active again
 *    └──────────────── resolved ◀──── clear for keepFiringFor ────── recovering
 * ```
 *
 * Flap detection: when the alert fired and resolved `transitions` times within `window`,
 * it is marked flapping; a flapping alert stays open (one alert, not a storm of them) and
 * resolves only once its condition stayed clear for a whole flap window.
 */

export type Phase = 'inactive' | 'pending' | 'firing' | 'recovering';

export interface LifecycleState {
  phase: Phase;
  /** When the current condition episode began (the alert's startsAt), epoch ms. */
  activeSince: number;
  /** When the phase was entered, epoch ms. */
  phaseSince: number;
  /** Time of the latest judged sample (-1 before the first); older samples are ignored (out of order). */
  lastAt: number;
  severity: Severity;
  value: number | undefined;
  score: number | undefined;
  /** Fire and resolve instants inside the flap window (bounded by the flap setting). */
  transitions: number[];
  flapping: boolean;
}

export interface LifecycleSettings {
  /** Seconds the condition must hold before firing. */
  forSec: number;
  /** Seconds the condition must stay clear before resolving. */
  keepFiringForSec: number;
  flap?: { windowSec: number; transitions: number };
}

/** What changed, for the alerting service to persist and announce. */
export type LifecycleChange =
  | 'pending' // condition started, waiting for `for`
  | 'firing' // alert fires (directly or after pending)
  | 'cancelled' // pending ended before `for` elapsed
  | 'severity' // a firing alert changed severity
  | 'flapping' // a firing alert started or stopped flapping
  | 'resolved'; // condition cleared (after hysteresis)

export interface LifecycleStep {
  state: LifecycleState;
  changes: LifecycleChange[];
}

export const INITIAL_LIFECYCLE: LifecycleState = Object.freeze({
  phase: 'inactive',
  activeSince: 0,
  phaseSince: 0,
  lastAt: -1,
  severity: 'blue',
  value: undefined,
  score: undefined,
  transitions: [],
  flapping: false,
}) as LifecycleState;

const NONE: LifecycleChange[] = [];

/**
 * A copy of `s` with its fields in one fixed order. Every state this module returns has this
 * one shape (one hidden class), whatever path built it, and so do restored states: the engine
 * reads a state on every sample, and one shape keeps that read fast.
 */
export function lifecycleState(s: LifecycleState): LifecycleState {
  return {
    phase: s.phase,
    activeSince: s.activeSince,
    phaseSince: s.phaseSince,
    lastAt: s.lastAt,
    severity: s.severity,
    value: s.value,
    score: s.score,
    transitions: s.transitions,
    flapping: s.flapping,
  };
}

function shaped(from: LifecycleState, step: LifecycleStep): LifecycleStep {
  return step.state === from ? step : { state: lifecycleState(step.state), changes: step.changes };
}

/** Applies one verdict judged at `at`. A `null` verdict or an out-of-order `at` changes nothing. */
export function applyVerdict(
  s: LifecycleState,
  verdict: Verdict | null,
  at: number,
  settings: LifecycleSettings,
): LifecycleStep {
  if (verdict === null || at < s.lastAt) return { state: s, changes: NONE };
  // The common case on the hot path: nothing is or was wrong. The state stays the same object,
  // so the engine neither allocates nor marks it for saving. (The engine checks this case
  // first, on its own record, so it need not read the state at all.)
  if (!verdict.active && s.phase === 'inactive') return { state: s, changes: NONE };
  return shaped(s, judge(s, verdict, at, settings));
}

function judge(s: LifecycleState, verdict: Verdict, at: number, settings: LifecycleSettings): LifecycleStep {
  const severity = verdict.severity ?? s.severity;
  const base = { ...s, lastAt: at, value: verdict.value ?? s.value, score: verdict.score ?? s.score };

  if (verdict.active) {
    switch (s.phase) {
      case 'inactive':
        if (settings.forSec > 0) {
          return step({ ...base, phase: 'pending', activeSince: at, phaseSince: at, severity }, 'pending');
        }
        return fire({ ...base, activeSince: at, severity }, at, settings);
      case 'pending':
        if (at - s.activeSince >= settings.forSec * 1000) return fire({ ...base, severity }, at, settings);
        return { state: { ...base, severity }, changes: NONE };
      case 'firing':
      case 'recovering': {
        const next = {
          ...base,
          phase: 'firing' as const,
          phaseSince: s.phase === 'firing' ? s.phaseSince : at,
          severity,
        };
        return severity !== s.severity ? step(next, 'severity') : { state: next, changes: NONE };
      }
    }
  }

  switch (s.phase) {
    case 'inactive':
      return { state: s, changes: NONE }; // handled above; kept for exhaustiveness
    case 'pending':
      return step({ ...base, phase: 'inactive', phaseSince: at }, 'cancelled');
    case 'firing':
      if (holdOpenFor(s, settings) > 0)
        return { state: { ...base, phase: 'recovering', phaseSince: at }, changes: NONE };
      return resolve(base, at, settings);
    case 'recovering':
      return tickRecovering(base, at, settings);
  }
}

/** Clock-driven progress without a sample: a recovering alert resolves once its hold time is over. */
export function tick(s: LifecycleState, now: number, settings: LifecycleSettings): LifecycleStep {
  return shaped(s, tickRecovering(s, now, settings));
}

function tickRecovering(s: LifecycleState, now: number, settings: LifecycleSettings): LifecycleStep {
  if (s.phase !== 'recovering') return { state: s, changes: NONE };
  if (now - s.phaseSince < holdOpenFor(s, settings) * 1000) return { state: s, changes: NONE };
  return resolve(s, now, settings);
}

/** Whether `tick` can change this state (the engine keeps only these on its timer list). */
export function needsTick(s: LifecycleState): boolean {
  return s.phase === 'recovering';
}

/** Seconds a firing alert is held open after its condition clears. */
function holdOpenFor(s: LifecycleState, settings: LifecycleSettings): number {
  return s.flapping && settings.flap
    ? Math.max(settings.keepFiringForSec, settings.flap.windowSec)
    : settings.keepFiringForSec;
}

function fire(s: LifecycleState, at: number, settings: LifecycleSettings): LifecycleStep {
  const transitions = recordTransition(s.transitions, at, settings);
  const flapping = isFlapping(transitions, settings);
  const next: LifecycleState = { ...s, phase: 'firing', phaseSince: at, transitions, flapping };
  return { state: next, changes: flapping !== s.flapping ? ['firing', 'flapping'] : ['firing'] };
}

function resolve(s: LifecycleState, at: number, settings: LifecycleSettings): LifecycleStep {
  if (s.flapping) {
    // Stable for a whole flap window: the episode ends, and its history with it.
    return {
      state: { ...s, phase: 'inactive', phaseSince: at, transitions: [], flapping: false },
      changes: ['resolved'],
    };
  }
  const transitions = recordTransition(s.transitions, at, settings);
  if (isFlapping(transitions, settings)) {
    // Resolving now would be one more flip of a flapping alert: hold it open instead.
    return {
      state: { ...s, phase: 'recovering', phaseSince: at, transitions, flapping: true },
      changes: ['flapping'],
    };
  }
  return { state: { ...s, phase: 'inactive', phaseSince: at, transitions }, changes: ['resolved'] };
}

function step(state: LifecycleState, change: LifecycleChange): LifecycleStep {
  return { state, changes: [change] };
}

function recordTransition(transitions: number[], at: number, settings: LifecycleSettings): number[] {
  if (!settings.flap) return transitions.length ? [] : transitions;
  const from = at - settings.flap.windowSec * 1000;
  const kept = transitions.filter((t) => t > from);
  kept.push(at);
  // Never more than the flap threshold is needed to decide.
  return kept.length > settings.flap.transitions ? kept.slice(-settings.flap.transitions) : kept;
}

function isFlapping(transitions: readonly number[], settings: LifecycleSettings): boolean {
  return settings.flap !== undefined && transitions.length >= settings.flap.transitions;
}
