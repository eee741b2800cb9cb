import { describe, expect, it } from 'vitest';
import { WORK_ORDER_STATES } from '@shared/schemas/workOrder.schema';
import type { WorkOrderState } from '@shared/schemas/workOrder.schema';
import {
  buildWorkOrderFunnelOption,
  FUNNEL_STATES,
} from '../../../../client/src/features/wall/workOrderFunnel.option';

function counts(partial: Partial<Record<WorkOrderState, number>>): Record<WorkOrderState, number> {
  return Object.fromEntries(WORK_ORDER_STATES.map((s) => [s, partial[s] ?? 0])) as Record<
    WorkOrderState,
    number
  >;
}
const NAMES: Record<string, string> = {
  registered: '已立案',
  dispatched: '已派遣',
  accepted: '已接单',
  handling: '处置中',
  reported: '待核实',
};
const name = (s: string): string => NAMES[s] ?? s;

function funnel(option: ReturnType<typeof buildWorkOrderFunnelOption>) {
  const s = Array.isArray(option.series) ? option.series[0] : option.series;
  if (!s || s.type !== 'funnel') throw new Error('no funnel');
  return s as unknown as {
    sort: string;
    min: number;
    max: number;
    data: { name: string; value: number; label: { formatter: string } }[];
  };
}

describe('buildWorkOrderFunnelOption', () => {
  it('draws the main path in pipeline order, not sorted by size, labelled with name and count', () => {
    const f = funnel(
      buildWorkOrderFunnelOption(counts({ registered: 3, dispatched: 12, reported: 1 }), name, 18),
    );
    expect(f.sort).toBe('none');
    expect(f.data.map((d) => d.name)).toEqual(['已立案', '已派遣', '已接单', '处置中', '待核实']);
    expect(f.data.map((d) => d.value)).toEqual([3, 12, 0, 0, 1]);
    expect(f.data.map((d) => d.label.formatter)).toEqual([
      '已立案  3',
      '已派遣  12',
      '已接单  0',
      '处置中  0',
      '待核实  1',
    ]);
  });

  it('sizes the stages against the fullest one', () => {
    const f = funnel(buildWorkOrderFunnelOption(counts({ handling: 40, accepted: 10 }), name, 18));
    expect(f).toMatchObject({ min: 0, max: 40 });
  });

  it('leaves returned and escalated cases out of the main path', () => {
    const f = funnel(buildWorkOrderFunnelOption(counts({ returned: 5, escalated: 2 }), name, 18));
    expect(f.data.map((d) => d.value)).toEqual([0, 0, 0, 0, 0]);
    expect(FUNNEL_STATES).not.toContain('returned');
  });

  it('keeps an empty pipeline drawable (a zero maximum would divide by nothing)', () => {
    const f = funnel(buildWorkOrderFunnelOption(counts({}), name, 18));
    expect(f.max).toBe(1);
  });

  it('shows dashes while the counts are unknown', () => {
    const f = funnel(buildWorkOrderFunnelOption(null, name, 18));
    expect(f.data.map((d) => d.label.formatter)).toEqual([
      '已立案  —',
      '已派遣  —',
      '已接单  —',
      '处置中  —',
      '待核实  —',
    ]);
  });

  it('prints counts with the formatter it is given (grouped thousands)', () => {
    const f = funnel(
      buildWorkOrderFunnelOption(counts({ registered: 1234 }), name, 18, (n) => n.toLocaleString('en-US')),
    );
    expect(f.data[0]?.label.formatter).toBe('已立案  1,234');
  });
});
