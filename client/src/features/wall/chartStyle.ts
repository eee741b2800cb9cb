import type { BarSeriesOption, LineSeriesOption } from 'echarts/charts';
import { shanghaiLocalIso } from '@shared/domain/shanghaiTime';

/**
 * Colours and type of the wall's charts, the theme's (client/src/styles/theme.css) for the
 * canvas, which CSS cannot reach. Sizes are in rem: a builder multiplies by the px per rem it is
 * given, so chart text scales with the 1920×1080 stage like the rest of the wall.
 */
export const CHART_TEXT = '#e6edf7';
/** `--text-dim` */
export const CHART_DIM = '#8fa3c0';
/** `--accent` */
export const CHART_ACCENT = '#38bdf8';
/** `--ok`, `--warn`, `--danger` */
export const CHART_OK = '#22c55e';
export const CHART_WARN = '#f59e0b';
export const CHART_DANGER = '#ef4444';
/** Faint grid lines and empty tracks. */
export const CHART_LINE = 'rgba(143, 163, 192, 0.16)';
/** Device faults (offline, stuck, bad data): grey, apart from the warning colours. */
export const CHART_FAULT = '#64748b';
/** The theme's font stack (Noto Sans SC ships with the app). */
export const CHART_FONT = "'Noto Sans SC', 'PingFang SC', 'Microsoft YaHei', system-ui, sans-serif";

/** Px per rem at the design size (1920 px wide). */
export const DEFAULT_REM_PX = 18;

/** `size` rem in px, rounded to a half pixel. */
export function remToPx(size: number, remPx: number): number {
  return Math.round(size * remPx * 2) / 2;
}

/** Text style of axis labels and legends: dim, at `size` rem. */
export function dimText(
  size: number,
  remPx: number,
): { color: string; fontSize: number; fontFamily: string } {
  return { color: CHART_DIM, fontSize: remToPx(size, remPx), fontFamily: CHART_FONT };
}

/** Text style of values and row names: bright, at `size` rem. */
export function brightText(
  size: number,
  remPx: number,
): { color: string; fontSize: number; fontFamily: string } {
  return { color: CHART_TEXT, fontSize: remToPx(size, remPx), fontFamily: CHART_FONT };
}

/** Margins of a chart box, rem. */
export interface BoxRem {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/**
 * The grid of a bar chart whose axis labels (row names) sit inside its box, `box` rem from the
 * edges (ECharts 6's successor of `containLabel`).
 */
export function labelledGrid(box: BoxRem, remPx: number) {
  return {
    left: remPx * box.left,
    right: remPx * box.right,
    top: remPx * box.top,
    bottom: remPx * box.bottom,
    outerBoundsMode: 'same' as const,
    outerBoundsContain: 'axisLabel' as const,
  };
}

/**
 * The category axis of a horizontal bar chart: one row per name, the first on top, no line or
 * ticks. Every row is named, even when rows are tight (ECharts would skip every other one); with
 * `widthRem`, a longer name is cut at that width.
 */
export function rowNamesAxis(names: string[], size: number, remPx: number, widthRem?: number) {
  return {
    type: 'category' as const,
    inverse: true,
    data: names,
    axisLine: { show: false },
    axisTick: { show: false },
    axisLabel: {
      ...brightText(size, remPx),
      interval: 0,
      ...(widthRem === undefined ? {} : { width: remPx * widthRem, overflow: 'truncate' as const }),
    },
  };
}

/** The label at the end of a horizontal bar, at `size` rem. */
export function barEndLabel(size: number, remPx: number) {
  return { show: true, position: 'right' as const, ...brightText(size, remPx) };
}

/**
 * Horizontal bars over a faint full-length track, both rounded by `radius` rem, each labelled at
 * its end in `label` rem text (an item may override its colour and label); not interactive.
 */
export function trackedBarSeries(
  data: BarSeriesOption['data'],
  look: { barWidth: string; radius: number; label: number },
  remPx: number,
): BarSeriesOption {
  return {
    type: 'bar',
    silent: true,
    barWidth: look.barWidth,
    showBackground: true,
    backgroundStyle: { color: CHART_LINE, borderRadius: remPx * look.radius },
    itemStyle: { borderRadius: remPx * look.radius },
    label: barEndLabel(look.label, remPx),
    data,
  };
}

/**
 * A line over time from `start` on (all of it when undefined), broken where two points are more
 * than `gapMs` apart: a null point there makes ECharts lift the pen instead of inventing data
 * across the silence. No symbols, not interactive. Points must be in time order.
 */
export function gappedLineSeries<P extends { t: number }>(
  points: Iterable<P>,
  value: (p: P) => number | null,
  range: { start: number | undefined; gapMs: number },
  style: Pick<LineSeriesOption, 'lineStyle' | 'areaStyle'>,
): LineSeriesOption {
  const data: [number, number | null][] = [];
  let prevT: number | undefined;
  for (const p of points) {
    if (range.start !== undefined && p.t < range.start) continue;
    if (prevT !== undefined && p.t - prevT > range.gapMs) data.push([prevT + 1, null]);
    data.push([p.t, value(p)]);
    prevT = p.t;
  }
  return { type: 'line', data, showSymbol: false, connectNulls: false, silent: true, ...style };
}

/** `HH:mm` on the Asia/Shanghai clock, whatever the zone of the PC driving the wall. */
export function shanghaiHourMinute(epochMs: number): string {
  return shanghaiLocalIso(epochMs).slice(11, 16);
}
