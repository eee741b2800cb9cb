import type { BarSeriesOption } from 'echarts/charts';
import type { GridComponentOption, LegendComponentOption, TooltipComponentOption } from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import { SEVERITIES } from '@shared/schemas/alert.schema';
import type { Severity } from '@shared/schemas/alert.schema';
import type { RuleBacktestResult } from '@shared/schemas/rule.schema';
import { zonedParts } from '../../../format/time.format';
import { translate } from '../../../i18n/messages';
import type { Locale } from '../../../i18n/messages';
import { SHANGHAI_OFFSET_MS } from '@shared/domain/shanghaiTime';
import { SEVERITY_COLORS } from '../../../styles/severityColors';

/** The only option parts the backtest chart uses (what BacktestChart.vue registers). */
export type BacktestOption = ComposeOption<
  BarSeriesOption | GridComponentOption | TooltipComponentOption | LegendComponentOption
>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Bar widths to choose from, ms: the smallest that keeps the chart within {@link MAX_BARS}. */
export const BUCKETS_MS = [
  MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  24 * HOUR,
] as const;

/** Most bars drawn over the range. */
export const MAX_BARS = 72;

const AXIS_COLOR = '#8fa3c0';
const LINE_COLOR = '#1d2b47';

/** The bar width for a range, ms. */
export function bucketFor(spanMs: number): number {
  return BUCKETS_MS.find((b) => spanMs / b <= MAX_BARS) ?? BUCKETS_MS[BUCKETS_MS.length - 1]!;
}

/** Bars line up with the Shanghai clock: a 6-hour bar starts at 00:00, 06:00… Shanghai time. */
function floorTo(t: number, size: number): number {
  return Math.floor((t + SHANGHAI_OFFSET_MS) / size) * size - SHANGHAI_OFFSET_MS;
}

function label(t: number, withDay: boolean): string {
  const p = zonedParts(t);
  return withDay ? `${p.month}-${p.day} ${p.hour}:${p.minute}` : `${p.hour}:${p.minute}`;
}

/**
 * ECharts option for a backtest: the alerts the rule would have raised over the replayed range,
 * counted per time bar (by when each fired) and stacked by the worst level each reached — the
 * levels of `bySeverity`. Bars follow Asia/Shanghai time, labels too. Only the listed alerts
 * (the server lists the first 10,000) can be drawn.
 */
export function backtestOption(result: RuleBacktestResult, locale: Locale): BacktestOption {
  const replayed = result.replayedTo > result.replayedFrom;
  const from = replayed ? result.replayedFrom : result.from;
  const to = replayed ? result.replayedTo : result.to;
  const size = bucketFor(Math.max(1, to - from));
  const first = floorTo(from, size);
  const bars = Math.max(1, Math.ceil((to - first) / size));
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, new Array<number>(bars).fill(0)])) as Record<
    Severity,
    number[]
  >;
  for (const a of result.alerts) {
    const bar = Math.floor((a.firingAt - first) / size);
    if (bar >= 0 && bar < bars) counts[a.maxSeverity][bar]! += 1;
  }
  const withDay = to - from > 24 * HOUR || zonedParts(from).day !== zonedParts(to - 1).day;
  const labels = Array.from({ length: bars }, (_, i) => label(first + i * size, withDay));
  const name = (s: Severity) => translate(locale, `severity.${s}`);

  return {
    animation: false,
    grid: { left: 48, right: 16, top: 36, bottom: 32 },
    legend: {
      top: 0,
      data: SEVERITIES.map(name),
      textStyle: { color: AXIS_COLOR },
    },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: {
      type: 'category',
      data: labels,
      axisLabel: { color: AXIS_COLOR, hideOverlap: true },
      axisLine: { lineStyle: { color: LINE_COLOR } },
    },
    yAxis: {
      type: 'value',
      name: translate(locale, 'console.rules.chart.count'),
      minInterval: 1,
      nameTextStyle: { color: AXIS_COLOR },
      axisLabel: { color: AXIS_COLOR },
      splitLine: { lineStyle: { color: LINE_COLOR } },
    },
    series: SEVERITIES.map((s) => ({
      type: 'bar' as const,
      name: name(s),
      stack: 'alerts',
      data: counts[s],
      itemStyle: { color: SEVERITY_COLORS[s] },
      barMaxWidth: 24,
    })),
  };
}
