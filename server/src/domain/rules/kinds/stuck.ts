import { z } from 'zod';
import { SeveritySchema } from '@shared/schemas/alert.schema';
import { DurationSchema, RuleMetricSchema } from '@shared/schemas/rule.schema';
import type { Judged, SensorRuleKind } from '../ruleKind';

/**
 * 数值卡滞 — stuck value: a metric that stays within `tolerance` of the same value for
 * `duration` (a frozen sensor still reporting). Cleared by the first value that moves.
 */
export const StuckParamsSchema = z
  .object({
    metric: RuleMetricSchema,
    /** How long the value must stay flat, seconds. */
    duration: DurationSchema.pipe(z.number().min(1)),
    /** Largest difference from the first flat value that still counts as the same, in the metric's unit. */
    tolerance: z.number().nonnegative().default(0),
    /** Fewest flat readings before judging (a slow sensor is not stuck after two reports). */
    minSamples: z.number().int().min(2).default(3),
    severity: SeveritySchema.default('blue'),
  })
  .strict();
export type StuckParams = z.infer<typeof StuckParamsSchema>;

export interface StuckState {
  /** The value the current flat run started at, and when. */
  value: number | null;
  since: number;
  count: number;
  lastAt: number;
}

export const stuckKind: SensorRuleKind<StuckParams, StuckState> = {
  id: 'stuck',
  subject: 'sensor',
  title: { zh: '数值卡滞', en: 'Stuck value' },
  description: {
    zh: '指标在设定时长内保持不变（容差内）时告警，疑似设备故障',
    en: 'Alerts when a metric stays flat (within a tolerance) for too long: a frozen sensor',
  },
  paramsSchema: StuckParamsSchema,
  example: { metric: 'speed', duration: '2h', tolerance: 0, minSamples: 10, severity: 'blue' },
  metrics: (p) => [p.metric],
  init: () => ({ value: null, since: 0, count: 0, lastAt: -1 }),
  onSample(state, sample, ctx): Judged<StuckState> {
    if (sample.at <= state.lastAt) return { state, verdict: null };
    const { tolerance, duration, minSamples, severity } = ctx.params;
    const flat = state.value !== null && Math.abs(sample.value - state.value) <= tolerance;
    const next: StuckState = flat
      ? { ...state, count: state.count + 1, lastAt: sample.at }
      : { value: sample.value, since: sample.at, count: 1, lastAt: sample.at };
    const flatSec = (sample.at - next.since) / 1000;
    return {
      state: next,
      verdict: {
        active: next.count >= minSamples && flatSec >= duration,
        severity,
        value: sample.value,
        detail: { flatSeconds: Math.round(flatSec) },
      },
    };
  },
};
