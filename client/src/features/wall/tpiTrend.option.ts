import type { LineSeriesOption } from 'echarts/charts';
import type { GridComponentOption, VisualMapComponentOption } from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import { CONGESTION_STATES } from '@shared/domain/traffic';
import type { VitalsTrendPoint } from '@shared/schemas/vitals.schema';
import { CHART_LINE, dimText, gappedLineSeries, shanghaiHourMinute } from './chartStyle';

export type TpiTrendOption = ComposeOption<LineSeriesOption | GridComponentOption | VisualMapComponentOption>;

/** Longest span of the trend shown, ms (the server keeps 24 h). */
export const TPI_TREND_WINDOW_MS = 24 * 3_600_000;
/** Shortest span of the time axis, ms. */
export const TPI_TREND_MIN_SPAN_MS = 3_600_000;
/**
 * Trend points are a minute apart; a longer silence (the server was down, no detector reported)
 * is a gap, not a straight line across it.
 */
export const TPI_TREND_GAP_MS = 2.5 * 60_000;

/** The current index, newer than the trend's last whole minute. */
export interface TpiNow {
  /** Time of the figure, epoch ms. */
  t: number;
  tpi: number | null;
}

/**
 * The traffic performance index over time (0–10, GB/T 33171), the line coloured band by band
 * with the five congestion states' colours and the axis split at the band edges (2, 4, 6, 8).
 * Oldest first; the current figure, when given and newer, is drawn as the line's last point.
 * The axis spans the trend (at most `windowMs`, at least `minSpanMs`) and reads the Asia/Shanghai clock.
 */
export function buildTpiTrendOption(
  trend: readonly VitalsTrendPoint[],
  now: TpiNow | null,
  remPx: number,
  windowMs: number = TPI_TREND_WINDOW_MS,
  gapMs: number = TPI_TREND_GAP_MS,
  minSpanMs: number = TPI_TREND_MIN_SPAN_MS,
): TpiTrendOption {
  const points: { t: number; tpi: number | null }[] = [...trend];
  const last = points.at(-1);
  if (now && (!last || now.t > last.t)) points.push(now);
  const end = points.at(-1)?.t;
  // At least an hour across, so a young trend does not stretch a few minutes over the panel.
  const start =
    end === undefined ? undefined : Math.min(end - minSpanMs, Math.max(points[0]?.t ?? end, end - windowMs));

  return {
    animation: false,
    grid: { left: remPx * 2, right: remPx * 0.8, top: remPx * 0.8, bottom: remPx * 1.6 },
    xAxis: {
      type: 'time',
      min: start,
      max: end,
      splitNumber: 4,
      axisLine: { lineStyle: { color: CHART_LINE } },
      axisTick: { show: false },
      splitLine: { show: false },
      axisLabel: {
        ...dimText(0.8, remPx),
        hideOverlap: true,
        formatter: (v: number) => shanghaiHourMinute(v),
      },
    },
    yAxis: {
      type: 'value',
      min: 0,
      max: 10,
      interval: 2,
      axisLabel: dimText(0.8, remPx),
      splitLine: { lineStyle: { color: CHART_LINE } },
    },
    visualMap: {
      type: 'piecewise',
      show: false,
      dimension: 1,
      seriesIndex: 0,
      // Bands are [min, max) as the standard reads; 严重拥堵 includes 10.
      pieces: CONGESTION_STATES.map((s) =>
        s.tpiMax >= 10
          ? { gte: s.tpiMin, lte: 10, color: s.color }
          : { gte: s.tpiMin, lt: s.tpiMax, color: s.color },
      ),
    },
    series: [
      gappedLineSeries(
        points,
        (p) => p.tpi,
        { start, gapMs },
        { lineStyle: { width: remPx * 0.16 }, areaStyle: { opacity: 0.18 } },
      ),
    ],
  };
}
