import { describe, expect, it } from 'vitest';
import { latchLevels, thresholdKind } from '../../../../server/src/domain/rules/kinds/threshold';
import { airStation, feedSensorKind, MIN, rule, sensor, T0 } from './ruleTestKit';

const station = airStation('AQ-1');

/** The example's levels: yellow > 115 (clear 100), orange > 150 (clear 130), red > 250 (clear 220). */
const pm25Rule = rule({ kind: 'threshold', params: thresholdKind.example });

/** Four plain levels without clear values. */
const fourLevels = rule({
  kind: 'threshold',
  params: {
    metric: 'pm25',
    levels: [
      { severity: 'blue', op: '>', value: 75 },
      { severity: 'yellow', op: '>', value: 115 },
      { severity: 'orange', op: '>', value: 150 },
      { severity: 'red', op: '>', value: 250 },
    ],
  },
});

/** Severities (undefined = inactive) for a series of values one minute apart. */
function severities(r: typeof pm25Rule, values: number[], s = station, metric = 'pm25') {
  const { verdicts } = feedSensorKind(
    thresholdKind,
    r,
    s,
    metric,
    values.map((v, i) => [T0 + i * MIN, v] as const),
  );
  return verdicts.map((v) => (v?.active ? v.severity : undefined));
}

describe('threshold kind', () => {
  it('raises a red alert when PM2.5 is above the red level, although the lower levels hold too', () => {
    expect(severities(pm25Rule, [260])).toEqual(['red']);
  });

  it('escalates blue → yellow → orange → red and steps back down as the value falls', () => {
    expect(severities(fourLevels, [80, 120, 160, 260, 160, 120, 80, 50])).toEqual([
      'blue',
      'yellow',
      'orange',
      'red',
      'orange',
      'yellow',
      'blue',
      undefined,
    ]);
  });

  it('keeps a raised level while the value sits between its clear value and its threshold', () => {
    // 160 raises orange; 140 is below 150 but above orange's clear 130.
    expect(severities(pm25Rule, [160, 140, 131])).toEqual(['orange', 'orange', 'orange']);
  });

  it('drops a level once the value falls below its clear value, down to the next latched level', () => {
    // 129 < 130 clears orange; yellow (clear 100) is still latched; 99 clears it too.
    expect(severities(pm25Rule, [160, 129, 100, 99])).toEqual(['orange', 'yellow', 'yellow', undefined]);
  });

  it('does not raise a level for a value between clear and threshold that was never above the threshold', () => {
    expect(severities(pm25Rule, [140])).toEqual(['yellow']);
  });

  it('raises below the threshold with `<` and clears only above the clear value', () => {
    const slow = rule({
      kind: 'threshold',
      params: { metric: 'speed', levels: [{ severity: 'orange', op: '<', value: 20, clear: 25 }] },
    });
    expect(severities(slow, [30, 18, 22, 25, 26], sensor('TRF-1'), 'speed')).toEqual([
      undefined,
      'orange',
      'orange',
      'orange',
      undefined,
    ]);
  });

  it('treats the threshold itself as breaching with `>=` and as clear with `>`', () => {
    const inclusive = rule({
      kind: 'threshold',
      params: { metric: 'pm25', levels: [{ severity: 'red', op: '>=', value: 250 }] },
    });
    expect(severities(inclusive, [250])).toEqual(['red']);
    expect(severities(pm25Rule, [250])).toEqual(['orange']);
  });

  it('judges the value the sample carried and passes the sample detail on', () => {
    const ctx = { params: thresholdKind.paramsSchema.parse(thresholdKind.example), rule: pm25Rule };
    const judged = thresholdKind.onSample(
      thresholdKind.init(ctx, station, T0),
      { sensorId: 'AQ-1', metric: 'aqi:HJ633-2026', value: 180, at: T0, detail: { level: 4 } },
      ctx,
      station,
    );
    expect(judged.verdict).toEqual({ active: true, severity: 'orange', value: 180, detail: { level: 4 } });
  });

  it('latches each level independently of the others', () => {
    const levels = [
      { severity: 'yellow' as const, op: '>' as const, value: 115, clear: 100 },
      { severity: 'red' as const, op: '>' as const, value: 250 },
    ];
    expect(latchLevels(levels, [true, true], 200)).toEqual([true, false]);
    expect(latchLevels(levels, [false, false], 200)).toEqual([true, false]);
    expect(latchLevels(levels, [true, false], 90)).toEqual([false, false]);
  });
});
