import { z } from 'zod';
import { I18nNameSchema, IdSchema, PolygonCoordsSchema } from '@shared/schemas/common.schema';
import {
  ComparatorSchema,
  DurationSchema,
  LevelsSchema,
  RuleMetricSchema,
} from '@shared/schemas/rule.schema';
import {
  compare,
  type PolygonTest,
  type AreaRef,
  type AreaRuleKind,
  type Judged,
  type KindContext,
  type SensorInfo,
} from '../ruleKind';
import { latchLevels, worstLevel } from './threshold';

/**
 * 区域规则 — an aggregate over the sensors of an area: a grid cell, a district, the whole
 * city, or polygons drawn on the map (电子预警围栏). Examples:
 * "≥ 3 detectors in the same cell below 10 km/h within 10 minutes" (aggregate `count`
 * with a per-sensor condition) and "mean AQI of a district > 200 for 1 h" (aggregate
 * `mean` of the derived `aqi`, with the rule's `for` = 1 h).
 */
export const FenceSchema = z
  .object({ id: IdSchema, name: I18nNameSchema, polygon: PolygonCoordsSchema })
  .strict();

export const AreaParamsSchema = z
  .object({
    area: z.enum(['cell', 'district', 'city', 'polygon']),
    /** The drawn polygons, when `area` is `polygon`; each is its own subject. */
    fences: z.array(FenceSchema).min(1).max(100).optional(),
    metric: RuleMetricSchema,
    aggregate: z.enum(['count', 'mean', 'max', 'min', 'sum']),
    /** For `count`: a sensor breaches when `value op threshold`. */
    sensorCondition: z.object({ op: ComparatorSchema, value: z.number() }).strict().optional(),
    /** `count`: breaches within this window count; other aggregates: latest values younger than this. Seconds. */
    window: DurationSchema.pipe(z.number().min(1)).default(600),
    /** Fewest sensors with a fresh value for an aggregate to be judged. */
    minSensors: z.number().int().min(1).default(1),
    /** Applied to the aggregate (for `count`: the number of breaching sensors). */
    levels: LevelsSchema,
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.area === 'polygon' && !p.fences)
      ctx.addIssue({ code: 'custom', path: ['fences'], message: 'required when area is "polygon"' });
    if (p.aggregate === 'count' && !p.sensorCondition)
      ctx.addIssue({
        code: 'custom',
        path: ['sensorCondition'],
        message: 'required when aggregate is "count"',
      });
  });
export type AreaParams = z.infer<typeof AreaParamsSchema>;

/**
 * Latest fact per member sensor. Updated in place: an area may hold thousands of
 * sensors, and copying them on every sample would make a reading cost O(members).
 * The engine gives each state exactly one owner, so this stays invisible outside.
 */
export interface AreaState {
  members: Record<string, { value: number; at: number; breachAt: number | null }>;
  /** Number of keys in `members`. */
  size: number;
  latched: boolean[];
  lastEvalAt: number;
  lastAt: number;
}

/** Areas with more members than this are re-aggregated at most every EVAL_EVERY_MS of event time. */
const SMALL_AREA = 32;
const EVAL_EVERY_MS = 5_000;

export function areaRefsFor(
  area: AreaParams['area'],
  fences: AreaParams['fences'],
  sensor: SensorInfo,
  inPolygon: PolygonTest,
): AreaRef[] {
  switch (area) {
    case 'cell':
      return sensor.gridCellId ? [{ type: 'cell', id: sensor.gridCellId }] : [];
    case 'district':
      return sensor.districtId ? [{ type: 'district', id: sensor.districtId }] : [];
    case 'city':
      return [{ type: 'area', id: 'city', name: { zh: '全市', en: 'City' } }];
    case 'polygon': {
      const location = sensor.location;
      if (!location || !fences) return [];
      return fences
        .filter((f) => inPolygon(location, f.polygon))
        .map((f) => ({ type: 'area', id: f.id, name: f.name }));
    }
  }
}

function evaluate(state: AreaState, now: number, ctx: KindContext<AreaParams>): Judged<AreaState> {
  const p = ctx.params;
  const from = now - p.window * 1000;
  let fresh = 0;
  let agg: number;
  const breaching: string[] = [];
  if (p.aggregate === 'count') {
    for (const [id, m] of Object.entries(state.members)) {
      if (m.at >= from) fresh++;
      if (m.breachAt !== null && m.breachAt >= from) breaching.push(id);
    }
    agg = breaching.length;
  } else {
    let sum = 0;
    let max = Number.NEGATIVE_INFINITY;
    let min = Number.POSITIVE_INFINITY;
    for (const m of Object.values(state.members)) {
      if (m.at < from) continue;
      fresh++;
      sum += m.value;
      if (m.value > max) max = m.value;
      if (m.value < min) min = m.value;
    }
    agg =
      p.aggregate === 'mean' ? sum / fresh : p.aggregate === 'sum' ? sum : p.aggregate === 'max' ? max : min;
  }
  state.lastEvalAt = now;
  if (fresh < p.minSensors && p.aggregate !== 'count') return { state, verdict: null };
  state.latched = latchLevels(p.levels, state.latched, agg);
  const severity = worstLevel(p.levels, state.latched);
  const value = Math.round(agg * 1000) / 1000;
  return {
    state,
    verdict: {
      active: severity !== undefined,
      severity,
      value,
      detail: p.aggregate === 'count' ? { sensors: breaching.slice(0, 50), fresh } : { fresh },
    },
  };
}

export const areaKind: AreaRuleKind<AreaParams, AreaState> = {
  id: 'area',
  subject: 'area',
  title: { zh: '区域规则', en: 'Area rule' },
  description: {
    zh: '对网格、街区、全市或自绘围栏内的传感器聚合判断（数量、均值、最大、最小、合计）',
    en: 'Aggregates the sensors of a grid cell, district, the city or a drawn fence (count, mean, max, min, sum)',
  },
  paramsSchema: AreaParamsSchema,
  example: {
    area: 'cell',
    metric: 'speed',
    aggregate: 'count',
    sensorCondition: { op: '<', value: 10 },
    window: '10m',
    levels: [{ severity: 'orange', op: '>=', value: 3 }],
  },
  metrics: (p) => [p.metric],
  areasOf: (ctx, sensor, inPolygon) => areaRefsFor(ctx.params.area, ctx.params.fences, sensor, inPolygon),
  init: (ctx) => ({
    members: {},
    size: 0,
    latched: ctx.params.levels.map(() => false),
    lastEvalAt: -1,
    lastAt: -1,
  }),
  onSample(state, sample, ctx): Judged<AreaState> {
    const p = ctx.params;
    const prev = state.members[sample.sensorId];
    if (prev && sample.at <= prev.at) return { state, verdict: null };
    const breach = p.sensorCondition
      ? compare(sample.value, p.sensorCondition.op, p.sensorCondition.value)
      : false;
    if (!prev) state.size++;
    state.members[sample.sensorId] = {
      value: sample.value,
      at: sample.at,
      breachAt: breach ? sample.at : (prev?.breachAt ?? null),
    };
    const now = Math.max(state.lastAt, sample.at);
    state.lastAt = now;
    if (state.size > SMALL_AREA && now - state.lastEvalAt < EVAL_EVERY_MS) return { state, verdict: null };
    return evaluate(state, now, ctx);
  },
  onTick(state, now, ctx): Judged<AreaState> {
    if (state.lastAt < 0) return { state, verdict: null };
    return evaluate(state, Math.max(state.lastAt, now), ctx);
  },
};
