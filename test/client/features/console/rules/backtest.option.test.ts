import { describe, expect, it } from 'vitest';
import type { RuleBacktestAlert } from '@shared/schemas/rule.schema';
import { backtestOption, bucketFor } from '../../../../../client/src/features/console/rules/backtest.option';
import { backtestResult, T0 } from './rules.fixtures';
import { SEVERITY_COLORS } from '../../../../../client/src/styles/severityColors';

const HOUR = 3_600_000;

function alert(firingAt: number, maxSeverity: RuleBacktestAlert['maxSeverity']): RuleBacktestAlert {
  return {
    subject: { type: 'sensor', id: 'WL-0007' },
    sensorId: 'WL-0007',
    severity: 'yellow',
    maxSeverity,
    startsAt: firingAt - 120_000,
    firingAt,
    flapping: false,
  };
}

function seriesOf(option: ReturnType<typeof backtestOption>) {
  return (Array.isArray(option.series) ? option.series : [option.series]) as Array<{
    name: string;
    data: number[];
    stack: string;
    type: string;
    itemStyle: { color: string };
  }>;
}

describe('bucketFor', () => {
  it('picks the narrowest bar that keeps the chart within 72 bars', () => {
    expect(bucketFor(HOUR)).toBe(60_000);
    expect(bucketFor(24 * HOUR)).toBe(30 * 60_000);
    expect(bucketFor(72 * HOUR)).toBe(HOUR);
    expect(bucketFor(31 * 24 * HOUR)).toBe(12 * HOUR);
  });
});

describe('backtestOption', () => {
  // T0 is 16:00 in Shanghai; the day replayed runs from 16:00 the day before.
  const day = backtestResult({
    alerts: [
      alert(T0 - 23 * HOUR + 5 * 60_000, 'red'),
      alert(T0 - 23 * HOUR + 25 * 60_000, 'yellow'),
      alert(T0 - 23 * HOUR + 40 * 60_000, 'red'),
      alert(T0 - 10 * 60_000, 'blue'),
    ],
    alertsTotal: 4,
    bySeverity: { red: 2, orange: 0, yellow: 1, blue: 1 },
  });

  it('stacks one bar series per level, most severe first, in the level colours', () => {
    const series = seriesOf(backtestOption(day, 'zh'));
    expect(series.map((s) => [s.type, s.name, s.stack, s.itemStyle.color])).toEqual([
      ['bar', '红色', 'alerts', SEVERITY_COLORS.red],
      ['bar', '橙色', 'alerts', SEVERITY_COLORS.orange],
      ['bar', '黄色', 'alerts', SEVERITY_COLORS.yellow],
      ['bar', '蓝色', 'alerts', SEVERITY_COLORS.blue],
    ]);
  });

  it('counts the alerts by the half hour they fired in, by their worst level', () => {
    const option = backtestOption(day, 'zh');
    const [red, orange, yellow, blue] = seriesOf(option);
    expect(red!.data).toHaveLength(48);
    // 17:00–17:30 Shanghai holds the red at 17:05 and the yellow at 17:25; 17:30–18:00 the red at 17:40.
    expect(red!.data.slice(2, 4)).toEqual([1, 1]);
    expect(yellow!.data.slice(2, 4)).toEqual([1, 0]);
    expect(blue!.data.at(-1)).toBe(1);
    expect(orange!.data.every((n) => n === 0)).toBe(true);
    const total = seriesOf(option).reduce((n, s) => n + s.data.reduce((a, b) => a + b, 0), 0);
    expect(total).toBe(4);
  });

  it('labels the bars in Asia/Shanghai time, with the day when the range crosses midnight', () => {
    const xAxis = backtestOption(day, 'zh').xAxis as { type: string; data: string[] };
    expect(xAxis.type).toBe('category');
    expect(xAxis.data[0]).toBe('11-20 16:00');
    expect(xAxis.data[1]).toBe('11-20 16:30');
    expect(xAxis.data.at(-1)).toBe('11-21 15:30');

    const hour = backtestOption(backtestResult({ from: T0 - HOUR, replayedFrom: T0 - HOUR }), 'zh');
    expect((hour.xAxis as { data: string[] }).data.slice(0, 2)).toEqual(['15:00', '15:01']);
  });

  it('draws the range actually replayed when retention cut its start', () => {
    const cut = backtestResult({ from: T0 - 7 * 24 * HOUR, replayedFrom: T0 - 6 * HOUR });
    const xAxis = backtestOption(cut, 'zh').xAxis as { data: string[] };
    expect(xAxis.data[0]).toBe('10:00');
    expect(xAxis.data).toHaveLength(72);
  });

  it('names the levels and the axis in English when asked', () => {
    const option = backtestOption(day, 'en');
    expect(seriesOf(option).map((s) => s.name)).toEqual(['Red', 'Orange', 'Yellow', 'Blue']);
    expect((option.legend as { data: string[] }).data).toEqual(['Red', 'Orange', 'Yellow', 'Blue']);
    expect((option.yAxis as { name: string }).name).toBe('Alerts');
  });

  it('draws empty bars when nothing would have been raised', () => {
    const series = seriesOf(backtestOption(backtestResult(), 'zh'));
    expect(series.every((s) => s.data.every((n) => n === 0))).toBe(true);
  });
});
