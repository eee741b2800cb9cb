import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Rule } from '../../../../shared/schemas/rule.schema';
import {
  anomalyKind,
  AnomalyParamsSchema,
  DEFAULT_ANOMALY_PARAMS,
  DEFAULT_MIN_SCALE,
  defaultAnomalyParams,
  type AnomalyParams,
  type AnomalyState,
} from '../../../../server/src/domain/rules/kinds/anomaly';
import type { Judged, KindContext, SensorInfo, Verdict } from '../../../../server/src/domain/rules/ruleKind';
import { FIXTURE_START, trafficSpeedSeries } from '../../../fixtures/labelledSeries';

const MINUTE = 60_000;
const DAY = 86_400_000;

const SENSOR: SensorInfo = {
  id: 'TRF-001',
  kind: 'traffic',
  subtype: 'loop-detector',
  districtId: '330106',
  gridCellId: null,
  location: [120.15, 30.28],
  reportIntervalSec: 60,
  freeFlowKmh: 60,
};

function ctxOf(input: Record<string, unknown>): KindContext<AnomalyParams> {
  const params = AnomalyParamsSchema.parse(input);
  const rule: Rule = {
    id: 'speed-anomaly',
    name: { zh: '车速异常', en: 'Speed anomaly' },
    kind: 'anomaly',
    enabled: true,
    scope: {},
    params: input,
    for: 0,
    keepFiringFor: 0,
    aqiStandard: 'HJ633-2026',
    labels: {},
    version: 1,
    updatedAt: FIXTURE_START,
    updatedBy: 'system',
    reason: 'test',
  };
  return { params, rule };
}

/** Paths of the issues of invalid params (each once), e.g. ['slotMinutes']. */
function issuePaths(input: Record<string, unknown>): string[] {
  const result = AnomalyParamsSchema.safeParse(input);
  if (result.success) throw new Error(`accepted ${JSON.stringify(input)}`);
  return [...new Set(result.error.issues.map((i) => i.path.join('.')))];
}

const SERIES = trafficSpeedSeries({ seed: 21, days: 3, warmupDays: 3, intervalSec: 60 });

function feed(
  ctx: KindContext<AnomalyParams>,
  points: readonly { t: number; value: number }[],
  from?: AnomalyState,
) {
  // The kind updates its state in place (the engine owns it): never touch the caller's.
  let state = from ? structuredClone(from) : anomalyKind.init(ctx, SENSOR, points[0]!.t);
  const verdicts: (Verdict | null)[] = [];
  for (const p of points) {
    const judged: Judged<AnomalyState> = anomalyKind.onSample(
      state,
      { sensorId: SENSOR.id, metric: 'speed', value: p.value, at: p.t },
      ctx,
      SENSOR,
    );
    state = judged.state;
    verdicts.push(judged.verdict);
  }
  return { state, verdicts };
}

const SPEED = ctxOf({ metric: 'speed' });
const TWO_DAYS = feed(
  SPEED,
  SERIES.points.filter((p) => p.t < FIXTURE_START + 2 * DAY),
);

function sample(value: number, at: number) {
  return { sensorId: SENSOR.id, metric: 'speed', value, at };
}

describe('anomaly rule kind: params', () => {
  it('fills in the defaults', () => {
    expect(AnomalyParamsSchema.parse({ metric: 'speed' })).toEqual({
      metric: 'speed',
      sensitivity: 'medium',
      direction: 'both',
      seasonality: 'daily',
      slotMinutes: 30,
      warmup: 86_400,
      minSamples: 48,
      utcOffsetMinutes: 480,
      minScale: 1,
      levels: [
        { severity: 'yellow', factor: 1 },
        { severity: 'orange', factor: 2 },
      ],
    });
    expect(AnomalyParamsSchema.parse({ metric: 'speed', seasonality: 'none' }).warmup).toBe(7200);
    expect(AnomalyParamsSchema.parse({ metric: 'speed', warmup: '2d' }).warmup).toBe(172_800);
    expect(AnomalyParamsSchema.parse({ metric: 'pm25' }).minScale).toBe(DEFAULT_MIN_SCALE.pm25);
    expect(AnomalyParamsSchema.parse({ metric: 'waterDepth', minScale: 0.5 }).minScale).toBe(0.5);
    expect(AnomalyParamsSchema.parse({ metric: 'aqi' }).minScale).toBe(DEFAULT_MIN_SCALE.aqi);
    expect(AnomalyParamsSchema.parse({ metric: 'pm25', sensitivity: 3.5 }).sensitivity).toBe(3.5);
  });

  it('parses its own output to the same params (stored parsed params stay valid)', () => {
    const once = AnomalyParamsSchema.parse({
      metric: 'pm25',
      warmup: '12h',
      sensitivity: 'high',
      direction: 'up',
    });
    expect(AnomalyParamsSchema.parse(once)).toEqual(once);
  });

  it('rejects bad params naming the field', () => {
    expect(issuePaths({ metric: 'speeed' })).toEqual(['metric']);
    expect(issuePaths({ metric: 'speed', sensitivity: 'extreme' })).toEqual(['sensitivity']);
    expect(issuePaths({ metric: 'speed', sensitivity: 0.5 })).toEqual(['sensitivity']);
    expect(issuePaths({ metric: 'speed', direction: 'sideways' })).toEqual(['direction']);
    expect(issuePaths({ metric: 'speed', seasonality: 'weekly' })).toEqual(['seasonality']);
    expect(issuePaths({ metric: 'speed', slotMinutes: 7 })).toEqual(['slotMinutes']);
    expect(issuePaths({ metric: 'speed', slotMinutes: 50 })).toEqual(['slotMinutes']);
    expect(issuePaths({ metric: 'speed', warmup: '40d' })).toEqual(['warmup']);
    expect(issuePaths({ metric: 'speed', warmup: 'a day' })).toEqual(['warmup']);
    expect(issuePaths({ metric: 'speed', minSamples: 0 })).toEqual(['minSamples']);
    expect(issuePaths({ metric: 'speed', utcOffsetMinutes: 1000 })).toEqual(['utcOffsetMinutes']);
    expect(issuePaths({ metric: 'speed', minScale: 0 })).toEqual(['minScale']);
    expect(issuePaths({ metric: 'speed', levels: [{ severity: 'purple', factor: 1 }] })).toEqual([
      'levels.0.severity',
    ]);
    expect(issuePaths({ sensitivity: 'high' })).toEqual(['metric']);
    const extra = AnomalyParamsSchema.safeParse({ metric: 'speed', threshold: 5 });
    expect(extra.success).toBe(false);
    expect(extra.error?.issues[0]?.message).toContain('threshold');
  });

  it('checks the severity levels', () => {
    const levelsError = (levels: unknown) => {
      expect(issuePaths({ metric: 'speed', levels })).toEqual(['levels']);
      return AnomalyParamsSchema.safeParse({ metric: 'speed', levels }).error?.issues[0]?.message;
    };
    expect(levelsError([{ severity: 'orange', factor: 2 }])).toContain('factor 1');
    expect(
      levelsError([
        { severity: 'yellow', factor: 1 },
        { severity: 'yellow', factor: 2 },
      ]),
    ).toContain('one level per severity');
    expect(
      levelsError([
        { severity: 'orange', factor: 1 },
        { severity: 'yellow', factor: 2 },
      ]),
    ).toContain('more severe');
    expect(levelsError([])).toBeDefined();
  });

  it('has a valid example, reads its one metric and publishes a JSON Schema', () => {
    const example = AnomalyParamsSchema.parse(anomalyKind.example);
    expect(anomalyKind.metrics(example)).toEqual(['speed']);
    expect(anomalyKind.metrics(defaultAnomalyParams('pm25'))).toEqual(['pm25']);
    expect(anomalyKind).toMatchObject({ id: 'anomaly', subject: 'sensor' });
    expect(anomalyKind.title.zh).toBeTruthy();
    expect(anomalyKind.description.en).toBeTruthy();
    const schema = z.toJSONSchema(anomalyKind.paramsSchema, { io: 'input', unrepresentable: 'any' }) as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        'metric',
        'sensitivity',
        'direction',
        'seasonality',
        'slotMinutes',
        'warmup',
        'levels',
      ]),
    );
    expect(schema.required).toEqual(['metric']);
  });

  it('exports the parsed defaults for the backtest', () => {
    expect(DEFAULT_ANOMALY_PARAMS).toEqual({
      sensitivity: 'medium',
      direction: 'both',
      seasonality: 'daily',
      slotMinutes: 30,
      warmup: 86_400,
      minSamples: 48,
      utcOffsetMinutes: 480,
      levels: [
        { severity: 'yellow', factor: 1 },
        { severity: 'orange', factor: 2 },
      ],
    });
    expect(defaultAnomalyParams('waterDepth')).toEqual({
      ...DEFAULT_ANOMALY_PARAMS,
      metric: 'waterDepth',
      minScale: 1,
    });
  });
});

describe('anomaly rule kind: judging samples', () => {
  it('has no opinion during the warm-up, then always gives score, value and expected', () => {
    const firstDay = TWO_DAYS.verdicts.slice(0, 1440);
    expect(firstDay.every((v) => v === null)).toBe(true);
    const secondDay = TWO_DAYS.verdicts.slice(1440);
    expect(secondDay.length).toBeGreaterThan(1000);
    for (const v of secondDay) {
      expect(v).not.toBeNull();
      expect(typeof v!.score).toBe('number');
      expect(typeof v!.value).toBe('number');
      expect(typeof v!.detail?.['expected']).toBe('number');
    }
    const v = secondDay.at(-1)!;
    expect(v.value).toBe(SERIES.points[2 * 1440 - 1]!.value);
    expect(v.detail).toMatchObject({ threshold: 5.5 });
  });

  it('raises yellow on an anomaly, orange from twice the threshold, the levels it is given', () => {
    const at = FIXTURE_START + 2 * DAY + 14 * 60 * MINUTE;
    const normal = anomalyKind.onSample(
      structuredClone(TWO_DAYS.state),
      sample(55, at),
      SPEED,
      SENSOR,
    ).verdict!;
    const expected = normal.detail!['expected'] as number;
    const scale = normal.detail!['scale'] as number;
    expect(normal).toMatchObject({ active: false, severity: undefined });
    const judge = (score: number, ctx = SPEED) =>
      anomalyKind.onSample(structuredClone(TWO_DAYS.state), sample(expected - score * scale, at), ctx, SENSOR)
        .verdict!;
    expect(judge(6)).toMatchObject({ active: true, severity: 'yellow' });
    expect(judge(6).score).toBeCloseTo(6, 9);
    expect(judge(12)).toMatchObject({ active: true, severity: 'orange' });
    const withRed = ctxOf({
      metric: 'speed',
      sensitivity: 4,
      levels: [
        { severity: 'blue', factor: 1 },
        { severity: 'orange', factor: 1.5 },
        { severity: 'red', factor: 3 },
      ],
    });
    expect(judge(5, withRed).severity).toBe('blue');
    expect(judge(6, withRed).severity).toBe('orange');
    expect(judge(12, withRed).severity).toBe('red');
    // Watching drops only: a rise is scored, not raised.
    const down = ctxOf({ metric: 'speed', direction: 'down' });
    const rise = anomalyKind.onSample(
      structuredClone(TWO_DAYS.state),
      sample(expected + 10 * scale, at),
      down,
      SENSOR,
    ).verdict!;
    expect(rise.active).toBe(false);
    expect(rise.score).toBeCloseTo(10, 9);
  });

  it('ignores a sample older than the last one seen', () => {
    const last = TWO_DAYS.state.lastAt!;
    const state = structuredClone(TWO_DAYS.state);
    const judged = anomalyKind.onSample(state, sample(5, last - MINUTE), SPEED, SENSOR);
    expect(judged.state).toBe(state);
    expect(judged.state).toEqual(TWO_DAYS.state);
    expect(judged.verdict).toBeNull();
  });

  it('keeps judging the same after its state went through JSON (restart)', () => {
    const rest = SERIES.points.filter((p) => p.t >= FIXTURE_START + 2 * DAY);
    const restored = JSON.parse(JSON.stringify(TWO_DAYS.state)) as AnomalyState;
    const live = feed(SPEED, rest, TWO_DAYS.state);
    const restarted = feed(SPEED, rest, restored);
    expect(restarted.verdicts).toEqual(live.verdicts);
    expect(JSON.stringify(restarted.state)).toBe(JSON.stringify(live.state));
  });

  it('updates the engine-owned state in place and says so, instead of copying the daily profile', () => {
    const at = FIXTURE_START + 2 * DAY + 3 * 60 * MINUTE;
    const state = structuredClone(TWO_DAYS.state);
    const n = state.n;
    const slots = state.slots;
    const judged = anomalyKind.onSample(state, sample(40, at), SPEED, SENSOR);
    expect(judged.state).toBe(state);
    expect(judged.changed).toBe(true);
    expect(judged.state.n).toBe(n + 1);
    expect(judged.state.slots).toBe(slots);
    expect(judged.state.lastAt).toBe(at);
    // An out-of-order sample changes nothing.
    const stale = anomalyKind.onSample(state, sample(40, at - MINUTE), SPEED, SENSOR);
    expect(stale).toEqual({ state, verdict: null });
  });

  it('keeps a learnt baseline when the sensitivity changes', () => {
    const at = FIXTURE_START + 2 * DAY + 3 * 60 * MINUTE;
    const high = ctxOf({ metric: 'speed', sensitivity: 'high' });
    const a = anomalyKind.onSample(structuredClone(TWO_DAYS.state), sample(40, at), SPEED, SENSOR).verdict!;
    const b = anomalyKind.onSample(structuredClone(TWO_DAYS.state), sample(40, at), high, SENSOR).verdict!;
    expect(b.score).toBe(a.score);
    expect(b.detail).toMatchObject({ threshold: 4.5 });
  });
});
