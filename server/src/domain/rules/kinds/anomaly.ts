import { z } from 'zod';
import type { MetricId } from '@shared/metrics';
import { SEVERITIES, SeveritySchema } from '@shared/schemas/alert.schema';
import { DurationSchema, RuleMetricSchema, type DerivedMetricId } from '@shared/schemas/rule.schema';
import {
  advanceDetector,
  emptyResult,
  initDetector,
  SENSITIVITIES,
  severityForScore,
  thresholdOf,
  type DetectorResult,
  type DetectorState,
} from '../anomaly/detector';
import type { Judged, SensorRuleKind } from '../ruleKind';

/**
 * 异常检测 — a metric unusual for its sensor at this time of day. A streaming detector per
 * (rule, sensor) learns the sensor's own baseline (daily profile, robust to incidents in its
 * history) and scores every sample: score = |value − expected| / scale, a z-score-like number
 * (see anomaly/detector.ts). No verdict during the warm-up; afterwards the condition is
 * active while the score reaches the sensitivity's threshold in a watched direction, and the
 * severity grows with the score (`levels`). Timing (`for`, `keepFiringFor`) is the
 * lifecycle's, like every kind.
 */

/**
 * Smallest noise scale per metric, in its unit: a flat series (a dry water gauge, a quiet
 * night) must not turn sensor jitter into huge scores. Roughly the resolution at which a
 * change starts to matter operationally.
 */
export const DEFAULT_MIN_SCALE: Readonly<Record<MetricId | DerivedMetricId, number>> = {
  speed: 1,
  volume: 20,
  occupancy: 0.01,
  pm25: 2,
  pm10: 3,
  o3: 3,
  no2: 2,
  so2: 1,
  co: 0.05,
  rainfall: 0.5,
  windSpeed: 0.3,
  windDir: 5,
  temperature: 0.3,
  tilt: 0.2,
  waterDepth: 1,
  lampOn: 0.1,
  lampFault: 0.1,
  feederLoad: 1,
  feederOnline: 0.1,
  smoke: 0.02,
  fillLevel: 1,
  battery: 1,
  aqi: 3,
  tti: 0.05,
  tpi: 0.2,
  congestion: 0.2,
};

/** A severity step: the score reaches `factor` × the sensitivity's threshold. */
const AnomalyLevelSchema = z
  .object({
    severity: SeveritySchema,
    factor: z.number().min(1).max(100),
  })
  .strict();

const AnomalyLevelsSchema = z
  .array(AnomalyLevelSchema)
  .min(1)
  .max(4)
  .superRefine((levels, ctx) => {
    if (levels.length === 0) return;
    if (new Set(levels.map((l) => l.severity)).size !== levels.length) {
      ctx.addIssue({ code: 'custom', message: 'one level per severity' });
      return;
    }
    if (Math.min(...levels.map((l) => l.factor)) !== 1) {
      ctx.addIssue({ code: 'custom', message: 'the lowest level must have factor 1 (the threshold itself)' });
    }
    const byFactor = [...levels].sort((a, b) => a.factor - b.factor);
    for (let i = 1; i < byFactor.length; i++) {
      const lower = byFactor[i - 1]!;
      const higher = byFactor[i]!;
      if (
        higher.factor === lower.factor ||
        SEVERITIES.indexOf(higher.severity) > SEVERITIES.indexOf(lower.severity)
      ) {
        ctx.addIssue({
          code: 'custom',
          message: `${higher.severity} (factor ${higher.factor}) must be more severe than ${lower.severity} (factor ${lower.factor})`,
        });
      }
    }
  });

export const AnomalyParamsSchema = z
  .object({
    metric: RuleMetricSchema,
    /** Score threshold: 'low' 6.5, 'medium' 5.5, 'high' 4.5, or the number itself. */
    sensitivity: z.union([z.enum(SENSITIVITIES), z.number().min(1).max(100)]).default('medium'),
    /** Which deviations alert: above, below or both ways of the expected value. */
    direction: z.enum(['both', 'up', 'down']).default('both'),
    /** Learn a time-of-day profile ('daily') or a single level ('none'). */
    seasonality: z.enum(['daily', 'none']).default('daily'),
    /** Width of a time-of-day slot, minutes (divides a day). */
    slotMinutes: z
      .number()
      .int()
      .min(10)
      .max(240)
      .refine((m) => 1440 % m === 0, 'must divide a day (1440 minutes): 10, 15, 20, 30, 60, 120, 240…')
      .default(30),
    /** Learning time before judging, seconds. Default 1 day with the daily profile, 2 h without. */
    warmup: DurationSchema.optional(),
    /** Samples learnt before judging (as well as the warm-up time). */
    minSamples: z.number().int().min(1).max(100_000).default(48),
    /** Local time = UTC + this, minutes (480: Asia/Shanghai, no DST). */
    utcOffsetMinutes: z.number().int().min(-720).max(840).default(480),
    /** Smallest noise scale, in the metric's unit. Default per metric (DEFAULT_MIN_SCALE). */
    minScale: z.number().positive().optional(),
    /** Severity by score, as multiples of the threshold; the lowest must have factor 1. */
    levels: AnomalyLevelsSchema.default([
      { severity: 'yellow', factor: 1 },
      { severity: 'orange', factor: 2 },
    ]),
  })
  .strict()
  .transform((p) => ({
    ...p,
    warmup: p.warmup ?? (p.seasonality === 'daily' ? 86_400 : 7_200),
    minScale: p.minScale ?? DEFAULT_MIN_SCALE[p.metric as MetricId | DerivedMetricId] ?? 1e-6,
  }));
export type AnomalyParams = z.output<typeof AnomalyParamsSchema>;
export type AnomalyState = DetectorState;

/** Parsed default params for `metric`: what the backtest calls "the default anomaly detector". */
export function defaultAnomalyParams(metric: string): AnomalyParams {
  return AnomalyParamsSchema.parse({ metric });
}

/**
 * The defaults of every field that does not depend on the metric (add `metric`, and
 * `minScale` from DEFAULT_MIN_SCALE, or call defaultAnomalyParams).
 */
export const DEFAULT_ANOMALY_PARAMS: Readonly<Omit<AnomalyParams, 'metric' | 'minScale'>> = (() => {
  const { metric: _metric, minScale: _minScale, ...rest } = defaultAnomalyParams('speed');
  return rest;
})();

/** The detector's result of the sample being judged: read at once, reused for the next one. */
const scratch: DetectorResult = emptyResult();

export const anomalyKind: SensorRuleKind<AnomalyParams, AnomalyState> = {
  id: 'anomaly',
  subject: 'sensor',
  title: { zh: '异常检测', en: 'Anomaly' },
  description: {
    zh: '学习传感器自身按时段的基线（稳健、带预热期），数值明显偏离该时段常态时告警，并给出异常分数',
    en: "Learns the sensor's own time-of-day baseline (robust, with a warm-up) and alerts when a value departs from what is usual at that time, with an anomaly score",
  },
  paramsSchema: AnomalyParamsSchema,
  example: { metric: 'speed', sensitivity: 'medium', direction: 'down', seasonality: 'daily', warmup: '1d' },
  metrics: (p) => [p.metric],
  init: (ctx) => initDetector(ctx.params),
  onSample(state, sample, ctx): Judged<AnomalyState> {
    const params = ctx.params;
    const result = scratch;
    // The engine owns the state: update it in place rather than copy the daily profile.
    const next = advanceDetector(state, sample.at, sample.value, params, result, true);
    if (next === null) return { state, verdict: null };
    if (!result.ready) return { state: next, verdict: null, changed: true };
    const threshold = thresholdOf(params.sensitivity);
    return {
      state: next,
      changed: true,
      verdict: {
        active: result.active,
        severity: result.active ? severityForScore(result.score, threshold, params.levels) : undefined,
        value: sample.value,
        score: result.score,
        detail: { expected: result.expected, scale: result.scale, threshold },
      },
    };
  },
};
