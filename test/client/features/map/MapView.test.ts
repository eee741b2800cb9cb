// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { FeatureCollection } from 'geojson';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CreateMapOptions, MapFeature, MapHandle } from '../../../../client/src/features/map/mapEngine';
import type { MapViewApi } from '../../../../client/src/features/map/mapView.types';
import { tinyPack } from './map.fixtures';

/** The map handle MapView gets, recording what it is asked; the test fires idle and clicks. */
function fakeHandle() {
  let idle: (() => void) | null = null;
  const clicks = new Map<string, (f: MapFeature) => void>();
  let resolveLoaded!: () => void;
  const handle = {
    provider: 'maplibre' as const,
    loaded: new Promise<void>((r) => (resolveLoaded = r)),
    setData: vi.fn(),
    setLayerVisible: vi.fn(),
    setPaintProperty: vi.fn(),
    setLayoutProperty: vi.fn(),
    fitBounds: vi.fn(),
    zoomToCluster: vi.fn(() => Promise.resolve()),
    onClick: vi.fn((layer: string, fn: (f: MapFeature) => void) => {
      clicks.set(layer, fn);
      return () => clicks.delete(layer);
    }),
    onUserMove: vi.fn(() => () => undefined),
    onIdle: vi.fn((fn: () => void) => {
      idle = fn;
      return () => (idle = null);
    }),
    resize: vi.fn(),
    remove: vi.fn(),
  } satisfies MapHandle;
  return {
    handle,
    load: () => resolveLoaded(),
    fireIdle: () => idle?.(),
    click: (layer: string, feature: Partial<MapFeature>) => clicks.get(layer)?.(feature as MapFeature),
  };
}

let fake: ReturnType<typeof fakeHandle>;
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
    fake = fakeHandle();
    createMap.mockClear();
    loadBasemap.mockClear();
  });
  afterEach(() => {
    vi.useRealTimers();
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
    expect(fake.handle.setPaintProperty).toHaveBeenCalledWith(
      'alert-halo-red',
      'circle-radius',
      expect.any(Number),
    );

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

  it('removes the map when it goes away', async () => {
    const w = await openMap();

    w.unmount();

    expect(fake.handle.remove).toHaveBeenCalled();
  });
});
