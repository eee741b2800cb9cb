import type { Severity } from '@shared/schemas/alert.schema';
import type { Rule, RuleBacktestAlert } from '@shared/schemas/rule.schema';
import {
  compileScope,
  createEngine,
  step,
  type EngineState,
  type Outcome,
  type ScoreOutcome,
} from './engine';
import { SEVERITY_RANK, type PolygonTest, type SensorInfo } from './ruleKind';

/**
 * Backtest (replay): what would these rules have raised on these readings? Pure — no I/O,
 * no clock. The engine runs in virtual time: each reading is judged at its observation
 * time, and clock ticks (no data, completeness, area windows, `keepFiringFor`) are fed at a
 * fixed virtual interval whenever event time passes the next tick, so timers behave as they
 * did live. State starts empty at `from`: anomaly detectors learn through their warm-up
 * first, and AQI's 24-hour means fill over a day.
 *
 * An alert is *raised* when it starts firing (lifecycle change `firing`: at once with
 * `for` 0, else after pending for `for`); a pending episode that ends before `for` is
 * counted as cancelled, not raised.
 */

/** A reading fed to the replay (epoch ms, values by metric id). */
export interface BacktestReading {
  sensorId: string;
  observedAt: number;
  values: Readonly<Record<string, number>>;
}

export interface BacktestOptions {
  /** Validated rules; every one runs (its `enabled` flag is ignored: a backtest is for rules not yet live). */
  rules: readonly Rule[];
  /** The sensors the readings come from (their catalog facts: kind, place, report interval). */
  sensors: readonly SensorInfo[];
  /** Start of virtual time, epoch ms: the engine starts here (silence is counted from here). */
  from: number;
  /** Virtual clock tick, ms (default 10 s). */
  tickMs?: number;
  inPolygon: PolygonTest;
  /** Collect the anomaly score of every scored reading (anomaly rules). */
  scores?: boolean;
}

/**
 * One alert the rules would have raised: what the API answers (RuleBacktestAlert), plus
 * its rule and the position (0-based, in feeding order) of the reading that raised it
 * (absent when a clock tick did: no data).
 */
export type BacktestAlert = RuleBacktestAlert & { ruleId: string; readingIndex?: number };

/** The anomaly score of one reading under one rule. */
export type BacktestScore = Omit<ScoreOutcome, 'type' | 'detail'> & { readingIndex: number };

export interface BacktestResult {
  /** Raised alerts, in the order they were raised. */
  alerts: BacktestAlert[];
  /** Pending episodes that ended before their `for` elapsed (never raised). */
  cancelled: number;
  /** Readings fed. */
  readings: number;
  /** Readings of sensors not among `sensors` (ignored). */
  unknownSensorReadings: number;
  /** Clock ticks fed. */
  ticks: number;
  /** Virtual time the replay ended at, epoch ms. */
  end: number;
  /** Per-reading scores (only with `scores`). */
  scores: BacktestScore[];
}

/** An incremental replay: feed readings in observation order, then finish. */
export interface Backtest {
  /** Feed the next reading; the virtual clock first ticks up to its observation time. */
  reading(reading: BacktestReading): void;
  /** Move the virtual clock to `t`, ticking on the way (never backwards). */
  advance(t: number): void;
  /** Virtual time now, epoch ms. */
  readonly now: number;
  /** Readings fed so far. */
  readonly fed: number;
  /** Tick up to `end` (default: the current virtual time) and return what was raised. */
  finish(end?: number): BacktestResult;
}

export const DEFAULT_TICK_MS = 10_000;

/** Alert-relevant changes; `score` outcomes are handled separately. */
type AlertOutcomeOf = Extract<Outcome, { type: 'alert' }>;

export function createBacktest(options: BacktestOptions): Backtest {
  const tickMs = options.tickMs ?? DEFAULT_TICK_MS;
  if (!(tickMs > 0)) throw new Error(`tickMs must be positive, got ${tickMs}`);
  const rules = options.rules.map((r) => (r.enabled ? r : { ...r, enabled: true }));
  const engine: EngineState = createEngine(rules, options.sensors, options.from, {
    inPolygon: options.inPolygon,
    emitScores: options.scores === true,
  });
  const known = new Set(options.sensors.map((s) => s.id));
  const open = new Map<string, BacktestAlert>();
  const alerts: BacktestAlert[] = [];
  const scores: BacktestScore[] = [];
  let cancelled = 0;
  let now = options.from;
  let nextTick = options.from + tickMs;
  let fed = 0;
  let unknown = 0;
  let ticks = 0;

  const keyOf = (o: AlertOutcomeOf) => `${o.ruleId}\u0000${o.subject.type}:${o.subject.id}`;

  function collect(outcomes: readonly Outcome[], readingIndex: number | undefined): void {
    for (const o of outcomes) {
      if (o.type === 'score') {
        if (readingIndex !== undefined)
          scores.push({
            readingIndex,
            ruleId: o.ruleId,
            sensorId: o.sensorId,
            metric: o.metric,
            at: o.at,
            value: o.value,
            score: o.score,
          });
        continue;
      }
      const key = keyOf(o);
      switch (o.change) {
        case 'firing': {
          const alert: BacktestAlert = {
            ruleId: o.ruleId,
            subject: o.subject,
            ...(o.subject.type === 'sensor' ? { sensorId: o.subject.id } : {}),
            severity: o.severity,
            maxSeverity: o.severity,
            startsAt: o.startsAt,
            firingAt: o.at,
            ...(o.value !== undefined ? { value: o.value } : {}),
            ...(o.score !== undefined ? { score: o.score } : {}),
            flapping: o.flapping,
            ...(readingIndex !== undefined ? { readingIndex } : {}),
          };
          open.set(key, alert);
          alerts.push(alert);
          break;
        }
        case 'severity': {
          const alert = open.get(key);
          if (alert && SEVERITY_RANK[o.severity] < SEVERITY_RANK[alert.maxSeverity])
            alert.maxSeverity = o.severity;
          break;
        }
        case 'flapping': {
          const alert = open.get(key);
          if (alert && o.flapping) alert.flapping = true;
          break;
        }
        case 'resolved': {
          const alert = open.get(key);
          if (alert) {
            alert.resolvedAt = o.at;
            open.delete(key);
          }
          break;
        }
        case 'cancelled':
          cancelled++;
          break;
        case 'pending':
          break;
      }
    }
  }

  /** Ticks at every virtual tick strictly before `t`, then sets the clock to `t`. */
  function advance(t: number): void {
    if (t <= now) return;
    while (nextTick < t) {
      collect(step(engine, { type: 'tick' }, nextTick).outcomes, undefined);
      ticks++;
      now = nextTick;
      nextTick += tickMs;
    }
    now = t;
  }

  return {
    reading(reading) {
      advance(reading.observedAt);
      const index = fed++;
      if (!known.has(reading.sensorId)) unknown++;
      const input = {
        type: 'reading' as const,
        sensorId: reading.sensorId,
        observedAt: reading.observedAt,
        values: reading.values,
      };
      collect(step(engine, input, Math.max(now, reading.observedAt)).outcomes, index);
    },
    advance,
    get now() {
      return now;
    },
    get fed() {
      return fed;
    },
    finish(end = now) {
      // A tick at the very end too, so timers due exactly then (keepFiringFor, no data) count.
      advance(end);
      if (nextTick === end) {
        collect(step(engine, { type: 'tick' }, end).outcomes, undefined);
        ticks++;
        nextTick += tickMs;
      }
      return { alerts, cancelled, readings: fed, unknownSensorReadings: unknown, ticks, end: now, scores };
    },
  };
}

/** Replays `readings` (in observation order) from `options.from` up to `end` (default: the last reading). */
export function runBacktest(
  readings: Iterable<BacktestReading>,
  options: BacktestOptions,
  end?: number,
): BacktestResult {
  const backtest = createBacktest(options);
  for (const r of readings) backtest.reading(r);
  return backtest.finish(end);
}

/**
 * Whether a sensor is in a rule's scope — the engine's own test (every given field
 * narrows; an empty scope is the whole city). A replay uses it to choose which stored
 * readings it needs.
 */
export const ruleScopeTest = compileScope;

/** Raised alerts counted by the most severe level each reached. */
export function countBySeverity(alerts: readonly BacktestAlert[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { red: 0, orange: 0, yellow: 0, blue: 0 };
  for (const a of alerts) counts[a.maxSeverity]++;
  return counts;
}
