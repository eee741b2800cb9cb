import { describe, expect, it } from 'vitest';
import { SEVERITIES } from '@shared/schemas/alert.schema';
import { CHART_FAULT } from '../../../../client/src/features/wall/chartStyle';
import { buildGridEventsOption } from '../../../../client/src/features/wall/gridEvents.option';
import { SEVERITY_COLORS } from '../../../../client/src/styles/severityColors';
import { gridCategory } from '../vitals/vitals.fixtures';

const NAMES = { severity: { red: '红色', orange: '橙色', yellow: '黄色', blue: '蓝色' }, faults: '设备故障' };

function parts(option: ReturnType<typeof buildGridEventsOption>) {
  const series = (Array.isArray(option.series) ? option.series : [option.series]) as {
    name: string;
    stack: string;
    itemStyle: { color: string };
    data: unknown[];
  }[];
  const yAxis = Array.isArray(option.yAxis) ? option.yAxis[0] : option.yAxis;
  return { series, names: (yAxis as { data: string[] }).data };
}

describe('buildGridEventsOption', () => {
  const categories = [
    gridCategory('manhole', {
      openAlerts: 3,
      bySeverity: { red: 1, orange: 0, yellow: 2, blue: 0 },
      deviceFaults: 1,
    }),
    gridCategory('waterlogging', { openAlerts: 2, bySeverity: { red: 0, orange: 2, yellow: 0, blue: 0 } }),
  ];

  it('stacks each family by warning colour, 红 to 蓝, in the warning colours', () => {
    const { series } = parts(buildGridEventsOption(categories, 'zh', 18, NAMES));
    const bySeverity = series.slice(0, 4);
    expect(bySeverity.map((s) => s.name)).toEqual(['红色', '橙色', '黄色', '蓝色']);
    expect(bySeverity.map((s) => s.itemStyle.color)).toEqual(SEVERITIES.map((s) => SEVERITY_COLORS[s]));
    expect(new Set(bySeverity.map((s) => s.stack))).toEqual(new Set(['events']));
    expect(bySeverity.map((s) => s.data)).toEqual([
      [1, 0],
      [0, 2],
      [2, 0],
      [0, 0],
    ]);
  });

  it('shows device faults as a grey bar of their own, numbered only where there are some', () => {
    const { series } = parts(buildGridEventsOption(categories, 'zh', 18, NAMES));
    const faults = series[4];
    expect(faults?.name).toBe('设备故障');
    expect(faults?.stack).toBe('faults');
    expect(faults?.itemStyle.color).toBe(CHART_FAULT);
    expect(faults?.data).toEqual([
      { value: 1, label: { show: true } },
      { value: 0, label: { show: false } },
    ]);
  });

  it('names each family with its open-alert count, in the UI language', () => {
    expect(parts(buildGridEventsOption(categories, 'zh', 18, NAMES)).names).toEqual(['井盖 3', '道路积水 2']);
    expect(parts(buildGridEventsOption(categories, 'en', 18, NAMES)).names).toEqual([
      'Manhole cover 3',
      'Waterlogging 2',
    ]);
  });

  it('keeps room on the axis when the city is quiet, and stretches it for a busy family', () => {
    const quiet = buildGridEventsOption([gridCategory('smoke')], 'zh', 18, NAMES);
    expect(quiet.xAxis).toMatchObject({ min: 0, max: 4 });
    const busy = buildGridEventsOption(
      [gridCategory('feeder', { deviceFaults: 12 }), gridCategory('smoke', { openAlerts: 9 })],
      'zh',
      18,
      NAMES,
    );
    expect(busy.xAxis).toMatchObject({ max: 12 });
  });

  it('draws no bars without categories but keeps its legend', () => {
    const option = buildGridEventsOption([], 'zh', 18, NAMES);
    const { series, names } = parts(option);
    expect(names).toEqual([]);
    expect(series.every((s) => s.data.length === 0)).toBe(true);
    expect(option.legend).toMatchObject({ data: ['红色', '橙色', '黄色', '蓝色', '设备故障'] });
  });
});
