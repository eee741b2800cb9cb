import { describe, expect, it } from 'vitest';
import type { LineSeriesOption } from 'echarts/charts';
import type { HistoryPoint } from '@shared/schemas/reading.schema';
import {
  alertEvidenceOption,
  EVIDENCE_SERIES,
} from '../../../../../client/src/features/console/alerts/alertEvidence.option';
import { alert, T0 } from './alerts.fixtures';
import { SEVERITY_COLORS } from '../../../../../client/src/styles/severityColors';

const MIN = 60_000;

/** Raw readings (count 1) every minute from `from`, values from `values`. */
function raw(from: number, values: number[]): HistoryPoint[] {
  return values.map((v, i) => ({ t: from + i * MIN, min: v, avg: v, max: v, count: 1 }));
}

function seriesOf(option: ReturnType<typeof alertEvidenceOption>): LineSeriesOption[] {
  return (Array.isArray(option.series) ? option.series : [option.series]) as LineSeriesOption[];
}

function valueSeries(option: ReturnType<typeof alertEvidenceOption>): LineSeriesOption {
  const s = seriesOf(option).find((x) => x.id === EVIDENCE_SERIES.value);
  if (!s) throw new Error('no value series');
  return s;
}

const firing = alert('a', {
  severity: 'orange',
  metric: 'waterDepth',
  value: 31,
  startsAt: T0 - 10 * MIN,
  firingAt: T0 - 8 * MIN,
  resolvedAt: T0 - 2 * MIN,
  detail: { threshold: 27 },
});

describe('alertEvidenceOption', () => {
  it('plots the readings as [time, value] pairs named after the metric', () => {
    const option = alertEvidenceOption(raw(T0 - 3 * MIN, [20, 30, 25]), firing, 'zh');
    const s = valueSeries(option);
    expect(s.type).toBe('line');
    expect(s.name).toBe('积水深度');
    expect(s.data).toEqual([
      [T0 - 3 * MIN, 20],
      [T0 - 2 * MIN, 30],
      [T0 - MIN, 25],
    ]);
    expect(option.yAxis).toMatchObject({ type: 'value', name: 'cm' });
    expect(valueSeries(alertEvidenceOption([], firing, 'en')).name).toBe('Water depth');
  });

  it('draws a dashed line in the level colour at the threshold the alert carries', () => {
    const s = valueSeries(alertEvidenceOption(raw(T0 - 3 * MIN, [20, 30, 25]), firing, 'zh'));
    expect(s.markLine?.data).toEqual([
      expect.objectContaining({
        name: '阈值',
        yAxis: 27,
        lineStyle: expect.objectContaining({ color: SEVERITY_COLORS.orange, type: 'dashed' }),
        label: expect.objectContaining({ formatter: '阈值 27 cm' }),
      }),
    ]);
  });

  it('draws no threshold line when the alert carries none', () => {
    const s = valueSeries(alertEvidenceOption(raw(T0, [1, 2]), { ...firing, detail: undefined }, 'zh'));
    expect(s.markLine).toBeUndefined();
  });

  it("draws an anomaly's expected value, not its score threshold", () => {
    const anomaly = {
      ...firing,
      ruleKind: 'anomaly',
      metric: 'speed',
      detail: { threshold: 6, expected: 48.5 },
    };
    const lines = valueSeries(alertEvidenceOption(raw(T0, [20, 22]), anomaly, 'en')).markLine?.data;
    expect(lines).toEqual([expect.objectContaining({ name: 'Expected', yAxis: 48.5 })]);
  });

  it('keeps the threshold on screen when the readings stay below it', () => {
    const option = alertEvidenceOption(raw(T0, [5, 8]), firing, 'zh');
    const y = option.yAxis as { min: (e: { min: number }) => number; max: (e: { max: number }) => number };
    expect(y.max({ max: 8 })).toBe(27);
    expect(y.min({ min: 5 })).toBe(5);
  });

  it('shades the firing span in the level colour, from firing to resolved', () => {
    const area = valueSeries(alertEvidenceOption(raw(T0 - 3 * MIN, [20, 30, 25]), firing, 'zh')).markArea;
    expect(area?.itemStyle?.color).toBe(`${SEVERITY_COLORS.orange}26`);
    expect(area?.data).toEqual([[{ name: '告警持续', xAxis: T0 - 8 * MIN }, { xAxis: T0 - 2 * MIN }]]);
  });

  it('shades an open alert from its start until the last reading', () => {
    const open = { ...firing, severity: 'red' as const, firingAt: undefined, resolvedAt: undefined };
    const area = valueSeries(alertEvidenceOption(raw(T0 - 3 * MIN, [20, 30, 25]), open, 'zh')).markArea;
    expect(area?.data).toEqual([[expect.objectContaining({ xAxis: T0 - 10 * MIN }), { xAxis: T0 - MIN }]]);
    expect(area?.itemStyle?.color).toBe(`${SEVERITY_COLORS.red}26`);
  });

  it('breaks the line where the sensor went silent', () => {
    const points = [...raw(T0, [1, 2, 3]), ...raw(T0 + 60 * MIN, [4, 5])];
    expect(valueSeries(alertEvidenceOption(points, firing, 'zh')).data).toEqual([
      [T0, 1],
      [T0 + MIN, 2],
      [T0 + 2 * MIN, 3],
      [T0 + 2 * MIN + 1, null],
      [T0 + 60 * MIN, 4],
      [T0 + 61 * MIN, 5],
    ]);
  });

  it('adds a min–max band for bucketed readings only', () => {
    expect(seriesOf(alertEvidenceOption(raw(T0, [1, 2]), firing, 'zh'))).toHaveLength(1);
    const buckets: HistoryPoint[] = [
      { t: T0, min: 10, avg: 20, max: 40, count: 6 },
      { t: T0 + MIN, min: 12, avg: 15, max: 18, count: 6 },
    ];
    const series = seriesOf(alertEvidenceOption(buckets, firing, 'zh'));
    expect(series.map((s) => s.id)).toEqual([
      EVIDENCE_SERIES.rangeBase,
      EVIDENCE_SERIES.range,
      EVIDENCE_SERIES.value,
    ]);
    expect(series[0]?.data).toEqual([
      [T0, 10],
      [T0 + MIN, 12],
    ]);
    expect(series[1]?.data).toEqual([
      [T0, 30],
      [T0 + MIN, 6],
    ]);
    expect(series[0]?.stack).toBe('range');
    expect(series[1]?.stack).toBe('range');
  });

  it('spans the asked window and labels times in Asia/Shanghai', () => {
    const option = alertEvidenceOption(raw(T0, [1]), firing, 'zh', {
      from: T0 - 60 * MIN,
      to: T0 + 30 * MIN,
    });
    const x = option.xAxis as { min: number; max: number; axisLabel: { formatter: (v: number) => string } };
    expect(x.min).toBe(T0 - 60 * MIN);
    expect(x.max).toBe(T0 + 30 * MIN);
    // 08:00 UTC is 16:00 in Shanghai.
    expect(x.axisLabel.formatter(T0)).toBe('16:00');
  });

  it('shows the date on the time axis when the window crosses midnight in Shanghai', () => {
    const option = alertEvidenceOption(raw(T0, [1]), firing, 'zh', { from: T0, to: T0 + 9 * 60 * MIN });
    const x = option.xAxis as { axisLabel: { formatter: (v: number) => string } };
    expect(x.axisLabel.formatter(T0)).toBe('11-21 16:00');
  });

  it('gives the time, value and spread of the reading under the pointer', () => {
    const buckets: HistoryPoint[] = [{ t: T0, min: 10, avg: 20, max: 40, count: 6 }];
    const option = alertEvidenceOption(buckets, firing, 'zh');
    const tooltip = option.tooltip as { formatter: (p: unknown) => string };
    expect(tooltip.formatter([{ seriesId: EVIDENCE_SERIES.value, value: [T0, 20] }])).toBe(
      '11-21 16:00<br/>积水深度 20 cm (10 cm – 40 cm)',
    );
  });
});
