import { describe, expect, it } from 'vitest';
import {
  buildRateSparklineOption,
  SPARKLINE_WINDOW_MS,
} from '../../../../client/src/features/live/rateSparkline.option';
import type { RateSample } from '../../../../client/src/features/live/rateSparkline.option';

function seriesData(samples: readonly RateSample[]): unknown {
  const option = buildRateSparklineOption(samples);
  const series = Array.isArray(option.series) ? option.series[0] : option.series;
  return series?.data;
}

describe('buildRateSparklineOption', () => {
  const t0 = 1_800_000_000_000;

  it('plots the samples as [time, value] pairs on a time axis ending at the newest sample', () => {
    const samples = [
      { t: t0, value: 10 },
      { t: t0 + 1000, value: 12.5 },
      { t: t0 + 2000, value: 9 },
    ];
    const option = buildRateSparklineOption(samples);
    expect(seriesData(samples)).toEqual([
      [t0, 10],
      [t0 + 1000, 12.5],
      [t0 + 2000, 9],
    ]);
    expect(option.xAxis).toMatchObject({
      type: 'time',
      show: false,
      max: t0 + 2000,
      min: t0 + 2000 - 120_000,
    });
    expect(option.yAxis).toMatchObject({ type: 'value', min: 0, show: false });
    expect(option.animation).toBe(false);
  });

  it('draws a single line series without symbols', () => {
    const option = buildRateSparklineOption([{ t: t0, value: 1 }]);
    expect(option.series).toEqual([
      expect.objectContaining({ type: 'line', showSymbol: false, connectNulls: false }),
    ]);
  });

  it('leaves out samples older than the window', () => {
    const samples = [
      { t: t0 - SPARKLINE_WINDOW_MS - 1, value: 1 },
      { t: t0 - SPARKLINE_WINDOW_MS, value: 2 },
      { t: t0, value: 3 },
    ];
    const data = seriesData(samples) as [number, number | null][];
    expect(data[0]).toEqual([t0 - SPARKLINE_WINDOW_MS, 2]);
  });

  it('breaks the line across a gap in the samples instead of bridging it', () => {
    const samples = [
      { t: t0, value: 5 },
      { t: t0 + 1000, value: 6 },
      { t: t0 + 30_000, value: 7 },
    ];
    expect(seriesData(samples)).toEqual([
      [t0, 5],
      [t0 + 1000, 6],
      [t0 + 1001, null],
      [t0 + 30_000, 7],
    ]);
  });

  it('builds an empty chart with free axes from no samples', () => {
    const option = buildRateSparklineOption([]);
    expect(seriesData([])).toEqual([]);
    expect(option.xAxis).toMatchObject({ min: undefined, max: undefined });
  });
});
