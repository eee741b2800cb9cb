import { createExpression, featureFilter, type FilterSpecification } from '@maplibre/maplibre-gl-style-spec';
import { vi } from 'vitest';
import type { MapFeature, MapHandle } from '../../../../client/src/features/map/mapEngine';
import type { BasemapPack } from '../../../../client/src/features/map/offlineStyle';

/** A square as GeoJSON polygon coordinates, [lng, lat] corner and edge in degrees. */
function square(lng: number, lat: number, edge: number): [number, number][][] {
  return [
    [
      [lng, lat],
      [lng + edge, lat],
      [lng + edge, lat + edge],
      [lng, lat + edge],
      [lng, lat],
    ],
  ];
}

/** Two districts, two cells and one road of each class, the way the server's city pack serves them. */
export function tinyPack(): BasemapPack {
  return {
    meta: {
      id: 'hangzhou',
      name: { zh: '杭州市', en: 'Hangzhou' },
      adcode: '330100',
      center: [120.17, 30.27],
      zoom: 11,
      bbox: [120.1, 30.2, 120.3, 30.35],
      timezone: 'Asia/Shanghai',
      coordinateSystem: 'GCJ-02',
      sources: [{ what: 'outlines', name: 'test', licence: 'MIT' }],
      cellSizeM: 1000,
    },
    districts: [
      {
        id: '330106',
        name: { zh: '西湖区', en: 'Xihu' },
        polygon: [square(120.1, 30.2, 0.1)],
        centroid: [120.15, 30.25],
        areaKm2: 100,
      },
      {
        id: '330108',
        name: { zh: '滨江区', en: 'Binjiang' },
        polygon: [square(120.2, 30.2, 0.1)],
        centroid: [120.25, 30.25],
        areaKm2: 80,
      },
    ],
    gridCells: [
      {
        id: '330106001001001',
        districtId: '330106',
        streetCode: '330106001',
        communityCode: '330106001001',
        name: { zh: '网格一', en: 'Cell 1' },
        streetName: { zh: '北山街道', en: 'Beishan' },
        communityName: { zh: '社区一', en: 'Community 1' },
        polygon: square(120.1, 30.2, 0.01),
        centroid: [120.105, 30.205],
        areaM2: 1_000_000,
      },
      {
        id: '330108001001001',
        districtId: '330108',
        streetCode: '330108001',
        communityCode: '330108001001',
        name: { zh: '网格二', en: 'Cell 2' },
        streetName: { zh: '西兴街道', en: 'Xixing' },
        communityName: { zh: '社区二', en: 'Community 2' },
        polygon: square(120.2, 30.2, 0.01),
        centroid: [120.205, 30.205],
        areaM2: 1_000_000,
      },
    ],
    roads: [
      {
        id: 'road-zhonghe',
        name: { zh: '中河高架', en: 'Zhonghe Elevated Road' },
        class: 'expressway',
        coordinates: [
          [120.17, 30.28],
          [120.17, 30.22],
        ],
      },
      {
        id: 'road-yanan',
        name: { zh: '延安路', en: 'Yan’an Road' },
        class: 'arterial',
        coordinates: [
          [120.16, 30.28],
          [120.16, 30.22],
        ],
      },
      {
        id: 'road-nanshan',
        name: { zh: '南山路', en: 'Nanshan Road' },
        class: 'secondary',
        coordinates: [
          [120.15, 30.26],
          [120.155, 30.24],
        ],
      },
    ],
  };
}

/**
 * Evaluate a style expression for one feature at `zoom`, as maplibre would when drawing it (the
 * style spec package is maplibre-gl's own dependency).
 */
export function evaluate(expression: unknown, properties: Record<string, unknown>, zoom = 10): unknown {
  const parsed = createExpression(expression, 'test');
  if (parsed.result !== 'success') throw new Error(`bad expression: ${JSON.stringify(parsed.value)}`);
  return parsed.value.evaluate({ zoom }, { type: 'Point', properties });
}

/** Whether a layer filter lets a feature with `properties` through. */
export function passes(
  filter: FilterSpecification | undefined,
  properties: Record<string, unknown>,
): boolean {
  return featureFilter(filter, 'test').filter({ zoom: 10 }, { type: 1, properties });
}

/**
 * A map handle for MapView's `createMap` to return, recording what it is asked. The test opens
 * the map (`load`: until then `loaded` is pending), fires its first idle and clicks on a layer.
 */
export function fakeMapHandle() {
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
    centerOn: vi.fn(),
    zoomToCluster: vi.fn(() => Promise.resolve()),
    onClick: vi.fn((layer: string, fn: (f: MapFeature) => void) => {
      clicks.set(layer, fn);
      return () => clicks.delete(layer);
    }),
    onUserMove: vi.fn(() => () => undefined),
    onMove: vi.fn(() => () => undefined),
    project: vi.fn(([lng, lat]: [number, number]) => ({ x: lng, y: lat })),
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
