import type { BarSeriesOption } from 'echarts/charts';
import type { GridComponentOption, LegendComponentOption } from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import { SEVERITIES } from '@shared/schemas/alert.schema';
import type { Severity } from '@shared/schemas/alert.schema';
import type { GridEventCategory } from '@shared/schemas/vitals.schema';
import type { Locale } from '../../i18n/messages';
import { SEVERITY_COLORS } from '../../styles/severityColors';
import { barEndLabel, CHART_FAULT, CHART_LINE, dimText, labelledGrid, rowNamesAxis } from './chartStyle';

export type GridEventsOption = ComposeOption<BarSeriesOption | GridComponentOption | LegendComponentOption>;

/** Series names in the legend: the four warning colours and device faults. */
export interface GridEventNames {
  severity: Readonly<Record<Severity, string>>;
  faults: string;
}

/**
 * Open alerts per grid-event family (井盖, 道路积水, 路灯, …): one bar per family stacked by
 * warning colour (红/橙/黄/蓝), with the family's device faults (offline, stuck, bad data) as a
 * grey bar of their own beside it, since a broken sensor is not an event in the street. The
 * family's name carries its open-alert count. Families in the server's order.
 */
export function buildGridEventsOption(
  categories: readonly GridEventCategory[],
  locale: Locale,
  remPx: number,
  names: GridEventNames,
): GridEventsOption {
  const label = (c: GridEventCategory): string =>
    `${locale === 'en' ? c.name.en : c.name.zh} ${c.openAlerts}`;
  const top = Math.max(0, ...categories.map((c) => Math.max(c.openAlerts, c.deviceFaults)));
  const severitySeries: BarSeriesOption[] = SEVERITIES.map((s) => ({
    type: 'bar',
    name: names.severity[s],
    stack: 'events',
    silent: true,
    barMaxWidth: remPx * 0.7,
    itemStyle: { color: SEVERITY_COLORS[s] },
    data: categories.map((c) => c.bySeverity[s]),
  }));
  return {
    animation: false,
    legend: {
      top: 0,
      left: 'center',
      itemWidth: remPx * 0.7,
      itemHeight: remPx * 0.55,
      itemGap: remPx * 0.45,
      textStyle: dimText(0.78, remPx),
      selectedMode: false,
      data: [...SEVERITIES.map((s) => names.severity[s]), names.faults],
    },
    grid: labelledGrid({ left: 0.4, right: 1.6, top: 1.8, bottom: 0.2 }, remPx),
    // A whole number of alerts per tick, and room to the right even when all are quiet.
    xAxis: {
      type: 'value',
      min: 0,
      max: Math.max(4, top),
      minInterval: 1,
      axisLabel: { show: false },
      splitLine: { lineStyle: { color: CHART_LINE } },
    },
    yAxis: rowNamesAxis(categories.map(label), 0.9, remPx),
    series: [
      ...severitySeries,
      {
        type: 'bar',
        name: names.faults,
        stack: 'faults',
        silent: true,
        barMaxWidth: remPx * 0.7,
        itemStyle: { color: CHART_FAULT },
        label: barEndLabel(0.8, remPx),
        // Only a family with faults gets a number: zeros would fill the chart with noise.
        data: categories.map((c) => ({ value: c.deviceFaults, label: { show: c.deviceFaults > 0 } })),
      },
    ],
  };
}
