// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import type { EChartsCoreOption, init } from 'echarts/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h, ref, useTemplateRef } from 'vue';
import { useEChart } from '../../../client/src/composables/useEChart';

// ECharts' canvas renderer needs a 2D context, which happy-dom does not have: a fake chart stands in.
function fakeChart() {
  return { setOption: vi.fn(), resize: vi.fn(), dispose: vi.fn() };
}

let observed: { callback: ResizeObserverCallback; target: Element | null; disconnect: () => void }[];

beforeEach(() => {
  observed = [];
  vi.stubGlobal(
    'ResizeObserver',
    class {
      private readonly entry: (typeof observed)[number];
      constructor(callback: ResizeObserverCallback) {
        this.entry = { callback, target: null, disconnect: vi.fn() };
        observed.push(this.entry);
      }
      observe(target: Element): void {
        this.entry.target = target;
      }
      disconnect(): void {
        this.entry.disconnect();
      }
    },
  );
});
afterEach(() => vi.unstubAllGlobals());

function mountChart(option: () => EChartsCoreOption) {
  const chart = fakeChart();
  const initChart = vi.fn(() => chart) as unknown as typeof init;
  const Host = defineComponent({
    setup() {
      const el = useTemplateRef<HTMLDivElement>('el');
      useEChart(el, option, initChart);
      return () => h('div', { ref: 'el', class: 'chart' });
    },
  });
  const wrapper = mount(Host);
  return { wrapper, chart, initChart };
}

describe('useEChart', () => {
  it('starts a canvas chart on the element when mounted and draws the option whole', () => {
    const { wrapper, chart, initChart } = mountChart(() => ({ series: [{ data: [1] }] }));

    expect(initChart).toHaveBeenCalledExactlyOnceWith(wrapper.element, undefined, { renderer: 'canvas' });
    expect(chart.setOption).toHaveBeenCalledExactlyOnceWith({ series: [{ data: [1] }] }, { notMerge: true });
  });

  it('draws again, not merged, when what the option reads changes', async () => {
    const data = ref([1]);
    const { wrapper, chart } = mountChart(() => ({ series: [{ data: data.value }] }));

    data.value = [1, 2];
    await wrapper.vm.$nextTick();

    expect(chart.setOption).toHaveBeenCalledTimes(2);
    expect(chart.setOption).toHaveBeenLastCalledWith({ series: [{ data: [1, 2] }] }, { notMerge: true });
  });

  it('resizes the chart when its element is resized', () => {
    const { wrapper, chart } = mountChart(() => ({}));

    expect(observed).toHaveLength(1);
    expect(observed[0]?.target).toBe(wrapper.element);
    observed[0]?.callback([], {} as ResizeObserver);

    expect(chart.resize).toHaveBeenCalledOnce();
  });

  it('stops observing and disposes of the chart when unmounted, and draws no more', async () => {
    const data = ref(1);
    const { wrapper, chart } = mountChart(() => ({ series: [{ data: [data.value] }] }));

    wrapper.unmount();
    data.value = 2;
    await Promise.resolve();

    expect(observed[0]?.disconnect).toHaveBeenCalledOnce();
    expect(chart.dispose).toHaveBeenCalledOnce();
    expect(chart.setOption).toHaveBeenCalledOnce();
  });
});
