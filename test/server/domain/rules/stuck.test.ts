import { describe, expect, it } from 'vitest';
import { stuckKind } from '../../../../server/src/domain/rules/kinds/stuck';
import { feedSensorKind, MIN, rule, sensor, T0 } from './ruleTestKit';

const detector = sensor('TRF-1');

/** Flat within 0.5 km/h for 10 minutes, with at least 3 readings. */
const stuck = rule({
  kind: 'stuck',
  params: { metric: 'speed', duration: '10m', tolerance: 0.5, minSamples: 3, severity: 'yellow' },
});

/** Active flags for values reported `everyMin` minutes apart. */
function activity(values: number[], everyMin = 5) {
  const { verdicts } = feedSensorKind(
    stuckKind,
    stuck,
    detector,
    'speed',
    values.map((v, i) => [T0 + i * everyMin * MIN, v] as const),
  );
  return verdicts.map((v) => v?.active);
}

describe('stuck kind', () => {
  it('raises when the value stays flat for the duration with enough readings', () => {
    const { verdicts } = feedSensorKind(stuckKind, stuck, detector, 'speed', [
      [T0, 42],
      [T0 + 5 * MIN, 42],
      [T0 + 10 * MIN, 42],
    ]);
    expect(verdicts.map((v) => v?.active)).toEqual([false, false, true]);
    expect(verdicts[2]).toMatchObject({ severity: 'yellow', value: 42, detail: { flatSeconds: 600 } });
  });

  it('does not raise after the duration with fewer readings than minSamples', () => {
    // Two readings 10 minutes apart: flat for the duration, but only 2 of 3 samples.
    expect(activity([42, 42, 42], 10)).toEqual([false, false, true]);
  });

  it('clears on the first value that moves beyond the tolerance and starts a new flat run', () => {
    expect(activity([42, 42, 42, 50, 50, 50])).toEqual([false, false, true, false, false, true]);
  });

  it('counts values within the tolerance of the first flat value as the same', () => {
    expect(activity([42, 42.3, 41.6])).toEqual([false, false, true]);
  });

  it('measures the tolerance from the start of the run, so a slow drift is not stuck', () => {
    // 42.4 is within 0.5 of 42; 42.8 is not (0.8 from the first flat value).
    expect(activity([42, 42.4, 42.8, 43.2, 43.6])).toEqual([false, false, false, false, false]);
  });

  it('ignores a sample not newer than the latest one', () => {
    const { state } = feedSensorKind(stuckKind, stuck, detector, 'speed', [[T0 + 5 * MIN, 42]]);
    const ctx = { params: stuckKind.paramsSchema.parse(stuck.params), rule: stuck };
    const late = stuckKind.onSample(
      state,
      { sensorId: 'TRF-1', metric: 'speed', value: 10, at: T0 },
      ctx,
      detector,
    );
    expect(late).toEqual({ state, verdict: null });
  });
});
