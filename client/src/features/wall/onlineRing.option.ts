import type { GaugeSeriesOption } from 'echarts/charts';
import type { ComposeOption } from 'echarts/core';
import {
  CHART_DANGER,
  CHART_FONT,
  CHART_LINE,
  CHART_OK,
  CHART_TEXT,
  CHART_WARN,
  remToPx,
} from './chartStyle';

export type OnlineRingOption = ComposeOption<GaugeSeriesOption>;

/** At or above this share online the ring is green; below {@link ONLINE_WARN_PCT} red, between amber. */
export const ONLINE_OK_PCT = 95;
export const ONLINE_WARN_PCT = 80;

/** Colour of an online share: a city whose sensors drop out is blind, and the wall must say so. */
export function onlineColor(pct: number): string {
  if (pct >= ONLINE_OK_PCT) return CHART_OK;
  return pct >= ONLINE_WARN_PCT ? CHART_WARN : CHART_DANGER;
}

/**
 * The sensors-online ring: a full circle filled to the share of the scope's sensors online
 * (0–100 %, from 城市体征), its value in the middle. `null` (no sensors, or no figures yet)
 * leaves the ring empty with a dash.
 */
export function buildOnlineRingOption(onlinePct: number | null, remPx: number): OnlineRingOption {
  const pct = onlinePct === null ? null : Math.min(100, Math.max(0, onlinePct));
  // Rounded down, so one sensor missing never reads as a full network; and "100%", not "100.0%",
  // which would not fit in the ring's hole.
  const shown = pct === null ? null : Math.floor(pct * 10) / 10;
  const text = shown === null ? '—' : shown === 100 ? '100%' : `${shown.toFixed(1)}%`;
  return {
    animation: false,
    series: [
      {
        type: 'gauge',
        startAngle: 90,
        endAngle: -270,
        min: 0,
        max: 100,
        radius: '92%',
        pointer: { show: false },
        // Always shown (ECharts 6 fails when an update switches `progress` on); unknown is see-through.
        progress: {
          show: true,
          roundCap: true,
          width: remToPx(0.55, remPx),
          itemStyle: { color: pct === null ? 'transparent' : onlineColor(pct) },
        },
        axisLine: { lineStyle: { width: remToPx(0.55, remPx), color: [[1, CHART_LINE]] } },
        axisTick: { show: false },
        splitLine: { show: false },
        axisLabel: { show: false },
        title: { show: false },
        detail: {
          valueAnimation: false,
          offsetCenter: [0, 0],
          formatter: () => text,
          color: CHART_TEXT,
          fontSize: remToPx(1.1, remPx),
          fontWeight: 700,
          fontFamily: CHART_FONT,
        },
        data: [{ value: pct ?? 0 }],
      },
    ],
  };
}
