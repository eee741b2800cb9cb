import { describe, expect, it } from 'vitest';
import { noDataKind } from '../../../../server/src/domain/rules/kinds/noData';
import { ctxOf, rule, SEC, sensor, T0 } from './ruleTestKit';

/** The example: offline after 3 missed report intervals, blue. */
const offline = rule({ kind: 'noData', params: noDataKind.example });
const ctx = ctxOf(noDataKind, offline);
const detector = sensor('TRF-1', { reportIntervalSec: 60 });

describe('noData kind', () => {
  it('marks a sensor offline once it was silent for more than factor × its report interval', () => {
    const state = noDataKind.init(ctx, detector, T0);
    const lastSeen = T0 + 30 * SEC;
    const atLimit = noDataKind.onTick!(state, lastSeen + 180 * SEC, ctx, detector, lastSeen);
    const past = noDataKind.onTick!(state, lastSeen + 181 * SEC, ctx, detector, lastSeen);
    expect(atLimit.verdict).toMatchObject({ active: false, value: 180 });
    expect(past.verdict).toEqual({
      active: true,
      severity: 'blue',
      value: 181,
      detail: { lastSeenAt: lastSeen },
    });
  });

  it('measures a sensor never heard from since the rule started watching it', () => {
    const state = noDataKind.init(ctx, detector, T0);
    expect(noDataKind.onTick!(state, T0 + 180 * SEC, ctx, detector, undefined).verdict?.active).toBe(false);
    expect(noDataKind.onTick!(state, T0 + 181 * SEC, ctx, detector, undefined).verdict).toMatchObject({
      active: true,
      detail: { lastSeenAt: null },
    });
  });

  it('measures from the latest reading, not from when watching began', () => {
    const state = noDataKind.init(ctx, detector, T0);
    const verdict = noDataKind.onTick!(state, T0 + 600 * SEC, ctx, detector, T0 + 500 * SEC).verdict;
    expect(verdict).toMatchObject({ active: false, value: 100 });
  });

  it('clears on a reading of the sensor', () => {
    const state = noDataKind.init(ctx, detector, T0);
    const judged = noDataKind.onSample(
      state,
      { sensorId: 'TRF-1', metric: '*', value: Number.NaN, at: T0 + 900 * SEC },
      ctx,
      detector,
    );
    expect(judged.verdict).toMatchObject({ active: false, detail: { lastSeenAt: T0 + 900 * SEC } });
  });

  it('waits at least minSilence for sensors with very short report intervals', () => {
    const fast = sensor('TRF-2', { reportIntervalSec: 5 });
    const state = noDataKind.init(ctx, fast, T0);
    // 3 × 5 s = 15 s, but the default minSilence is 60 s.
    expect(noDataKind.onTick!(state, T0 + 30 * SEC, ctx, fast, T0).verdict?.active).toBe(false);
    expect(noDataKind.onTick!(state, T0 + 61 * SEC, ctx, fast, T0).verdict?.active).toBe(true);
  });

  it('uses the configured factor and severity', () => {
    const strict = rule({ kind: 'noData', params: { factor: 10, severity: 'yellow' } });
    const c = ctxOf(noDataKind, strict);
    const state = noDataKind.init(c, detector, T0);
    expect(noDataKind.onTick!(state, T0 + 599 * SEC, c, detector, T0).verdict?.active).toBe(false);
    expect(noDataKind.onTick!(state, T0 + 601 * SEC, c, detector, T0).verdict).toMatchObject({
      active: true,
      severity: 'yellow',
    });
  });

  it('watches every reading of a sensor whatever its metrics', () => {
    expect(noDataKind.metrics(ctx.params)).toEqual(['*']);
  });
});
