import { describe, expect, it } from 'vitest';
import { CHART_DANGER, CHART_OK, CHART_WARN } from '../../../../client/src/features/wall/chartStyle';
import { buildOnlineRingOption, onlineColor } from '../../../../client/src/features/wall/onlineRing.option';

function gauge(option: ReturnType<typeof buildOnlineRingOption>) {
  const series = option.series;
  const s = Array.isArray(series) ? series[0] : series;
  if (!s || s.type !== 'gauge') throw new Error('no gauge');
  return s;
}
const detail = (o: ReturnType<typeof buildOnlineRingOption>): string =>
  (gauge(o).detail?.formatter as () => string)();

describe('buildOnlineRingOption', () => {
  it('fills the ring to the share online and prints it to one decimal, rounded down', () => {
    const o = buildOnlineRingOption(97.25, 18);
    expect(gauge(o).data).toEqual([{ value: 97.25 }]);
    expect(detail(o)).toBe('97.2%');
    expect(gauge(o).progress?.itemStyle?.color).toBe(CHART_OK);
  });

  it('prints a full network as 100%, which fits in the ring, and never rounds up to it', () => {
    expect(detail(buildOnlineRingOption(100, 18))).toBe('100%');
    expect(detail(buildOnlineRingOption(100.4, 18))).toBe('100%');
    expect(detail(buildOnlineRingOption(99.96, 18))).toBe('99.9%');
  });

  it('colours the ring amber, then red, as sensors drop out', () => {
    expect(onlineColor(95)).toBe(CHART_OK);
    expect(onlineColor(94.9)).toBe(CHART_WARN);
    expect(onlineColor(80)).toBe(CHART_WARN);
    expect(onlineColor(79.9)).toBe(CHART_DANGER);
    expect(gauge(buildOnlineRingOption(12, 18)).progress?.itemStyle?.color).toBe(CHART_DANGER);
  });

  it('shows a dash and an empty ring when there is no figure', () => {
    const o = buildOnlineRingOption(null, 18);
    expect(detail(o)).toBe('—');
    expect(gauge(o).data).toEqual([{ value: 0 }]);
    expect(gauge(o).progress?.itemStyle?.color).toBe('transparent');
  });

  it('scales its text with the stage', () => {
    expect(gauge(buildOnlineRingOption(50, 18)).detail?.fontSize).toBe(20);
    expect(gauge(buildOnlineRingOption(50, 36)).detail?.fontSize).toBe(39.5);
  });
});
