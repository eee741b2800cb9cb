import type { BarSeriesOption } from 'echarts/charts';
import type { GridComponentOption, LegendComponentOption } from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import { SEVERITIES } from '@shared/schemas/alert.schema';
import type { Severity } from '@shared/schemas/alert.schema';
import type { AlertHour } from '@shared/schemas/vitals.schema';
import { SEVERITY_COLORS } from '../../styles/severityColors';
import { CHART_LINE, dimText } from './chartStyle';

export type AlertTimelineOption = ComposeOption<
  BarSeriesOption | GridComponentOption | LegendComponentOption
>;

/** Every this many hours an axis label (`HH:00`), counted back from the current hour. */
export const TIMELINE_LABEL_EVERY = 3;

/**
 * The last 24 Asia/Shanghai hours, oldest first, one column per hour stacked by warning colour
 * (红 at the bottom): alerts raised in that hour. The current (partial) hour is the last column.
 * Hour labels are the server's (`HH:00` on the Shanghai clock).
 */
export function buildAlertTimelineOption(
  hours: readonly AlertHour[],
  remPx: number,
  severityNames: Readonly<Record<Severity, string>>,
): AlertTimelineOption {
  const last = hours.length - 1;
  return {
    animation: false,
    legend: {
      top: 0,
      right: remPx * 0.4,
      itemWidth: remPx * 0.8,
      itemHeight: remPx * 0.6,
      itemGap: remPx * 0.6,
      textStyle: dimText(0.8, remPx),
      selectedMode: false,
      data: SEVERITIES.map((s) => severityNames[s]),
    },
    grid: { left: remPx * 2.2, right: remPx * 0.6, top: remPx * 1.8, bottom: remPx * 1.6 },
    xAxis: {
      type: 'category',
      data: hours.map((h) => h.label),
      axisLine: { lineStyle: { color: CHART_LINE } },
      axisTick: { show: false },
      axisLabel: {
        ...dimText(0.8, remPx),
        // Counted back from the newest hour, so the current hour is always labelled.
        interval: (index: number) => (last - index) % TIMELINE_LABEL_EVERY === 0,
      },
    },
    yAxis: {
      type: 'value',
      min: 0,
      minInterval: 1,
      splitNumber: 3,
      axisLabel: dimText(0.8, remPx),
      splitLine: { lineStyle: { color: CHART_LINE } },
    },
    series: SEVERITIES.map((s): BarSeriesOption => ({
      type: 'bar',
      name: severityNames[s],
      stack: 'alerts',
      silent: true,
      barWidth: '62%',
      itemStyle: { color: SEVERITY_COLORS[s] },
      data: hours.map((h) => h.bySeverity[s]),
    })),
  };
}
