import { describe, expect, it } from 'vitest';
import {
  barEndLabel,
  CHART_TEXT,
  gappedLineSeries,
  labelledGrid,
  remToPx,
  rowNamesAxis,
  shanghaiHourMinute,
} from '../../../../client/src/features/wall/chartStyle';
import { T0 } from '../../live.fixtures';

describe('chart style', () => {
  it('turns rem into px at the stage scale, to half a pixel', () => {
    expect(remToPx(1, 18)).toBe(18);
    expect(remToPx(0.8, 18)).toBe(14.5);
    expect(remToPx(1, 36)).toBe(36);
    expect(remToPx(1, 12.8)).toBe(13);
  });

  it('breaks a line where points are further apart than the gap and leaves out those before the start', () => {
    const points = [
      { t: 0, v: 1 },
      { t: 1_000, v: 2 },
      { t: 2_000, v: null },
      { t: 3_000, v: 4 },
      { t: 9_000, v: 5 },
    ];
    const series = gappedLineSeries(points, (p) => p.v, { start: 1_000, gapMs: 5_000 }, { areaStyle: {} });

    expect(series.data).toEqual([
      [1_000, 2],
      [2_000, null],
      [3_000, 4],
      [3_001, null],
      [9_000, 5],
    ]);
    expect(series).toMatchObject({ type: 'line', showSymbol: false, connectNulls: false, areaStyle: {} });
    expect(gappedLineSeries(points, (p) => p.v, { start: undefined, gapMs: 5_000 }, {}).data).toHaveLength(6);
  });

  it('names every row of a bar chart, cutting long names only when given a width', () => {
    const cut = rowNamesAxis(['西湖区', '滨江区'], 1, 18, 6);
    expect(cut).toMatchObject({ type: 'category', inverse: true, data: ['西湖区', '滨江区'] });
    expect(cut.axisLabel).toMatchObject({ color: CHART_TEXT, fontSize: 18, interval: 0, width: 108 });
    expect(cut.axisLabel.overflow).toBe('truncate');
    expect(rowNamesAxis(['西湖区'], 1, 18).axisLabel).not.toHaveProperty('width');
    expect(rowNamesAxis(['西湖区'], 1, 18).axisLabel).not.toHaveProperty('overflow');
  });

  it('sizes a labelled grid and a bar-end label in rem', () => {
    expect(labelledGrid({ left: 0.5, right: 2, top: 1, bottom: 0 }, 18)).toEqual({
      left: 9,
      right: 36,
      top: 18,
      bottom: 0,
      outerBoundsMode: 'same',
      outerBoundsContain: 'axisLabel',
    });
    expect(barEndLabel(0.8, 18)).toMatchObject({ show: true, position: 'right', fontSize: 14.5 });
  });

  it('reads the Asia/Shanghai clock whatever the zone of the PC (tests run in UTC)', () => {
    expect(shanghaiHourMinute(T0)).toBe('16:00');
    expect(shanghaiHourMinute(Date.UTC(2026, 10, 21, 16, 30))).toBe('00:30');
  });
});
