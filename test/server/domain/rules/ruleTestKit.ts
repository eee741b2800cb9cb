/**
 * Shared builders for the rule-engine tests: rules, sensors, kind contexts, sample feeds,
 * a point-in-polygon test and outcome filters. Times are epoch ms from a fixed origin.
 */
import type { LngLat } from '@shared/schemas/common.schema';
import { RuleSchema, type Rule } from '@shared/schemas/rule.schema';
import type {
  AreaRef,
  AreaRuleKind,
  Judged,
  KindContext,
  PolygonTest,
  Sample,
  SensorInfo,
  SensorRuleKind,
  Verdict,
} from '../../../../server/src/domain/rules/ruleKind';
import type { AlertOutcome, Outcome } from '../../../../server/src/domain/rules/engine';
import { pointInPolygon } from '../../../../server/src/domain/geometry';

/** 2026-06-01T00:00:00Z, on an hour boundary. */
export const T0 = Date.parse('2026-06-01T00:00:00Z');
export const SEC = 1_000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;

/** Grid cells and districts used across the tests (15-digit and 6-digit codes). */
export const DISTRICT_A = '330106';
export const DISTRICT_B = '330105';
export const CELL_A = '330106001001001';
export const CELL_B = '330106001001002';
export const CELL_C = '330105002003004';

/**
 * A validated, stored rule. `over` may hold anything a rule document holds (durations as
 * seconds or "10m" strings); defaults: threshold-free name, version 1.
 */
export function rule(
  over: Record<string, unknown> & { kind: string; params: Record<string, unknown> },
): Rule {
  return RuleSchema.parse({
    id: 'r1',
    name: { zh: '测试规则', en: 'Test rule' },
    version: 1,
    updatedAt: T0,
    updatedBy: 'test',
    reason: 'test',
    ...over,
  });
}

/** A catalogued sensor; default: a traffic loop detector in CELL_A / DISTRICT_A reporting every minute. */
export function sensor(id: string, over: Partial<SensorInfo> = {}): SensorInfo {
  return {
    id,
    kind: 'traffic',
    subtype: 'loop-detector',
    districtId: DISTRICT_A,
    gridCellId: CELL_A,
    location: [120.15, 30.28],
    reportIntervalSec: 60,
    ...over,
  };
}

/** An air-quality station (hourly-ish pollutant readings). */
export function airStation(id: string, over: Partial<SensorInfo> = {}): SensorInfo {
  return sensor(id, { kind: 'air', subtype: 'aq-station', reportIntervalSec: 300, ...over });
}

/** The context a kind receives: params parsed by the kind's schema (defaults and units applied). */
export function ctxOf<P>(kind: { paramsSchema: { parse(input: unknown): P } }, r: Rule): KindContext<P> {
  return { params: kind.paramsSchema.parse(r.params), rule: r };
}

export function sample(sensorId: string, metric: string, value: number, at: number): Sample {
  return { sensorId, metric, value, at };
}

/**
 * Drives a sensor kind for one sensor over a series of [at, value] points and returns every
 * verdict (null where the kind had no opinion), plus the final state.
 */
export function feedSensorKind<P, S>(
  kind: SensorRuleKind<P, S>,
  r: Rule,
  s: SensorInfo,
  metric: string,
  points: ReadonlyArray<readonly [number, number]>,
  start?: { state: S },
): { verdicts: (Verdict | null)[]; state: S } {
  const ctx = ctxOf(kind, r);
  let state = start ? start.state : kind.init(ctx, s, points[0]?.[0] ?? T0);
  const verdicts: (Verdict | null)[] = [];
  for (const [at, value] of points) {
    const judged: Judged<S> = kind.onSample(state, sample(s.id, metric, value, at), ctx, s);
    state = judged.state;
    verdicts.push(judged.verdict);
  }
  return { verdicts, state };
}

/** Area kind harness: one area state fed samples and ticks in order. */
export function areaHarness<P, S>(
  kind: AreaRuleKind<P, S>,
  r: Rule,
  area: AreaRef,
  members: readonly SensorInfo[],
  at: number,
) {
  const ctx = ctxOf(kind, r);
  const byId = new Map(members.map((m) => [m.id, m]));
  let state = kind.init(ctx, area, members, at);
  return {
    ctx,
    get state() {
      return state;
    },
    sample(sensorId: string, value: number, t: number, metric = 'x'): Verdict | null {
      const s = byId.get(sensorId) ?? sensor(sensorId);
      const judged = kind.onSample(state, sample(sensorId, metric, value, t), ctx, s);
      state = judged.state;
      return judged.verdict;
    },
    tick(now: number): Verdict | null {
      if (!kind.onTick) throw new Error(`${kind.id} has no onTick`);
      const judged = kind.onTick(state, now, ctx);
      state = judged.state;
      return judged.verdict;
    },
  };
}

/** The point-in-polygon test the server wires in. */
export const inPolygon: PolygonTest = pointInPolygon;

/** A closed axis-aligned rectangle as GeoJSON polygon coordinates. */
export function box(west: number, south: number, east: number, north: number): LngLat[][] {
  return [
    [
      [west, south],
      [east, south],
      [east, north],
      [west, north],
      [west, south],
    ],
  ];
}

/** Alert outcomes only (type-only import: the kit loads without the engine). */
export function alertsOf(outcomes: readonly Outcome[]): AlertOutcome[] {
  return outcomes.filter((o): o is AlertOutcome => o.type === 'alert');
}

/** `change@minute` strings of alert outcomes, relative to T0, for compact assertions. */
export function changesOf(outcomes: readonly Outcome[], origin = T0): string[] {
  return alertsOf(outcomes).map((o) => `${o.ruleId}:${o.subject.id}:${o.change}@${(o.at - origin) / MIN}m`);
}
