import { describe, expect, it } from 'vitest';
import {
  CHART_DANGER,
  CHART_DIM,
  CHART_OK,
  CHART_WARN,
} from '../../../../client/src/features/wall/chartStyle';
import {
  buildKpiGaugeOption,
  kpiGauges,
  RESPONSE_LIMIT_MIN,
} from '../../../../client/src/features/wall/kpiGauges.option';
import { kpiRow } from '../workOrders/workOrders.fixtures';

const LABELS = { onTimeRate: '按期结案率', closeRate: '结案率', responseAvg: '平均响应' };
const FORMAT = {
  rate: (v: number) => `${Math.round(v * 1000) / 10}%`,
  minutes: (v: number) => String(Math.round(v * 10) / 10),
  minuteUnit: '分钟',
};

describe('kpiGauges', () => {
  it('gives 按期结案率, 结案率 and the average response time, in that order', () => {
    const gauges = kpiGauges(
      kpiRow('all', { onTimeRate: 0.8333, closeRate: 0.9333, responseAvgS: 450 }),
      LABELS,
      FORMAT,
    );
    expect(gauges.map((g) => [g.kpi, g.label, g.text, g.unit])).toEqual([
      ['onTimeRate', '按期结案率', '83.3%', ''],
      ['closeRate', '结案率', '93.3%', ''],
      ['responseAvg', '平均响应', '7.5', '分钟'],
    ]);
    expect(gauges[0]).toMatchObject({ value: 83.33, max: 100, known: true });
    expect(gauges[2]).toMatchObject({ value: 7.5, max: 2 * RESPONSE_LIMIT_MIN });
  });

  it('colours a rate green from 90 %, amber from 80 %, red below', () => {
    const colour = (v: number) => kpiGauges(kpiRow('all', { onTimeRate: v }), LABELS, FORMAT)[0]?.color;
    expect(colour(0.95)).toBe(CHART_OK);
    expect(colour(0.9)).toBe(CHART_OK);
    expect(colour(0.85)).toBe(CHART_WARN);
    expect(colour(0.5)).toBe(CHART_DANGER);
  });

  it('colours the response green within half the limit, amber up to it, red beyond, and widens the scale', () => {
    const gauge = (min: number) => kpiGauges(kpiRow('all', { responseAvgS: min * 60 }), LABELS, FORMAT)[2];
    expect(gauge(RESPONSE_LIMIT_MIN / 2)?.color).toBe(CHART_OK);
    expect(gauge(RESPONSE_LIMIT_MIN)?.color).toBe(CHART_WARN);
    expect(gauge(RESPONSE_LIMIT_MIN + 1)?.color).toBe(CHART_DANGER);
    expect(gauge(95)?.max).toBe(4 * RESPONSE_LIMIT_MIN);
  });

  it('shows a dash, never 0, for a rate of nothing and before any figures', () => {
    const none = kpiGauges(
      kpiRow('all', { onTimeRate: null, closeRate: null, responseAvgS: null }),
      LABELS,
      FORMAT,
    );
    const before = kpiGauges(null, LABELS, FORMAT);
    for (const gauges of [none, before]) {
      expect(gauges.map((g) => g.text)).toEqual(['—', '—', '—']);
      expect(gauges.every((g) => !g.known && g.value === 0 && g.color === CHART_DIM && g.unit === '')).toBe(
        true,
      );
    }
  });
});

describe('buildKpiGaugeOption', () => {
  it('fills the arc to the value on the gauge scale, in its colour', () => {
    const [g] = kpiGauges(kpiRow('all', { onTimeRate: 0.85 }), LABELS, FORMAT);
    if (!g) throw new Error('no gauge');
    const s = buildKpiGaugeOption(g, 18).series;
    const series = Array.isArray(s) ? s[0] : s;
    expect(series).toMatchObject({ type: 'gauge', min: 0, max: 100, data: [{ value: 85 }] });
    expect(series?.progress?.itemStyle?.color).toBe(CHART_WARN);
  });

  it('leaves the arc empty for an unknown value', () => {
    const [g] = kpiGauges(null, LABELS, FORMAT);
    if (!g) throw new Error('no gauge');
    const s = buildKpiGaugeOption(g, 18).series;
    const series = Array.isArray(s) ? s[0] : s;
    expect(series?.progress?.itemStyle?.color).toBe('transparent');
    expect(series?.data).toEqual([{ value: 0 }]);
  });
});
