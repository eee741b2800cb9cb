import { z } from 'zod';
import { DurationSchema, LevelsSchema } from '@shared/schemas/rule.schema';
import type { AreaRuleKind, Judged, KindContext, SensorInfo } from '../ruleKind';
import { areaRefsFor } from './area';
import { latchLevels, worstLevel } from './threshold';

/**
 * 数据质量 — completeness per area: of the readings the area's sensors should have sent
 * over the window (window ÷ each sensor's report interval), the share that arrived.
 * Each sensor counts at most its expected number, so a chatty sensor cannot hide a
 * silent one. Default levels follow the seeds' red/yellow/green at 90 %: below 0.9
 * yellow (notify), below 0.7 red; green is no alert.
 */
export const DataQualityParamsSchema = z
  .object({
    area: z.enum(['cell', 'district', 'city']).default('district'),
    /** Trailing window, seconds. */
    window: DurationSchema.pipe(z.number().min(60)).default(3600),
    levels: LevelsSchema.default([
      { severity: 'yellow', op: '<', value: 0.9, clear: 0.92 },
      { severity: 'red', op: '<', value: 0.7, clear: 0.75 },
    ]),
    /** Areas expecting fewer readings than this per window are not judged (too small to mean much). */
    minExpected: z.number().int().min(1).default(10),
  })
  .strict();
export type DataQualityParams = z.infer<typeof DataQualityParamsSchema>;

/** Buckets per window: completeness moves in steps of window / BUCKETS. */
const BUCKETS = 12;

export interface DataQualityState {
  /** Member sensor ids and their expected report interval, seconds. */
  sensors: string[];
  intervals: number[];
  /** Row per member, BUCKETS counts each (ring indexed by bucket number mod BUCKETS). Updated in place. */
  counts: number[][];
  /** Bucket number (floor(t / bucketMs)) each ring slot holds. */
  slots: number[];
  /** Start of observation: no judgement before one full window. */
  since: number;
  latched: boolean[];
  /** Position of each sensor in `sensors` (rebuilt after a restart). */
  index?: Record<string, number>;
}

function bucketMs(ctx: KindContext<DataQualityParams>): number {
  return (ctx.params.window * 1000) / BUCKETS;
}

function indexOf(state: DataQualityState, sensor: SensorInfo): number {
  state.index ??= Object.fromEntries(state.sensors.map((id, i) => [id, i]));
  let i = state.index[sensor.id];
  if (i === undefined) {
    i = state.sensors.push(sensor.id) - 1;
    state.intervals.push(sensor.reportIntervalSec);
    state.counts.push(new Array<number>(BUCKETS).fill(0));
    state.index[sensor.id] = i;
  }
  return i;
}

/** Moves the ring forward to `bucket`, zeroing slots that now hold a new bucket. */
function advance(state: DataQualityState, bucket: number): void {
  for (let b = bucket - BUCKETS + 1; b <= bucket; b++) {
    const slot = ((b % BUCKETS) + BUCKETS) % BUCKETS;
    if (state.slots[slot] === b) continue;
    if (state.slots[slot]! > b) continue; // ring already ahead (late sample)
    state.slots[slot] = b;
    for (const row of state.counts) row[slot] = 0;
  }
}

export const dataQualityKind: AreaRuleKind<DataQualityParams, DataQualityState> = {
  id: 'dataQuality',
  subject: 'area',
  title: { zh: '数据完整率', en: 'Data completeness' },
  description: {
    zh: '区域内传感器在时间窗内的数据完整率低于阈值时告警（默认 90% 黄、70% 红）',
    en: 'Alerts when the share of expected readings that arrived in an area falls below a level (default 90 % yellow, 70 % red)',
  },
  paramsSchema: DataQualityParamsSchema,
  example: { area: 'district', window: '1h' },
  metrics: () => ['*'],
  areasOf: (ctx, sensor, inPolygon) => areaRefsFor(ctx.params.area, undefined, sensor, inPolygon),
  init: (ctx, _area, members, at) => ({
    sensors: members.map((m) => m.id),
    intervals: members.map((m) => m.reportIntervalSec),
    counts: members.map(() => new Array<number>(BUCKETS).fill(0)),
    slots: new Array<number>(BUCKETS).fill(-1),
    since: at,
    latched: ctx.params.levels.map(() => false),
  }),
  onSample(state, sample, ctx, sensor): Judged<DataQualityState> {
    const bucket = Math.floor(sample.at / bucketMs(ctx));
    const i = indexOf(state, sensor);
    const slot = ((bucket % BUCKETS) + BUCKETS) % BUCKETS;
    if (state.slots[slot] !== bucket) {
      if (state.slots[slot]! > bucket) return { state, verdict: null }; // older than the window
      advance(state, bucket);
    }
    state.counts[i]![slot]!++;
    return { state, verdict: null };
  },
  onTick(state, now, ctx): Judged<DataQualityState> {
    const ms = bucketMs(ctx);
    const current = Math.floor(now / ms);
    advance(state, current);
    if (now - state.since < ctx.params.window * 1000) return { state, verdict: null };
    // Judge the complete buckets before the current one: BUCKETS − 1, less any slot a reading
    // stamped ahead of `now` (device clock skew) has already taken over for a later bucket.
    const judged = state.slots.filter((b) => b < current).length;
    const spanSec = (judged * ms) / 1000;
    let expected = 0;
    let arrived = 0;
    const silent: string[] = [];
    for (let i = 0; i < state.sensors.length; i++) {
      const want = spanSec / state.intervals[i]!;
      let got = 0;
      for (let s = 0; s < BUCKETS; s++) {
        if (state.slots[s]! < current) got += state.counts[i]![s]!;
      }
      expected += want;
      arrived += Math.min(got, want);
      if (got === 0 && silent.length < 50) silent.push(state.sensors[i]!);
    }
    if (expected < ctx.params.minExpected) return { state, verdict: null };
    const completeness = arrived / expected;
    state.latched = latchLevels(ctx.params.levels, state.latched, completeness);
    const severity = worstLevel(ctx.params.levels, state.latched);
    return {
      state,
      verdict: {
        active: severity !== undefined,
        severity,
        value: Math.round(completeness * 1000) / 1000,
        detail: { expected: Math.round(expected), arrived: Math.round(arrived), silent },
      },
    };
  },
};
