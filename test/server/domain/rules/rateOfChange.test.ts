import { describe, expect, it } from 'vitest';
import { rateOfChangeKind } from '../../../../server/src/domain/rules/kinds/rateOfChange';
import { feedSensorKind, MIN, rule, SEC, sensor, T0 } from './ruleTestKit';

const gauge = sensor('WL-1', { kind: 'grid-event', subtype: 'waterlogging', reportIntervalSec: 60 });

/** The example: waterDepth rising ≥ 20 cm within 10 minutes raises orange. */
const rising = rule({ kind: 'rateOfChange', params: rateOfChangeKind.example });

/** One reading a minute for `minutes` minutes, depth = start + cmPerMin × minute. */
function ramp(
  start: number,
  cmPerMin: number,
  minutes: number,
  every = MIN,
): Array<readonly [number, number]> {
  const points: Array<readonly [number, number]> = [];
  for (let t = 0; t <= minutes * MIN; t += every) points.push([T0 + t, start + (cmPerMin * t) / MIN]);
  return points;
}

describe('rateOfChange kind', () => {
  it('raises when the water rises 20 cm within 10 minutes', () => {
    const { verdicts } = feedSensorKind(rateOfChangeKind, rising, gauge, 'waterDepth', ramp(10, 2, 10));
    const last = verdicts.at(-1);
    expect(last).toMatchObject({ active: true, severity: 'orange', value: 20 });
    expect(last?.detail).toEqual({ from: 10, to: 30, spanSeconds: 600 });
  });

  it('does not raise for a slow rise of 1 cm a minute, however long it goes on', () => {
    const { verdicts } = feedSensorKind(rateOfChangeKind, rising, gauge, 'waterDepth', ramp(10, 1, 60));
    expect(verdicts.some((v) => v?.active)).toBe(false);
    // The change is measured over the trailing 10 minutes, not since the first reading.
    expect(verdicts.at(-1)?.value).toBe(10);
  });

  it('gives no verdict until the history spans half a window', () => {
    const { verdicts } = feedSensorKind(rateOfChangeKind, rising, gauge, 'waterDepth', ramp(10, 10, 5));
    // Minutes 0–4: less than 5 minutes of history (even with a 40 cm rise); minute 5: judged.
    expect(verdicts.slice(0, 5)).toEqual([null, null, null, null, null]);
    expect(verdicts[5]).toMatchObject({ active: true, value: 50 });
  });

  it('expresses the change per minute when asked, and raises on the rate', () => {
    const perMinute = rule({
      kind: 'rateOfChange',
      params: {
        metric: 'waterDepth',
        window: '10m',
        per: 'minute',
        levels: [{ severity: 'red', op: '>', value: 1.5 }],
      },
    });
    const fast = feedSensorKind(rateOfChangeKind, perMinute, gauge, 'waterDepth', ramp(0, 2, 10)).verdicts.at(
      -1,
    );
    const slow = feedSensorKind(rateOfChangeKind, perMinute, gauge, 'waterDepth', ramp(0, 1, 10)).verdicts.at(
      -1,
    );
    expect(fast).toMatchObject({ active: true, severity: 'red', value: 2 });
    expect(slow).toMatchObject({ active: false, value: 1 });
  });

  it('expresses the change per hour over the span actually observed', () => {
    const perHour = rule({
      kind: 'rateOfChange',
      params: {
        metric: 'waterDepth',
        window: '1h',
        per: 'hour',
        levels: [{ severity: 'yellow', op: '>=', value: 30 }],
      },
    });
    // 1 cm a minute over 40 minutes: 60 cm/h.
    const { verdicts } = feedSensorKind(rateOfChangeKind, perHour, gauge, 'waterDepth', ramp(0, 1, 40));
    expect(verdicts.at(-1)).toMatchObject({ active: true, severity: 'yellow', value: 60 });
  });

  it('catches a fall with `<` and a negative level', () => {
    const collapse = rule({
      kind: 'rateOfChange',
      params: { metric: 'speed', window: '10m', levels: [{ severity: 'orange', op: '<=', value: -30 }] },
    });
    const { verdicts } = feedSensorKind(
      rateOfChangeKind,
      collapse,
      sensor('TRF-1'),
      'speed',
      ramp(60, -4, 10),
    );
    expect(verdicts.at(-1)).toMatchObject({ active: true, severity: 'orange', value: -40 });
  });

  it('ignores a sample not newer than the latest one', () => {
    const { state } = feedSensorKind(rateOfChangeKind, rising, gauge, 'waterDepth', ramp(10, 2, 10));
    const ctx = { params: rateOfChangeKind.paramsSchema.parse(rising.params), rule: rising };
    const late = rateOfChangeKind.onSample(
      state,
      { sensorId: 'WL-1', metric: 'waterDepth', value: 500, at: T0 + 5 * MIN },
      ctx,
      gauge,
    );
    expect(late.verdict).toBeNull();
    expect(late.state).toBe(state);
  });

  it('measures the change over the trailing window, not the whole history, at a high report rate', () => {
    const hourly = rule({
      kind: 'rateOfChange',
      params: { metric: 'waterDepth', window: '1h', levels: [{ severity: 'orange', op: '>=', value: 90 }] },
    });
    // One reading every 5 s for 3 hours, rising 1 cm a minute: 60 cm per hour, never 90.
    const { state, verdicts } = feedSensorKind(
      rateOfChangeKind,
      hourly,
      gauge,
      'waterDepth',
      ramp(0, 1, 180, 5 * SEC),
    );
    expect(verdicts.some((v) => v?.active)).toBe(false);
    const last = verdicts.at(-1)!;
    expect(last.value).toBeGreaterThanOrEqual(60);
    expect(last.value).toBeLessThanOrEqual(63);
    expect(state.t.length).toBeLessThanOrEqual(64);
    expect(state.t.length).toBe(state.v.length);
  });

  it('catches a fast rise after a long flat spell at a high report rate', () => {
    const perMinute = rule({
      kind: 'rateOfChange',
      params: {
        metric: 'waterDepth',
        window: '10m',
        per: 'minute',
        levels: [{ severity: 'red', op: '>=', value: 1.5 }],
      },
    });
    // Flat at 5 cm for 2 hours, then +2 cm a minute for 10 minutes; one reading every 2 s.
    const points: Array<readonly [number, number]> = [];
    for (let t = 0; t <= 130 * MIN; t += 2 * SEC)
      points.push([T0 + t, t <= 120 * MIN ? 5 : 5 + (2 * (t - 120 * MIN)) / MIN]);
    const { verdicts } = feedSensorKind(rateOfChangeKind, perMinute, gauge, 'waterDepth', points);
    expect(verdicts.at(-1)).toMatchObject({ active: true, severity: 'red' });
    expect(verdicts.at(-1)?.value).toBeCloseTo(2, 1);
  });
});
