// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { FeatureCollection } from 'geojson';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { CreateMapOptions } from '../../../../client/src/features/map/mapEngine';
import { useLiveStore } from '../../../../client/src/features/live/live.store';
import { FEED_INTERVAL_MS } from '../../../../client/src/features/map/useMapFeed';
import { alert, sensor, snapshot } from '../../live.fixtures';
import { fakeMapHandle, tinyPack } from './map.fixtures';

let handle: ReturnType<typeof fakeMapHandle>['handle'];
const createMap = vi.fn(async (_el: HTMLElement, _opts: CreateMapOptions) => handle);
vi.mock('../../../../client/src/features/map/mapEngine', () => ({
  createMap: (el: HTMLElement, opts: CreateMapOptions) => createMap(el, opts),
}));
vi.mock('../../../../client/src/features/map/basemap', () => ({
  loadBasemap: async () => ({ config: { map: { provider: 'maplibre' as const } }, pack: tinyPack() }),
}));

const { default: LiveMap } = await import('../../../../client/src/features/map/LiveMap.vue');

/** Let the map open and the feed run once. */
async function settle(): Promise<void> {
  await flushPromises();
  await new Promise((r) => setTimeout(r, FEED_INTERVAL_MS + 10));
  await flushPromises();
}

const lastData = (source: string) =>
  (handle.setData.mock.calls.filter(([id]) => id === source).at(-1)?.[1] ?? null) as FeatureCollection | null;

describe('LiveMap', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    const fake = fakeMapHandle();
    fake.load();
    handle = fake.handle;
    createMap.mockClear();
    useLiveStore().applySnapshot(
      snapshot({
        sensors: [{ ...sensor('s1', 'grid-event'), location: [120.105, 30.205] }],
        openAlerts: [alert('a1', { subject: { type: 'sensor', id: 's1' }, severity: 'red' })],
      }),
    );
  });

  it("puts the live store's sensors and alerts on the map", async () => {
    const w = mount(LiveMap, { attachTo: document.body });
    await settle();

    expect(lastData('sensors')?.features.map((f) => f.properties)).toEqual([
      { id: 's1', kind: 'grid-event', worst: 4 },
    ]);
    expect(lastData('alerts')?.features.map((f) => f.properties)).toEqual([{ id: 'a1', severity: 'red' }]);
    w.unmount();
  });

  it('switches the cell colouring in Chinese, with the legend of the chosen index', async () => {
    const w = mount(LiveMap, { attachTo: document.body });
    await settle();
    const aqi = w.get('[data-test="map-cells-aqi"]');

    expect(w.get('[data-test="map-cells-alerts"]').text()).toBe('最高告警');
    expect(w.get('[data-test="map-legend"]').text()).toContain('红色');
    await aqi.trigger('click');

    expect(aqi.attributes('aria-pressed')).toBe('true');
    expect(w.get('[data-test="map-cells-alerts"]').attributes('aria-pressed')).toBe('false');
    expect(w.get('[data-test="map-legend"]').text()).toContain('轻度污染');
    await w.get('[data-test="map-cells-congestion"]').trigger('click');
    expect(w.get('[data-test="map-legend"]').text()).toContain('严重拥堵');
    w.unmount();
  });

  it('flies to the district the wall switches to', async () => {
    const w = mount(LiveMap, { attachTo: document.body });
    await settle();

    useLiveStore().applySnapshot(snapshot({ scope: { kind: 'district', id: '330108' } }));
    await settle();

    expect(handle.fitBounds).toHaveBeenLastCalledWith(
      [120.2, 30.2, 120.2 + 0.1, 30.2 + 0.1],
      expect.anything(),
    );
    w.unmount();
  });

  it('beside an alert, centres on its site, always draws it, and leaves out the switches', async () => {
    const resolved = alert('gone', { state: 'resolved', severity: 'yellow', location: [120.15, 30.25] });
    const w = mount(LiveMap, { attachTo: document.body, props: { focusAlert: resolved } });
    await settle();

    expect(createMap.mock.calls[0]?.[1].center).toEqual({ lngLat: [120.15, 30.25], zoom: 14 });
    expect(
      lastData('alerts')
        ?.features.map((f) => f.properties?.['id'])
        .sort(),
    ).toEqual(['a1', 'gone']);
    expect(w.find('[data-test="map-cells-aqi"]').exists()).toBe(false);
    expect(w.find('[data-test="map-layer-labels"]').exists()).toBe(false);
    // The wall's scope is not followed by a map about one alert.
    useLiveStore().applySnapshot(snapshot({ scope: { kind: 'district', id: '330108' } }));
    await settle();
    expect(handle.fitBounds).not.toHaveBeenCalled();
    w.unmount();
  });
});
