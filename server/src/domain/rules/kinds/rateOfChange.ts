import { z } from 'zod';
import { DurationSchema, RuleMetricSchema, LevelsSchema } from '@shared/schemas/rule.schema';
import type { Judged, SensorRuleKind } from '../ruleKind';
import { latchLevels, unlatched, worstLevel } from './threshold';

/**
 * 变化率 — how much a metric changed over a trailing window (water rising 20 cm in
 * 10 minutes, speed collapsing). The change is value now − the oldest value inside the
 * window; `per` expresses it per window (absolute change) or per minute / hour (rate).
 * Levels apply to that figure, so a fall is caught with `<` and a negative value.
 */
export const RateOfChangeParamsSchema = z
  .object({
    metric: RuleMetricSchema,
    /** Trailing window, seconds. */
    window: DurationSchema.pipe(z.number().min(1)),
    /** Unit of the change: over the whole window, per minute or per hour. */
    per: z.enum(['window', 'minute', 'hour']).default('window'),
    levels: LevelsSchema,
  })
  .strict();
export type RateOfChangeParams = z.infer<typeof RateOfChangeParamsSchema>;

/** Samples inside the window, oldest first (bounded: at most MAX_POINTS, thinned evenly). */
export interface RateOfChangeState {
  t: number[];
  v: number[];
  latched: boolean[];
}

/** Enough to keep a window honest at any report rate without growing without bound. */
const MAX_POINTS = 64;

export const rateOfChangeKind: SensorRuleKind<RateOfChangeParams, RateOfChangeState> = {
  id: 'rateOfChange',
  subject: 'sensor',
  title: { zh: '变化率', en: 'Rate of change' },
  description: {
    zh: '指标在时间窗内的变化量或变化速率越过分级阈值时告警',
    en: 'Alerts when the change of a metric over a trailing window crosses severity levels',
  },
  paramsSchema: RateOfChangeParamsSchema,
  example: {
    metric: 'waterDepth',
    window: '10m',
    per: 'window',
    levels: [{ severity: 'orange', op: '>=', value: 20 }],
  },
  metrics: (p) => [p.metric],
  init: (ctx) => ({ t: [], v: [], latched: unlatched(ctx.params.levels.length) }),
  onSample(state, sample, ctx): Judged<RateOfChangeState> {
    const last = state.t.at(-1);
    if (last !== undefined && sample.at <= last) return { state, verdict: null };
    const windowMs = ctx.params.window * 1000;
    // Keep one point at or before the window start, so the change spans the whole window.
    let from = 0;
    while (from + 1 < state.t.length && state.t[from + 1]! <= sample.at - windowMs) from++;
    let t = state.t.slice(from);
    let v = state.v.slice(from);
    // Stored points stay at least window / (MAX_POINTS / 2) apart: when the newest one is closer
    // than that to the one before, the sample takes its place. Future window starts then always
    // have a point near them (thinning old points instead would strand the oldest one and make
    // the change span far more than the window at high report rates).
    const n = t.length;
    if (n >= 2 && t[n - 1]! - t[n - 2]! < windowMs / (MAX_POINTS / 2)) {
      t[n - 1] = sample.at;
      v[n - 1] = sample.value;
    } else {
      t.push(sample.at);
      v.push(sample.value);
    }
    if (t.length > MAX_POINTS) {
      // Drop every other point of the older half: the window edge and recent detail survive.
      const keep = (_: number, i: number) => i >= MAX_POINTS / 2 || i % 2 === 0;
      t = t.filter(keep);
      v = v.filter(keep);
    }
    const spanMs = sample.at - t[0]!;
    if (t.length < 2 || spanMs < windowMs * 0.5) {
      // Less than half a window of history: no judgement yet.
      return { state: { t, v, latched: state.latched }, verdict: null };
    }
    const delta = sample.value - v[0]!;
    const per = ctx.params.per;
    const change = per === 'window' ? delta : delta / (spanMs / (per === 'minute' ? 60_000 : 3_600_000));
    const latched = latchLevels(ctx.params.levels, state.latched, change);
    const severity = worstLevel(ctx.params.levels, latched);
    return {
      state: { t, v, latched },
      verdict: {
        active: severity !== undefined,
        severity,
        value: change,
        detail: { from: v[0], to: sample.value, spanSeconds: Math.round(spanMs / 1000) },
      },
    };
  },
};
