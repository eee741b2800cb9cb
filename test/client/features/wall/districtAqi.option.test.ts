import { describe, expect, it } from 'vitest';
import {
  aqiAxisMax,
  buildDistrictAqiOption,
  pollutantLabel,
} from '../../../../client/src/features/wall/districtAqi.option';
import { districtAir } from '../vitals/vitals.fixtures';

function parts(option: ReturnType<typeof buildDistrictAqiOption>) {
  const series = Array.isArray(option.series) ? option.series[0] : option.series;
  const yAxis = Array.isArray(option.yAxis) ? option.yAxis[0] : option.yAxis;
  const xAxis = Array.isArray(option.xAxis) ? option.xAxis[0] : option.xAxis;
  if (!series || series.type !== 'bar' || !yAxis || !xAxis) throw new Error('unexpected option');
  return {
    names: (yAxis as { data: string[] }).data,
    max: (xAxis as { max: number }).max,
    data: series.data as { value: number; itemStyle?: { color: string }; label: { formatter: string } }[],
  };
}

describe('buildDistrictAqiOption', () => {
  it('draws each district in the order given, coloured by the level colour the server sent', () => {
    const districts = [districtAir('330102', 42), districtAir('330106', 128, ['pm25'])];
    const { names, data } = parts(buildDistrictAqiOption(districts, 'zh', 18, '无数据'));
    expect(names).toEqual(['区330102', '区330106']);
    expect(data.map((d) => d.value)).toEqual([42, 128]);
    expect(data.map((d) => d.itemStyle?.color)).toEqual(['#00e400', '#ff7e00']);
  });

  it('labels a bar with the AQI, the category and the primary pollutant (none at 50 or below)', () => {
    const districts = [districtAir('330102', 42), districtAir('330106', 128, ['pm25', 'o3'])];
    const { data } = parts(buildDistrictAqiOption(districts, 'zh', 18, '无数据'));
    expect(data.map((d) => d.label.formatter)).toEqual(['42 优', '128 轻度污染 · PM2.5/O₃']);
  });

  it('names districts and categories in English when asked', () => {
    const { names, data } = parts(
      buildDistrictAqiOption([districtAir('330106', 60, ['pm10'])], 'en', 18, 'No data'),
    );
    expect(names).toEqual(['District 330106']);
    expect(data[0]?.label.formatter).toBe('60 Moderate · PM10');
  });

  it('keeps the row of a district without fresh readings, with no bar and a no-data label', () => {
    const { names, data } = parts(
      buildDistrictAqiOption([districtAir('330102', null), districtAir('330106', 30)], 'zh', 18, '无数据'),
    );
    expect(names).toHaveLength(2);
    expect(data[0]).toMatchObject({ value: 0, label: { formatter: '无数据' } });
  });

  it('scales the axis to the worst district, in steps of 50 from 100', () => {
    expect(aqiAxisMax([])).toBe(100);
    expect(aqiAxisMax([42, 78])).toBe(100);
    expect(aqiAxisMax([100])).toBe(150);
    expect(aqiAxisMax([301])).toBe(350);
    expect(parts(buildDistrictAqiOption([], 'zh', 18, '无数据'))).toEqual({ names: [], max: 100, data: [] });
  });

  it('writes pollutants in chemical notation and joins ties', () => {
    expect(pollutantLabel([])).toBe('');
    expect(pollutantLabel(['no2'])).toBe('NO₂');
    expect(pollutantLabel(['pm10', 'so2', 'co'])).toBe('PM10/SO₂/CO');
  });
});
