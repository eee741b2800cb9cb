import type { LineSeriesOption } from 'echarts/charts';
import type { GridComponentOption } from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import { gappedLineSeries } from '../wall/chartStyle';

/** One point of the readings-per-second history. */
export interface RateSample {
  /** Server time of the sample (the stats' `serverTime`), epoch ms. */
  t: number;
  /** Accepted readings per second, as the server averages it (last 10 s). */
  value: number;
}

/** The only option parts the sparkline uses (keeps the ECharts bundle to what is registered). */
export type RateSparklineOption = ComposeOption<LineSeriesOption | GridComponentOption>;

/** Span of history the sparkline shows, ms. */
export const SPARKLINE_WINDOW_MS = 120_000;

/**
 * Samples arrive about once a second; a longer silence means the connection or
 * the feed stopped, and drawing a straight line across it would invent data.
 */
export const SPARKLINE_GAP_MS = 5_000;

/** Line colour, matches `--accent` in the theme. */
const LINE_COLOR = '#38bdf8';

/**
 * ECharts option for the readings/s sparkline: the last {@link SPARKLINE_WINDOW_MS}
 * ending at the newest sample, no axes or labels, the line broken where samples
 * are missing. Samples must be in time order.
 */
export function buildRateSparklineOption(
  samples: readonly RateSample[],
  windowMs: number = SPARKLINE_WINDOW_MS,
  gapMs: number = SPARKLINE_GAP_MS,
): RateSparklineOption {
  const end = samples.at(-1)?.t;
  const start = end === undefined ? undefined : end - windowMs;
  return {
    animation: false,
    grid: { left: 0, right: 0, top: 6, bottom: 2 },
    xAxis: { type: 'time', show: false, min: start, max: end },
    yAxis: { type: 'value', show: false, min: 0 },
    series: [
      gappedLineSeries(
        samples,
        (s) => s.value,
        { start, gapMs },
        {
          lineStyle: { width: 2, color: LINE_COLOR },
          areaStyle: {
            color: {
              type: 'linear',
              x: 0,
              y: 0,
              x2: 0,
              y2: 1,
              colorStops: [
                { offset: 0, color: 'rgba(56, 189, 248, 0.45)' },
                { offset: 1, color: 'rgba(56, 189, 248, 0)' },
              ],
            },
          },
        },
      ),
    ],
  };
}
