import { describe, expect, it } from 'vitest';
import { dataQualityKind } from '../../../../server/src/domain/rules/kinds/dataQuality';
import type { AreaRef } from '../../../../server/src/domain/rules/ruleKind';
import { areaHarness, DISTRICT_A, HOUR, inPolygon, MIN, rule, SEC, sensor, T0 } from './ruleTestKit';

/** The example: per district over 1 h, default levels (yellow < 0.9, red < 0.7). */
const completeness = rule({ kind: 'dataQuality', params: dataQualityKind.example });
const district: AreaRef = { type: 'district', id: DISTRICT_A };
const members = ['S1', 'S2', 'S3'].map((id) => sensor(id, { reportIntervalSec: 60 }));

/**
 * Feeds the first hour after T0: each sensor reports every `everySec[id]` seconds (absent = silent),
 * then judges on a tick at T0 + 1 h.
 */
function hour(
  everySec: Record<string, number>,
  h = areaHarness(dataQualityKind, completeness, district, members, T0),
) {
  const start = h.state.since;
  for (const [id, every] of Object.entries(everySec)) {
    for (let t = start; t < start + HOUR; t += every * SEC) h.sample(id, Number.NaN, t, '*');
  }
  return { verdict: h.tick(start + HOUR), h };
}

describe('dataQuality kind', () => {
  it('judges an area whose sensors all report on time as complete, without an alert', () => {
    expect(hour({ S1: 60, S2: 60, S3: 60 }).verdict).toMatchObject({ active: false, value: 1 });
  });

  it('gives no verdict before a whole window was observed', () => {
    const h = areaHarness(dataQualityKind, completeness, district, members, T0);
    for (let t = T0; t < T0 + 59 * MIN; t += MIN) for (const m of members) h.sample(m.id, Number.NaN, t, '*');
    expect(h.tick(T0 + 59 * MIN)).toBeNull();
    expect(h.tick(T0 + HOUR)).toMatchObject({ active: false });
  });

  it('lowers completeness for a silent sensor among chatty ones: each counts at most its expected readings', () => {
    // S1 reports six times too often, S2 is silent: 55 of 110 expected readings count.
    const { verdict } = hour({ S1: 10, S3: 60 });
    expect(verdict).toMatchObject({ active: true, severity: 'red', value: 0.667 });
    expect(verdict?.detail).toMatchObject({ silent: ['S2'] });
  });

  it('raises yellow below 90 % and red below 70 %', () => {
    // S3 reports every other minute: (55 + 55 + 27) / 165 ≈ 0.83.
    expect(hour({ S1: 60, S2: 60, S3: 120 }).verdict).toMatchObject({
      active: true,
      severity: 'yellow',
      value: 0.83,
    });
    // S2 and S3 silent: 55 / 165.
    expect(hour({ S1: 60 }).verdict).toMatchObject({ active: true, severity: 'red', value: 0.333 });
  });

  it('holds yellow while completeness is between 0.9 and the clear value 0.92, and clears above it', () => {
    const { h } = hour({ S1: 60, S2: 60, S3: 120 });
    /** One more hour from `start`; S3 silent during minutes [gapFrom, gapTo). */
    const nextHour = (start: number, gapFrom: number, gapTo: number) => {
      for (let t = start; t < start + HOUR; t += MIN) {
        const minute = (t - start) / MIN;
        h.sample('S1', Number.NaN, t, '*');
        h.sample('S2', Number.NaN, t, '*');
        if (minute < gapFrom || minute >= gapTo) h.sample('S3', Number.NaN, t, '*');
      }
      return h.tick(start + HOUR);
    };
    // S3 misses minutes 5–19: (55 + 55 + 40) / 165 ≈ 0.909 — above 0.9 but not above 0.92.
    expect(nextHour(T0 + HOUR, 5, 20)).toMatchObject({ active: true, severity: 'yellow', value: 0.909 });
    // S3 misses minutes 5–15: (55 + 55 + 44) / 165 ≈ 0.933.
    expect(nextHour(T0 + 2 * HOUR, 5, 16)).toMatchObject({ active: false, value: 0.933 });
  });

  it('does not lose a judged bucket to a reading from a sensor whose clock runs a few seconds ahead', () => {
    const h = areaHarness(dataQualityKind, completeness, district, members, T0);
    for (let t = T0; t < T0 + 70 * MIN; t += MIN) for (const m of members) h.sample(m.id, Number.NaN, t, '*');
    // S1's clock is 3 s fast: its next reading is stamped just past the boundary the server has not reached.
    h.sample('S1', Number.NaN, T0 + 70 * MIN + 2 * SEC, '*');
    expect(h.tick(T0 + 70 * MIN - SEC)).toMatchObject({ active: false, value: 1 });
  });

  it('counts a sensor that joins the area after start-up once it reports', () => {
    const { verdict } = hour({ S1: 60, S2: 60, S3: 60, S4: 60 });
    expect(verdict).toMatchObject({ active: false, value: 1, detail: { expected: 220 } });
  });

  it('does not judge an area expecting fewer readings than minExpected', () => {
    const sparse = [sensor('S1', { reportIntervalSec: 3600 })];
    const h = areaHarness(dataQualityKind, completeness, district, sparse, T0);
    expect(h.tick(T0 + HOUR)).toBeNull();
  });

  it('ignores a reading older than the window', () => {
    const { h } = hour({ S1: 60, S2: 60, S3: 60 });
    const before = JSON.stringify(h.state.counts);
    expect(h.sample('S1', Number.NaN, T0 - HOUR, '*')).toBeNull();
    expect(JSON.stringify(h.state.counts)).toBe(before);
  });

  it('files a sensor under its district, its grid cell or the city as asked', () => {
    const s = sensor('S1');
    const ctx = (area: string) => ({
      params: dataQualityKind.paramsSchema.parse({ area }),
      rule: completeness,
    });
    expect(dataQualityKind.areasOf(ctx('district'), s, inPolygon)).toEqual([
      { type: 'district', id: s.districtId },
    ]);
    expect(dataQualityKind.areasOf(ctx('cell'), s, inPolygon)).toEqual([{ type: 'cell', id: s.gridCellId }]);
    expect(dataQualityKind.areasOf(ctx('city'), s, inPolygon)).toMatchObject([{ type: 'area', id: 'city' }]);
    expect(dataQualityKind.areasOf(ctx('cell'), sensor('S9', { gridCellId: null }), inPolygon)).toEqual([]);
  });
});
