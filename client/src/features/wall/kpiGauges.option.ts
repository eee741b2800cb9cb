import type { GaugeSeriesOption } from 'echarts/charts';
import type { ComposeOption } from 'echarts/core';
import { DEFAULT_STAGE_LIMITS } from '@shared/domain/caseCategories';
import type { KpiRow } from '@shared/schemas/workOrder.schema';
import { CHART_DANGER, CHART_DIM, CHART_LINE, CHART_OK, CHART_WARN, remToPx } from './chartStyle';

export type KpiGaugesOption = ComposeOption<GaugeSeriesOption>;

/** The three KPIs the wall shows as gauges, in order. */
export const GAUGE_KPIS = ['onTimeRate', 'closeRate', 'responseAvg'] as const;
export type GaugeKpi = (typeof GAUGE_KPIS)[number];

/** A rate at or above this is green, below {@link RATE_WARN} red, between amber. */
export const RATE_OK = 0.9;
export const RATE_WARN = 0.8;
/** 响应 time limit of a normal case, minutes (派遣→接单, DEFAULT_STAGE_LIMITS): the response gauge's yardstick. */
export const RESPONSE_LIMIT_MIN = DEFAULT_STAGE_LIMITS.normal.response;

/** One gauge: where its needle stands on its scale, what it prints, and in which colour. */
export interface KpiGauge {
  kpi: GaugeKpi;
  label: string;
  /** On the gauge's scale (0–100 for rates, minutes for response); 0 when unknown. */
  value: number;
  max: number;
  /** Printed in the gauge (`93.7%`, `—`). */
  text: string;
  /** Printed after `text`, smaller (`分钟`); empty for none. */
  unit: string;
  color: string;
  known: boolean;
}

/** How the panel prints a rate (0–1) and minutes, in the UI language. */
export interface KpiFormat {
  rate(v: number): string;
  minutes(v: number): string;
  /** Unit printed after the minutes (`分钟`). */
  minuteUnit: string;
}

function rateColor(v: number): string {
  if (v >= RATE_OK) return CHART_OK;
  return v >= RATE_WARN ? CHART_WARN : CHART_DANGER;
}

/** Fast responses are good: green within half the limit, amber up to it, red beyond. */
function responseColor(min: number): string {
  if (min <= RESPONSE_LIMIT_MIN / 2) return CHART_OK;
  return min <= RESPONSE_LIMIT_MIN ? CHART_WARN : CHART_DANGER;
}

/**
 * Today's 按期结案率, 结案率 and average response time (派遣→接单) as three gauges. A rate of
 * nothing (no case due, none responded to) or no figures at all (`row` null) is a dash, never 0.
 * The response gauge runs to twice the time limit, further when the average is beyond that.
 */
export function kpiGauges(
  row: KpiRow | null,
  labels: Readonly<Record<GaugeKpi, string>>,
  format: KpiFormat,
): KpiGauge[] {
  const rate = (kpi: 'onTimeRate' | 'closeRate'): KpiGauge => {
    const v = row?.[kpi] ?? null;
    return {
      kpi,
      label: labels[kpi],
      value: v === null ? 0 : Math.min(100, Math.max(0, v * 100)),
      max: 100,
      text: v === null ? '—' : format.rate(v),
      unit: '',
      color: v === null ? CHART_DIM : rateColor(v),
      known: v !== null,
    };
  };
  const s = row?.responseAvgS ?? null;
  const min = s === null ? null : s / 60;
  const max = Math.max(
    2 * RESPONSE_LIMIT_MIN,
    Math.ceil((min ?? 0) / RESPONSE_LIMIT_MIN) * RESPONSE_LIMIT_MIN,
  );
  return [
    rate('onTimeRate'),
    rate('closeRate'),
    {
      kpi: 'responseAvg',
      label: labels.responseAvg,
      value: min ?? 0,
      max,
      text: min === null ? '—' : format.minutes(min),
      unit: min === null ? '' : format.minuteUnit,
      color: min === null ? CHART_DIM : responseColor(min),
      known: min !== null,
    },
  ];
}

/**
 * One gauge's arc: a 260° track filled to the value in the gauge's colour (the figure and the
 * name are printed over and under it as text, crisper than canvas text). An unknown value leaves
 * the track empty.
 */
export function buildKpiGaugeOption(gauge: KpiGauge, remPx: number): KpiGaugesOption {
  const width = remToPx(0.75, remPx);
  return {
    animation: false,
    series: [
      {
        type: 'gauge',
        center: ['50%', '55%'],
        radius: '92%',
        startAngle: 220,
        endAngle: -40,
        min: 0,
        max: gauge.max,
        pointer: { show: false },
        // Always shown (ECharts 6 fails when an update switches `progress` on); unknown is see-through.
        progress: {
          show: true,
          roundCap: true,
          width,
          itemStyle: { color: gauge.known ? gauge.color : 'transparent' },
        },
        axisLine: { roundCap: true, lineStyle: { width, color: [[1, CHART_LINE]] } },
        axisTick: { show: false },
        splitLine: { show: false },
        axisLabel: { show: false },
        title: { show: false },
        detail: { show: false },
        data: [{ value: gauge.value }],
      },
    ],
  };
}
