// @vitest-environment happy-dom
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { LayerSpecification, StyleSpecification } from 'maplibre-gl';

/**
 * A stand-in for both engines' Map: records what it was built with and asked to do, and lets the
 * test fire its events. (The real engines need WebGL; test/e2e/map.browser.test.ts runs maplibre.)
 */
class FakeMap {
  static built: FakeMap[] = [];
  readonly calls: unknown[][] = [];
  private readonly listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  readonly layers = new Set<string>(['road-line']);
  readonly canvas = document.createElement('canvas');
  source: Record<string, unknown> = {};

  constructor(
    readonly engine: 'maplibre' | 'mapbox',
    readonly options: Record<string, unknown>,
  ) {
    FakeMap.built.push(this);
  }
  private key(type: string, layer?: unknown) {
    return typeof layer === 'string' ? `${type}:${layer}` : type;
  }
  on(type: string, a: unknown, b?: unknown) {
    const [layer, fn] = typeof a === 'string' ? [a, b] : [undefined, a];
    const k = this.key(type, layer);
    if (!this.listeners.has(k)) this.listeners.set(k, new Set());
    this.listeners.get(k)!.add(fn as (...args: unknown[]) => void);
    return this;
  }
  once(type: string, fn: (...args: unknown[]) => void) {
    const wrapped = (...args: unknown[]) => {
      this.off(type, wrapped);
      fn(...args);
    };
    return this.on(type, wrapped);
  }
  off(type: string, a: unknown, b?: unknown) {
    const [layer, fn] = typeof a === 'string' ? [a, b] : [undefined, a];
    this.listeners.get(this.key(type, layer))?.delete(fn as (...args: unknown[]) => void);
    return this;
  }
  fire(type: string, event: unknown = {}, layer?: string) {
    for (const fn of [...(this.listeners.get(this.key(type, layer)) ?? [])]) fn(event);
  }
  getSource(id: string) {
    return this.source[id];
  }
  getLayer(id: string) {
    return this.layers.has(id) ? { id } : undefined;
  }
  getCanvas() {
    return this.canvas;
  }
  addSource(...args: unknown[]) {
    this.calls.push(['addSource', ...args]);
  }
  addLayer(...args: unknown[]) {
    this.calls.push(['addLayer', ...args]);
  }
  setLayoutProperty(...args: unknown[]) {
    this.calls.push(['setLayoutProperty', ...args]);
  }
  setPaintProperty(...args: unknown[]) {
    this.calls.push(['setPaintProperty', ...args]);
  }
  fitBounds(...args: unknown[]) {
    this.calls.push(['fitBounds', ...args]);
  }
  easeTo(...args: unknown[]) {
    this.calls.push(['easeTo', ...args]);
  }
  resize() {}
  remove() {
    this.calls.push(['remove']);
  }
}

const setWorkerUrl = vi.fn();
vi.mock('maplibre-gl', () => ({
  setWorkerUrl: (url: string) => setWorkerUrl(url),
  Map: class extends FakeMap {
    constructor(options: Record<string, unknown>) {
      super('maplibre', options);
    }
  },
}));
const mapboxLoaded = vi.fn();
vi.mock('mapbox-gl/esm', () => {
  mapboxLoaded();
  return {
    Map: class extends FakeMap {
      constructor(options: Record<string, unknown>) {
        super('mapbox', options);
      }
    },
  };
});

const { createMap } = await import('../../../../client/src/features/map/mapEngine');

const STYLE: StyleSpecification = { version: 8, sources: {}, layers: [] };
const OVERLAY_LAYERS: LayerSpecification[] = [
  { id: 'district-fill', type: 'fill', source: 'districts' },
  { id: 'district-label', type: 'symbol', source: 'districts' },
];
const BOUNDS = [120.0, 30.07, 120.41, 30.4] as const;

function options(provider: Parameters<typeof createMap>[1]['provider']) {
  return {
    provider,
    bounds: BOUNDS,
    padding: 24,
    offlineStyle: vi.fn(() => STYLE),
    mapboxOverlay: vi.fn(() => ({
      sources: {
        districts: { type: 'geojson' as const, data: { type: 'FeatureCollection' as const, features: [] } },
      },
      layers: OVERLAY_LAYERS,
    })),
  };
}

function lastMap(): FakeMap {
  const map = FakeMap.built.at(-1);
  if (!map) throw new Error('no map was built');
  return map;
}

describe('createMap', () => {
  beforeEach(() => {
    FakeMap.built = [];
  });

  it("wires maplibre's worker to the module file the build ships", () => {
    expect(setWorkerUrl).toHaveBeenCalledTimes(1);
    expect(setWorkerUrl.mock.calls[0]?.[0]).toMatch(/maplibre-gl-worker\.mjs$/);
  });

  it('opens maplibre with the offline style, fitted to the city, flat, with no local glyph fallback', async () => {
    const opts = options({ provider: 'maplibre' });
    const handle = await createMap(document.createElement('div'), opts);
    const map = lastMap();

    expect(handle.provider).toBe('maplibre');
    expect(map.engine).toBe('maplibre');
    expect(map.options).toMatchObject({
      style: STYLE,
      bounds: [
        [120.0, 30.07],
        [120.41, 30.4],
      ],
      fitBoundsOptions: { padding: 24 },
      localIdeographFontFamily: false,
      dragRotate: false,
      maxPitch: 0,
    });
    expect(opts.mapboxOverlay).not.toHaveBeenCalled();
    expect(mapboxLoaded).not.toHaveBeenCalled();
  });

  it('opens mapbox with the token and the Mapbox style, and adds the overlay once the style is in', async () => {
    const opts = options({ provider: 'mapbox', token: 'pk.test', style: 'mapbox://styles/mapbox/dark-v11' });
    const handle = await createMap(document.createElement('div'), opts);
    const map = lastMap();

    expect(map.engine).toBe('mapbox');
    expect(map.options).toMatchObject({ accessToken: 'pk.test', style: 'mapbox://styles/mapbox/dark-v11' });
    expect(opts.offlineStyle).not.toHaveBeenCalled();
    expect(map.calls).toEqual([]);

    map.fire('load');
    await handle.loaded;

    expect(map.calls.map((c) => [c[0], (c[1] as { id?: string }).id ?? c[1]])).toEqual([
      ['addSource', 'districts'],
      ['addLayer', 'district-fill'],
      ['addLayer', 'district-label'],
    ]);
  });

  it('fails to load when the map reports an error before its style is in', async () => {
    const handle = await createMap(document.createElement('div'), options({ provider: 'maplibre' }));

    lastMap().fire('error', { error: { message: 'style is broken' } });

    await expect(handle.loaded).rejects.toThrow('style is broken');
  });

  it("zooms in on a cluster to its expansion zoom, from maplibre's promise or mapbox's callback", async () => {
    const libre = await createMap(document.createElement('div'), options({ provider: 'maplibre' }));
    lastMap().source['sensors'] = { getClusterExpansionZoom: () => Promise.resolve(13) };
    await libre.zoomToCluster('sensors', 7, [120.1, 30.2]);
    expect(lastMap().calls).toContainEqual(['easeTo', { center: [120.1, 30.2], zoom: 13 }]);

    const box = await createMap(
      document.createElement('div'),
      options({ provider: 'mapbox', token: 'pk.test', style: 'mapbox://styles/mapbox/dark-v11' }),
    );
    lastMap().source['sensors'] = {
      getClusterExpansionZoom: (_id: number, cb: (err: Error | null, zoom: number) => void) => cb(null, 15),
    };
    await box.zoomToCluster('sensors', 7, [120.1, 30.2]);
    expect(lastMap().calls).toContainEqual(['easeTo', { center: [120.1, 30.2], zoom: 15 }]);
  });

  it('hands a click on a layer its topmost feature, until unsubscribed', async () => {
    const handle = await createMap(document.createElement('div'), options({ provider: 'maplibre' }));
    const clicked: unknown[] = [];
    const off = handle.onClick('sensor-cluster', (f) => clicked.push(f.properties));
    const map = lastMap();

    map.fire(
      'click',
      { features: [{ properties: { cluster_id: 1 } }, { properties: { cluster_id: 2 } }] },
      'sensor-cluster',
    );
    map.fire('click', { features: [] }, 'sensor-cluster');
    off();
    map.fire('click', { features: [{ properties: { cluster_id: 3 } }] }, 'sensor-cluster');

    expect(clicked).toEqual([{ cluster_id: 1 }]);
  });

  it('tells a move by a person from a move by code', async () => {
    const handle = await createMap(document.createElement('div'), options({ provider: 'maplibre' }));
    let moves = 0;
    handle.onUserMove(() => moves++);

    lastMap().fire('movestart', {});
    lastMap().fire('movestart', { originalEvent: new Event('mousedown') });

    expect(moves).toBe(1);
  });

  it('switches a layer on and off, and leaves layers the map does not have alone', async () => {
    const handle = await createMap(document.createElement('div'), options({ provider: 'maplibre' }));

    handle.setLayerVisible('road-line', false);
    handle.setLayerVisible('road-line', true);
    handle.setLayerVisible('no-such-layer', false);

    expect(lastMap().calls).toEqual([
      ['setLayoutProperty', 'road-line', 'visibility', 'none'],
      ['setLayoutProperty', 'road-line', 'visibility', 'visible'],
    ]);
  });
});
