import { describe, expect, it } from 'vitest';
import { CONGESTION_STATES } from '@shared/domain/traffic';
import {
  buildTpiTrendOption,
  TPI_TREND_MIN_SPAN_MS,
} from '../../../../client/src/features/wall/tpiTrend.option';
import { T0 } from '../../live.fixtures';

const MIN = 60_000;

function parts(option: ReturnType<typeof buildTpiTrendOption>) {
  const series = Array.isArray(option.series) ? option.series[0] : option.series;
  const xAxis = Array.isArray(option.xAxis) ? option.xAxis[0] : option.xAxis;
  const visualMap = Array.isArray(option.visualMap) ? option.visualMap[0] : option.visualMap;
  if (!series || series.type !== 'line' || !xAxis || !visualMap) throw new Error('unexpected option');
  return { data: series.data as [number, number | null][], xAxis, visualMap };
}

describe('buildTpiTrendOption', () => {
  it('draws the trend per minute, oldest first, with the current figure as its last point', () => {
    const trend = [
      { t: T0 - 2 * MIN, tpi: 3.1, aqi: 50 },
      { t: T0 - MIN, tpi: 4.4, aqi: 51 },
    ];
    const { data } = parts(buildTpiTrendOption(trend, { t: T0 + 20_000, tpi: 5 }, 18));
    expect(data).toEqual([
      [T0 - 2 * MIN, 3.1],
      [T0 - MIN, 4.4],
      [T0 + 20_000, 5],
    ]);
  });

  it('lifts the pen across a gap in the trend instead of drawing a line over it', () => {
    const trend = [
      { t: T0 - 30 * MIN, tpi: 3, aqi: null },
      { t: T0 - MIN, tpi: 6, aqi: null },
      { t: T0, tpi: null, aqi: null },
    ];
    const { data } = parts(buildTpiTrendOption(trend, null, 18));
    expect(data).toEqual([
      [T0 - 30 * MIN, 3],
      [T0 - 30 * MIN + 1, null],
      [T0 - MIN, 6],
      [T0, null],
    ]);
  });

  it('colours the line by the five GB/T 33171 bands, 严重拥堵 up to and including 10', () => {
    const { visualMap } = parts(buildTpiTrendOption([], { t: T0, tpi: 2 }, 18));
    const pieces = (visualMap as { pieces: { gte: number; lt?: number; lte?: number; color: string }[] })
      .pieces;
    expect(pieces.map((p) => p.color)).toEqual(CONGESTION_STATES.map((s) => s.color));
    expect(pieces[0]).toMatchObject({ gte: 0, lt: 2 });
    expect(pieces[4]).toMatchObject({ gte: 8, lte: 10 });
  });

  it('spans at least an hour when the trend is young, and at most the window when it is old', () => {
    const young = parts(buildTpiTrendOption([{ t: T0 - MIN, tpi: 2, aqi: null }], { t: T0, tpi: 2 }, 18));
    expect(young.xAxis).toMatchObject({ min: T0 - TPI_TREND_MIN_SPAN_MS, max: T0 });

    const old = Array.from({ length: 300 }, (_, i) => ({ t: T0 - (300 - i) * MIN, tpi: 2, aqi: null }));
    const long = parts(buildTpiTrendOption(old, null, 18, 120 * MIN));
    expect(long.xAxis).toMatchObject({ min: T0 - MIN - 120 * MIN, max: T0 - MIN });
    expect(long.data).toHaveLength(121);
  });

  it('labels the time axis on the Asia/Shanghai clock', () => {
    const { xAxis } = parts(buildTpiTrendOption([], { t: T0, tpi: 1 }, 18));
    const formatter = (xAxis as { axisLabel: { formatter: (v: number) => string } }).axisLabel.formatter;
    expect(formatter(T0)).toBe('16:00');
  });

  it('draws an empty chart from no data at all', () => {
    const { data, xAxis } = parts(buildTpiTrendOption([], null, 18));
    expect(data).toEqual([]);
    expect(xAxis).toMatchObject({ min: undefined, max: undefined });
  });
});
