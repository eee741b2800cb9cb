import { describe, expect, it } from 'vitest';
import { buildTopRoadsOption, TOP_ROADS_SHOWN } from '../../../../client/src/features/wall/topRoads.option';
import { road } from '../vitals/vitals.fixtures';

function parts(option: ReturnType<typeof buildTopRoadsOption>) {
  const series = Array.isArray(option.series) ? option.series[0] : option.series;
  const yAxis = Array.isArray(option.yAxis) ? option.yAxis[0] : option.yAxis;
  if (!series || series.type !== 'bar' || !yAxis) throw new Error('unexpected option');
  return {
    names: (yAxis as { data: string[] }).data,
    data: series.data as { value: number; itemStyle: { color: string }; label: { formatter: string } }[],
  };
}

const SEVERE = { id: 'severe', zh: '严重拥堵', en: 'Severe', color: '#8b0000' } as const;

describe('buildTopRoadsOption', () => {
  it('lists the roads worst first with their TPI, state colour and state name', () => {
    const roads = [road('r1', 8.4, { state: SEVERE }), road('r2', 6.1)];
    const { names, data } = parts(buildTopRoadsOption(roads, 'zh', 18));
    expect(names).toEqual(['道路r1', '道路r2']);
    expect(data.map((d) => d.value)).toEqual([8.4, 6.1]);
    expect(data.map((d) => d.itemStyle.color)).toEqual(['#8b0000', '#d73027']);
    expect(data.map((d) => d.label.formatter)).toEqual(['8.4 严重拥堵', '6.1 中度拥堵']);
  });

  it('names roads and states in English when the wall is in English', () => {
    const { names, data } = parts(buildTopRoadsOption([road('r1', 8, { state: SEVERE })], 'en', 18));
    expect(names).toEqual(['Road r1']);
    expect(data[0]?.label.formatter).toBe('8.0 Severe');
  });

  it(`shows at most ${TOP_ROADS_SHOWN} roads`, () => {
    const roads = Array.from({ length: 10 }, (_, i) => road(`r${i}`, 9 - i * 0.5));
    expect(parts(buildTopRoadsOption(roads, 'zh', 18)).names).toHaveLength(TOP_ROADS_SHOWN);
    expect(parts(buildTopRoadsOption(roads, 'zh', 18, 3)).names).toEqual(['道路r0', '道路r1', '道路r2']);
  });

  it('keeps the bars on the full 0–10 scale', () => {
    const option = buildTopRoadsOption([road('r1', 2)], 'zh', 18);
    expect(option.xAxis).toMatchObject({ min: 0, max: 10 });
  });

  it('draws no bars when no road has detectors reporting', () => {
    const { names, data } = parts(buildTopRoadsOption([], 'zh', 18));
    expect(names).toEqual([]);
    expect(data).toEqual([]);
  });
});
