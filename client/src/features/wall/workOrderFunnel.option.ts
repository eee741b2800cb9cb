import type { FunnelSeriesOption } from 'echarts/charts';
import type { ComposeOption } from 'echarts/core';
import type { WorkOrderState } from '@shared/schemas/workOrder.schema';
import { CHART_FONT, CHART_TEXT, remToPx } from './chartStyle';

export type WorkOrderFunnelOption = ComposeOption<FunnelSeriesOption>;

/**
 * The 案卷 pipeline's main path, in order: 立案 → 派遣 → 接单 → 处置 → 核实. Returned (退回)
 * and escalated (转办) cases leave it and wait on the centre; the wall shows them beside it.
 */
export const FUNNEL_STATES = ['registered', 'dispatched', 'accepted', 'handling', 'reported'] as const;
export type FunnelState = (typeof FUNNEL_STATES)[number];

/** One blue per stage, lighter as a case moves on. */
export const FUNNEL_COLORS: Readonly<Record<FunnelState, string>> = {
  registered: '#1d4ed8',
  dispatched: '#2563eb',
  accepted: '#0284c7',
  handling: '#0891b2',
  reported: '#0d9488',
};

/** Narrowest stage, % of the widest: an empty stage still shows its name and its 0. */
export const FUNNEL_MIN_SIZE_PCT = 50;

/**
 * The work-order pipeline as a funnel by state, stages in pipeline order (not sorted by size),
 * each as wide as its share of the fullest stage and labelled with its name and count. `counts`
 * is null while the counts are unknown: the stages are drawn at the narrowest with a dash.
 */
export function buildWorkOrderFunnelOption(
  counts: Readonly<Record<WorkOrderState, number>> | null,
  stateName: (state: FunnelState) => string,
  remPx: number,
  formatCount: (n: number) => string = String,
): WorkOrderFunnelOption {
  const values = FUNNEL_STATES.map((s) => (counts ? counts[s] : 0));
  return {
    animation: false,
    series: [
      {
        type: 'funnel',
        silent: true,
        sort: 'none',
        left: '2%',
        right: '2%',
        top: remPx * 0.3,
        bottom: remPx * 0.3,
        min: 0,
        max: Math.max(1, ...values),
        minSize: `${FUNNEL_MIN_SIZE_PCT}%`,
        maxSize: '100%',
        gap: remPx * 0.2,
        label: {
          show: true,
          position: 'inside',
          color: CHART_TEXT,
          fontSize: remToPx(1, remPx),
          fontWeight: 600,
          fontFamily: CHART_FONT,
        },
        itemStyle: { borderWidth: 0 },
        data: FUNNEL_STATES.map((s, i) => ({
          name: stateName(s),
          value: values[i],
          itemStyle: { color: FUNNEL_COLORS[s] },
          label: { formatter: `${stateName(s)}  ${counts ? formatCount(values[i] ?? 0) : '—'}` },
        })),
      },
    ],
  };
}
