import type { BarSeriesOption } from 'echarts/charts';
import type { GridComponentOption } from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import type { RoadCongestion } from '@shared/schemas/vitals.schema';
import type { Locale } from '../../i18n/messages';
import { labelledGrid, rowNamesAxis, trackedBarSeries } from './chartStyle';

export type TopRoadsOption = ComposeOption<BarSeriesOption | GridComponentOption>;

/** Roads shown: the most congested first (the server sends up to ten). */
export const TOP_ROADS_SHOWN = 5;

/**
 * The most congested roads as horizontal bars, worst on top: the bar's length is the road's TPI
 * on the 0–10 scale, its colour the congestion state's (GB/T 33171), and its label the index
 * with the state's name. Roads come sorted by the server.
 */
export function buildTopRoadsOption(
  roads: readonly RoadCongestion[],
  locale: Locale,
  remPx: number,
  limit: number = TOP_ROADS_SHOWN,
): TopRoadsOption {
  const shown = roads.slice(0, limit);
  const name = (r: RoadCongestion): string => (locale === 'en' ? r.name.en : r.name.zh);
  return {
    animation: false,
    grid: labelledGrid({ left: 0.4, right: 7.5, top: 0.3, bottom: 0.3 }, remPx),
    xAxis: { type: 'value', min: 0, max: 10, show: false },
    yAxis: rowNamesAxis(shown.map(name), 0.9, remPx, 8.5),
    series: [
      trackedBarSeries(
        shown.map((r) => ({
          value: r.tpi,
          itemStyle: { color: r.state.color },
          label: { formatter: `${r.tpi.toFixed(1)} ${locale === 'en' ? r.state.en : r.state.zh}` },
        })),
        { barWidth: '58%', radius: 0.2, label: 0.9 },
        remPx,
      ),
    ],
  };
}
