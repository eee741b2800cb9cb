import type { LineSeriesOption } from 'echarts/charts';
import type {
  GridComponentOption,
  MarkAreaComponentOption,
  MarkLineComponentOption,
  TooltipComponentOption,
} from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import { METRICS, isMetricId } from '@shared/metrics';
import type { Alert } from '@shared/schemas/alert.schema';
import type { HistoryPoint } from '@shared/schemas/reading.schema';
import { formatMeasure } from '../../../format/reading.format';
import { DISPLAY_TIME_ZONE, zonedParts } from '../../../format/time.format';
import { translate } from '../../../i18n/messages';
import type { Locale } from '../../../i18n/messages';
import { SEVERITY_COLORS } from '../../../styles/severityColors';

/** The option parts the evidence chart uses (and registers: nothing else is bundled). */
export type AlertEvidenceOption = ComposeOption<
  | LineSeriesOption
  | GridComponentOption
  | TooltipComponentOption
  | MarkLineComponentOption
  | MarkAreaComponentOption
>;

/** The firing span is shaded in the level's colour at this opacity (hex alpha). */
const SPAN_ALPHA = '26';
const LINE_COLOR = '#38bdf8';
const EXPECTED_COLOR = '#a78bfa';
const TEXT_DIM = '#8fa3c0';
const GRID_LINE = '#1d2b47';

/**
 * Points further apart than this many times the usual spacing are a gap in the data (the
 * sensor was silent): the line is broken there rather than drawn across.
 */
const GAP_FACTOR = 5;

/** Series ids, so that tests and the tooltip can find them. */
export const EVIDENCE_SERIES = { value: 'value', rangeBase: 'range-base', range: 'range' } as const;

/** The value the alert crossed, from the facts it carries, in the metric's unit; null when it carries none. */
export function thresholdOf(alert: Alert): number | null {
  // An anomaly rule's threshold is on its score, not on the readings.
  if (alert.ruleKind === 'anomaly') return null;
  const t = alert.detail?.['threshold'];
  return typeof t === 'number' && Number.isFinite(t) ? t : null;
}

/** The anomaly detector's expected value (its baseline for that time of day); null when none. */
export function expectedOf(alert: Alert): number | null {
  const e = alert.detail?.['expected'];
  return typeof e === 'number' && Number.isFinite(e) ? e : null;
}

/** Where the alert fired: from firing (or its start) until resolved, or until the last reading. */
export function firingSpan(alert: Alert, points: readonly HistoryPoint[]): [number, number] {
  const start = alert.firingAt ?? alert.startsAt;
  const end = alert.resolvedAt ?? Math.max(start, points.at(-1)?.t ?? start);
  return [start, end];
}

function medianSpacing(points: readonly HistoryPoint[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < points.length; i++) gaps.push(points[i]!.t - points[i - 1]!.t);
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)] ?? 0;
}

/** `[t, y]` pairs with a null inserted where the data has a gap (ECharts lifts the pen there). */
function withGaps(
  points: readonly HistoryPoint[],
  y: (p: HistoryPoint) => number,
): [number, number | null][] {
  const limit = medianSpacing(points) * GAP_FACTOR;
  const out: [number, number | null][] = [];
  let prev: number | undefined;
  for (const p of points) {
    if (prev !== undefined && limit > 0 && p.t - prev > limit) out.push([prev + 1, null]);
    out.push([p.t, y(p)]);
    prev = p.t;
  }
  return out;
}

function metricLabel(metric: string | undefined, locale: Locale): { name: string; unit: string } {
  if (metric === undefined) return { name: translate(locale, 'console.alerts.chart.value'), unit: '' };
  if (!isMetricId(metric)) return { name: metric, unit: '' };
  const info = METRICS[metric];
  return { name: locale === 'en' ? info.en : info.zh, unit: info.unit === 'bool' ? '' : info.unit };
}

/** `HH:mm` (or `MM-DD HH:mm` across days) in the display zone, whatever the browser's zone. */
export function axisTime(epochMs: number, withDate: boolean): string {
  const p = zonedParts(epochMs, DISPLAY_TIME_ZONE);
  return withDate ? `${p.month}-${p.day} ${p.hour}:${p.minute}` : `${p.hour}:${p.minute}`;
}

/**
 * ECharts option for an alert's evidence: the readings of its metric around it (the mean of
 * each bucket as a line, the min–max of bucketed points as a band), the firing span shaded in
 * the level's colour, and dashed lines at the threshold and at the detector's expected value
 * where the alert's facts carry them. Times read in Asia/Shanghai. `range` fixes the time
 * axis to the window that was asked for; without it the axis spans the points. Pure.
 */
export function alertEvidenceOption(
  points: readonly HistoryPoint[],
  alert: Alert,
  locale: Locale,
  range?: { from: number; to: number },
): AlertEvidenceOption {
  const color = SEVERITY_COLORS[alert.severity];
  const { name, unit } = metricLabel(alert.metric, locale);
  const threshold = thresholdOf(alert);
  const expected = expectedOf(alert);
  const [spanStart, spanEnd] = firingSpan(alert, points);
  const bucketed = points.some((p) => p.count > 1 && p.max > p.min);
  const from = range?.from ?? points[0]?.t ?? spanStart;
  const to = range?.to ?? points.at(-1)?.t ?? spanEnd;
  const withDate =
    to - from > 86_400_000 || axisTime(from, true).slice(0, 5) !== axisTime(to, true).slice(0, 5);
  const byTime = new Map(points.map((p) => [p.t, p]));
  const fmt = (v: number) => `${formatMeasure(v, locale)}${unit ? ` ${unit}` : ''}`;

  const lines: NonNullable<MarkLineComponentOption['data']> = [];
  if (threshold !== null)
    lines.push({
      name: translate(locale, 'console.alerts.chart.threshold'),
      yAxis: threshold,
      lineStyle: { color, type: 'dashed', width: 2 },
      label: {
        color,
        position: 'insideEndTop',
        formatter: `${translate(locale, 'console.alerts.chart.threshold')} ${fmt(threshold)}`,
      },
    });
  if (expected !== null)
    lines.push({
      name: translate(locale, 'console.alerts.chart.expected'),
      yAxis: expected,
      lineStyle: { color: EXPECTED_COLOR, type: 'dashed', width: 1.5 },
      label: {
        color: EXPECTED_COLOR,
        position: 'insideEndBottom',
        formatter: `${translate(locale, 'console.alerts.chart.expected')} ${fmt(expected)}`,
      },
    });

  // Marked values must be on screen even when the readings never reach them.
  const marks = lines.map((l) => (l as { yAxis: number }).yAxis);
  const series: LineSeriesOption[] = [];
  if (bucketed) {
    // The band is the difference stacked on the minimum; the base line itself is invisible.
    series.push(
      {
        id: EVIDENCE_SERIES.rangeBase,
        type: 'line',
        data: withGaps(points, (p) => p.min),
        stack: 'range',
        symbol: 'none',
        silent: true,
        lineStyle: { opacity: 0 },
        tooltip: { show: false },
      },
      {
        id: EVIDENCE_SERIES.range,
        name: translate(locale, 'console.alerts.chart.range'),
        type: 'line',
        data: withGaps(points, (p) => p.max - p.min),
        stack: 'range',
        symbol: 'none',
        silent: true,
        lineStyle: { opacity: 0 },
        areaStyle: { color: 'rgba(56, 189, 248, 0.18)' },
        tooltip: { show: false },
      },
    );
  }
  series.push({
    id: EVIDENCE_SERIES.value,
    name,
    type: 'line',
    data: withGaps(points, (p) => p.avg),
    showSymbol: points.length <= 60,
    symbolSize: 4,
    connectNulls: false,
    lineStyle: { color: LINE_COLOR, width: 2 },
    itemStyle: { color: LINE_COLOR },
    markArea: {
      silent: true,
      itemStyle: { color: `${color}${SPAN_ALPHA}` },
      label: { color, position: 'insideTop' },
      data: [
        [{ name: translate(locale, 'console.alerts.chart.firing'), xAxis: spanStart }, { xAxis: spanEnd }],
      ],
    },
    ...(lines.length > 0 && { markLine: { symbol: 'none', silent: true, data: lines } }),
  });

  return {
    animation: false,
    grid: { left: 56, right: 24, top: 28, bottom: 28 },
    tooltip: {
      trigger: 'axis',
      formatter: (params: unknown) => {
        const list = Array.isArray(params) ? params : [params];
        const first = list.find((p: { seriesId?: string }) => p.seriesId === EVIDENCE_SERIES.value) as
          { value?: [number, number | null] } | undefined;
        const t = first?.value?.[0];
        if (t === undefined) return '';
        const p = byTime.get(t);
        const head = axisTime(t, true);
        if (!p) return head;
        const spread = p.count > 1 && p.max > p.min ? ` (${fmt(p.min)} – ${fmt(p.max)})` : '';
        return `${head}<br/>${name} ${fmt(p.avg)}${spread}`;
      },
    },
    xAxis: {
      type: 'time',
      min: from,
      max: to,
      axisLabel: { color: TEXT_DIM, hideOverlap: true, formatter: (v: number) => axisTime(v, withDate) },
      axisLine: { lineStyle: { color: GRID_LINE } },
      splitLine: { show: false },
    },
    yAxis: {
      type: 'value',
      name: unit,
      nameTextStyle: { color: TEXT_DIM },
      scale: true,
      ...(marks.length > 0 && {
        min: (e: { min: number }) => Math.min(e.min, ...marks),
        max: (e: { max: number }) => Math.max(e.max, ...marks),
      }),
      axisLabel: { color: TEXT_DIM },
      splitLine: { lineStyle: { color: GRID_LINE } },
    },
    series,
  };
}
