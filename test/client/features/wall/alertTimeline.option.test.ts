import { describe, expect, it } from 'vitest';
import { SEVERITIES } from '@shared/schemas/alert.schema';
import { buildAlertTimelineOption } from '../../../../client/src/features/wall/alertTimeline.option';
import { SEVERITY_COLORS } from '../../../../client/src/styles/severityColors';
import { alertHours, T0 } from '../vitals/vitals.fixtures';

const NAMES = { red: '红色', orange: '橙色', yellow: '黄色', blue: '蓝色' };

function parts(option: ReturnType<typeof buildAlertTimelineOption>) {
  const series = (Array.isArray(option.series) ? option.series : [option.series]) as {
    name: string;
    stack: string;
    itemStyle: { color: string };
    data: number[];
  }[];
  const xAxis = (Array.isArray(option.xAxis) ? option.xAxis[0] : option.xAxis) as {
    data: string[];
    axisLabel: { interval: (i: number) => boolean };
  };
  return { series, xAxis };
}

describe('buildAlertTimelineOption', () => {
  it('draws 24 hours oldest first, stacked by warning colour in the warning colours', () => {
    const hours = alertHours(T0, { 0: { blue: 2 }, 23: { red: 1, yellow: 3 } });
    const { series, xAxis } = parts(buildAlertTimelineOption(hours, 18, NAMES));
    expect(xAxis.data).toHaveLength(24);
    expect(xAxis.data[23]).toBe('16:00');
    expect(xAxis.data[0]).toBe('17:00');
    expect(series.map((s) => s.name)).toEqual(['红色', '橙色', '黄色', '蓝色']);
    expect(series.map((s) => s.itemStyle.color)).toEqual(SEVERITIES.map((s) => SEVERITY_COLORS[s]));
    expect(new Set(series.map((s) => s.stack)).size).toBe(1);
    expect(series[0]?.data[23]).toBe(1);
    expect(series[2]?.data[23]).toBe(3);
    expect(series[3]?.data[0]).toBe(2);
  });

  it('labels every third hour counted back from the current one, which is always labelled', () => {
    const { xAxis } = parts(buildAlertTimelineOption(alertHours(), 18, NAMES));
    const shown = xAxis.data.filter((_, i) => xAxis.axisLabel.interval(i));
    expect(shown).toEqual(['19:00', '22:00', '01:00', '04:00', '07:00', '10:00', '13:00', '16:00']);
  });

  it('counts whole alerts on the value axis', () => {
    const option = buildAlertTimelineOption(alertHours(), 18, NAMES);
    expect(option.yAxis).toMatchObject({ min: 0, minInterval: 1 });
  });

  it('draws an empty chart from no hours', () => {
    const { series, xAxis } = parts(buildAlertTimelineOption([], 18, NAMES));
    expect(xAxis.data).toEqual([]);
    expect(series.every((s) => s.data.length === 0)).toBe(true);
  });
});
