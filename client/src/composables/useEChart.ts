import { init as echartsInit } from 'echarts/core';
import type { EChartsCoreOption, EChartsType } from 'echarts/core';
import { onBeforeUnmount, onMounted, watch } from 'vue';
import type { ShallowRef } from 'vue';

/**
 * An ECharts instance on the element `el` from mount to unmount: drawn with `option()`,
 * drawn again whenever what `option()` reads changes, resized with its element. Each
 * option is set with `notMerge`: callers rebuild it whole, and merging would keep stale
 * series, bars or axis bounds from the one before. The caller registers (`use`) the
 * ECharts parts its option needs. `init` is for tests; the default is ECharts' own.
 */
export function useEChart(
  el: Readonly<ShallowRef<HTMLElement | null>>,
  option: () => EChartsCoreOption,
  init: typeof echartsInit = echartsInit,
): void {
  let chart: EChartsType | null = null;
  let resizeObserver: ResizeObserver | null = null;

  onMounted(() => {
    if (!el.value) return;
    chart = init(el.value, undefined, { renderer: 'canvas' });
    chart.setOption(option(), { notMerge: true });
    resizeObserver = new ResizeObserver(() => chart?.resize());
    resizeObserver.observe(el.value);
  });

  watch(option, (next) => chart?.setOption(next, { notMerge: true }));

  onBeforeUnmount(() => {
    resizeObserver?.disconnect();
    chart?.dispose();
    chart = null;
  });
}
