// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { FeatureCollection } from 'geojson';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CreateMapOptions } from '../../../../client/src/features/map/mapEngine';
import type { MapViewApi } from '../../../../client/src/features/map/mapView.types';
import { fakeMapHandle, tinyPack } from './map.fixtures';

let fake: ReturnType<typeof fakeMapHandle>;
const createMap = vi.fn(async (_el: HTMLElement, _opts: CreateMapOptions) => fake.handle);
const loadBasemap = vi.fn(async () => ({
  config: { map: { provider: 'maplibre' as const } },
  pack: tinyPack(),
}));
vi.mock('../../../../client/src/features/map/mapEngine', () => ({
  createMap: (el: HTMLElement, opts: CreateMapOptions) => createMap(el, opts),
}));
vi.mock('../../../../client/src/features/map/basemap', () => ({ loadBasemap: () => loadBasemap() }));

const { default: MapView } = await import('../../../../client/src/features/map/MapView.vue');

const points = (n: number): FeatureCollection => ({
  type: 'FeatureCollection',
  features: Array.from({ length: n }, (_, i) => ({
    type: 'Feature',
    properties: { id: `S-${i}`, worst: 0 },
    geometry: { type: 'Point', coordinates: [120.1, 30.2] },
  })),
});

describe('MapView', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    fake = fakeMapHandle();
    createMap.mockClear();
    loadBasemap.mockClear();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  async function openMap() {
    const w = mount(MapView, { attachTo: document.body });
    await flushPromises();
    fake.load();
    await flushPromises();
    return w;
  }

  it("opens the map fitted to the city's bounds, with the base map and the live layers in its style", async () => {
    const w = await openMap();
    const opts = createMap.mock.calls[0]?.[1];

    expect(opts?.provider).toEqual({ provider: 'maplibre' });
    expect(opts?.bounds).toEqual(tinyPack().meta.bbox);
    const ids = opts?.offlineStyle().layers.map((l) => l.id) ?? [];
    expect(ids).toContain('district-label');
    expect(ids).toContain('sensor-cluster');
    expect(ids).toContain('alert-halo-red');
    w.unmount();
  });

  it('says it is ready only once the map has drawn everything', async () => {
    const w = await openMap();
    const root = w.get('[data-test="map"]');

    expect(root.attributes('data-map-ready')).toBeUndefined();
    fake.fireIdle();
    await flushPromises();
    expect(root.attributes('data-map-ready')).toBe('true');
    expect(root.attributes('data-map-provider')).toBe('maplibre');
    w.unmount();
  });

  it('keeps data fed before the map is ready and applies it once it is', async () => {
    const w = mount(MapView, { attachTo: document.body });
    const api = w.vm as unknown as MapViewApi;

    api.setSource('sensors', points(3));
    await flushPromises();
    expect(fake.handle.setData).not.toHaveBeenCalled();
    fake.load();
    await flushPromises();

    expect(fake.handle.setData).toHaveBeenCalledWith('sensors', points(3));
    w.unmount();
  });

  it('applies at most a few updates a second to one source', async () => {
    const w = await openMap();
    const api = w.vm as unknown as MapViewApi;
    vi.useFakeTimers();

    for (let i = 1; i <= 20; i++) {
      api.setSource('sensors', points(i));
      vi.advanceTimersByTime(50);
    }
    vi.advanceTimersByTime(1_000);

    const calls = fake.handle.setData.mock.calls;
    expect(calls.length).toBeLessThanOrEqual(5);
    expect(calls.at(-1)).toEqual(['sensors', points(20)]);
    w.unmount();
  });

  it('colours cells through their outlines from the pack', async () => {
    const w = await openMap();
    const [, binjiang] = tinyPack().gridCells;

    (w.vm as unknown as MapViewApi).setCellStatus(new Map([[binjiang!.id, { severity: 'yellow' as const }]]));

    const [source, data] = fake.handle.setData.mock.calls.at(-1) as [string, FeatureCollection];
    expect(source).toBe('cell-status');
    expect(data.features.map((f) => f.properties)).toEqual([{ id: binjiang!.id, severity: 'yellow' }]);
    w.unmount();
  });

  it('hides the names with the labels toggle and shows them again', async () => {
    const w = await openMap();
    const button = w.get('[data-test="map-layer-labels"]');
    expect(button.attributes('aria-pressed')).toBe('true');

    await button.trigger('click');
    expect(button.attributes('aria-pressed')).toBe('false');
    expect(fake.handle.setLayerVisible).toHaveBeenCalledWith('district-label', false);
    expect(fake.handle.setLayerVisible).toHaveBeenCalledWith('road-label', false);
    expect(fake.handle.setLayerVisible).not.toHaveBeenCalledWith('road-line', false);

    fake.handle.setLayerVisible.mockClear();
    await button.trigger('click');
    expect(fake.handle.setLayerVisible).toHaveBeenCalledWith('district-label', true);
    w.unmount();
  });

  it('zooms in on a sensor cluster that is clicked', async () => {
    const w = await openMap();

    fake.click('sensor-cluster', {
      properties: { cluster_id: 42, point_count: 17 },
      geometry: { type: 'Point', coordinates: [120.2, 30.25] },
    });

    expect(fake.handle.zoomToCluster).toHaveBeenCalledWith('sensors', 42, [120.2, 30.25]);
    w.unmount();
  });

  it('pulses the alert halos only while there are alerts to show', async () => {
    const arcs: number[][] = [];
    const ctx = {
      setTransform: vi.fn(),
      clearRect: vi.fn(),
      beginPath: vi.fn(),
      arc: vi.fn((...a: number[]) => arcs.push(a)),
      fill: vi.fn(),
      globalAlpha: 1,
      fillStyle: '',
    };
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(function (
      this: HTMLCanvasElement,
    ) {
      return Object.assign(ctx, { canvas: this }) as unknown as CanvasRenderingContext2D;
    } as never);
    vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(800);
    vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(600);
    const w = await openMap();
    const frames: FrameRequestCallback[] = [];
    vi.stubGlobal('requestAnimationFrame', (cb: FrameRequestCallback) => frames.push(cb));
    vi.stubGlobal('cancelAnimationFrame', () => frames.splice(0));
    const api = w.vm as unknown as MapViewApi;

    expect(frames).toHaveLength(0);
    api.setSource('alerts', {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: { id: 'A1', severity: 'red' },
          geometry: { type: 'Point', coordinates: [120.1, 30.2] },
        },
      ],
    });
    expect(frames).toHaveLength(1);
    frames.shift()?.(1_000);
    // The pulse is drawn over the map (pulseOverlay.ts): the alert is placed, the map not repainted.
    expect(fake.handle.project).toHaveBeenCalledWith([120.1, 30.2]);
    expect(arcs.length).toBe(1);
    // Drawn where the map puts it (the fake projects lng/lat straight to x/y).
    expect(arcs[0]?.slice(0, 2)).toEqual([120.1, 30.2]);
    expect(fake.handle.setPaintProperty).not.toHaveBeenCalled();

    api.setLayerGroup('alerts', false);
    expect(frames).toHaveLength(0);

    w.unmount();
    vi.unstubAllGlobals();
  });

  it('shows that the map failed when the city cannot be loaded', async () => {
    loadBasemap.mockRejectedValueOnce(new Error('network'));
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const w = mount(MapView);
    await flushPromises();

    expect(w.find('[data-test="map-failed"]').exists()).toBe(true);
    expect(createMap).not.toHaveBeenCalled();
    error.mockRestore();
    w.unmount();
  });

  it("flies to a district's or a cell's outline when focused, and back to the city", async () => {
    const w = await openMap();
    const api = w.vm as unknown as MapViewApi;
    const [, cell] = tinyPack().gridCells;

    api.focus({ kind: 'district', id: '330106' });
    expect(fake.handle.fitBounds).toHaveBeenLastCalledWith([120.1, 30.2, 120.1 + 0.1, 30.2 + 0.1], {
      padding: expect.any(Number),
      animate: true,
    });
    api.focus({ kind: 'cell', id: cell!.id });
    expect(fake.handle.fitBounds).toHaveBeenLastCalledWith(
      [120.2, 30.2, 120.2 + 0.01, 30.2 + 0.01],
      expect.anything(),
    );
    api.focus({ kind: 'city' });
    expect(fake.handle.fitBounds).toHaveBeenLastCalledWith(tinyPack().meta.bbox, expect.anything());
    // A district outside the caller's reach (not in the pack) shows the city.
    api.focus({ kind: 'district', id: '330199' });
    expect(fake.handle.fitBounds).toHaveBeenLastCalledWith(tinyPack().meta.bbox, expect.anything());
    w.unmount();
  });

  it('opens on a scope it was asked to focus before the map was ready', async () => {
    const w = mount(MapView, { attachTo: document.body });
    (w.vm as unknown as MapViewApi).focus({ kind: 'district', id: '330108' });
    await flushPromises();
    fake.load();
    await flushPromises();

    expect(createMap.mock.calls[0]?.[1].bounds).toEqual([120.2, 30.2, 120.2 + 0.1, 30.2 + 0.1]);
    expect(fake.handle.fitBounds).toHaveBeenLastCalledWith([120.2, 30.2, 120.2 + 0.1, 30.2 + 0.1], {
      padding: expect.any(Number),
      animate: false,
    });
    w.unmount();
  });

  it('opens centred on a focus point, without toggles, and follows the point when it changes', async () => {
    const w = mount(MapView, {
      attachTo: document.body,
      props: { focusPoint: [120.15, 30.25], controls: false },
    });
    await flushPromises();
    fake.load();
    await flushPromises();

    expect(createMap.mock.calls[0]?.[1].center).toEqual({ lngLat: [120.15, 30.25], zoom: 15 });
    expect(fake.handle.centerOn).toHaveBeenLastCalledWith([120.15, 30.25], 15, { animate: false });
    expect(w.find('[data-test="map-layer-labels"]').exists()).toBe(false);

    await w.setProps({ focusPoint: [120.16, 30.26] });
    expect(fake.handle.centerOn).toHaveBeenLastCalledWith([120.16, 30.26], 15, { animate: true });
    w.unmount();
  });

  it('colours cells given before the city was loaded, and through their district', async () => {
    const w = mount(MapView, { attachTo: document.body });
    const [xihu, binjiang] = tinyPack().gridCells;
    (w.vm as unknown as MapViewApi).setCellStatus(
      new Map([[xihu!.id, { color: '#ff0000' }]]),
      new Map([[binjiang!.districtId, { color: '#00ff00' }]]),
    );
    await flushPromises();
    fake.load();
    await flushPromises();

    const [source, data] = fake.handle.setData.mock.calls.at(-1) as [string, FeatureCollection];
    expect(source).toBe('cell-status');
    expect(data.features.map((f) => f.properties)).toEqual([
      { id: xihu!.id, color: '#ff0000' },
      { id: binjiang!.id, color: '#00ff00' },
    ]);
    w.unmount();
  });

  it('says how many features each live source holds once they are on the map', async () => {
    const w = mount(MapView, { attachTo: document.body });
    const api = w.vm as unknown as MapViewApi;
    api.setSource('sensors', points(3));
    await flushPromises();
    const root = w.get('[data-test="map"]');
    expect(root.attributes('data-source-sensors')).toBeUndefined();

    fake.load();
    await flushPromises();
    expect(root.attributes('data-source-sensors')).toBe('3');

    vi.useFakeTimers();
    api.setSource('sensors', points(5));
    vi.advanceTimersByTime(1_000);
    await flushPromises();
    expect(root.attributes('data-source-sensors')).toBe('5');
    w.unmount();
  });

  it('removes the map when it goes away', async () => {
    const w = await openMap();

    w.unmount();

    expect(fake.handle.remove).toHaveBeenCalled();
  });
});
