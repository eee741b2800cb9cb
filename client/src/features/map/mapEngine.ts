/**
 * The one map engine of CityOps, behind a thin typed handle over the mapbox-gl API.
 *
 * - maplibre-gl (default): the whole style is built offline from the city pack (./offlineStyle.ts);
 *   the map never leaves this origin. The worker is the package's own ES module file, copied by
 *   Vite as an asset (without `setWorkerUrl` a built app never loads a tile).
 * - mapbox-gl v3, only when the server hands out a Mapbox access token (`GET /api/v1/client-config`):
 *   the Mapbox style is the base and the same overlay (districts, cells, roads, live layers) is
 *   added on top. It is imported on demand, so an offline deployment never downloads it. Its ES
 *   module build (`mapbox-gl/esm`, whose worker Vite bundles from `new URL(…, import.meta.url)`) is
 *   used rather than the UMD one: the UMD build's CommonJS interop helpers would land in the shared
 *   bundler-runtime chunk that every page, the worker app's too, loads first.
 *
 * This module is only reached through MapView.vue, which the wall loads as an async component: the
 * worker app and the wall's first paint never carry map code.
 */
import * as maplibregl from 'maplibre-gl';
import type {
  AllLayoutProperties,
  AllPaintProperties,
  ErrorEvent,
  GeoJSONSource,
  GeoJSONSourceSpecification,
  LayerSpecification,
  Map as MaplibreMap,
  MapGeoJSONFeature,
  StyleSpecification,
} from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import type { FeatureCollection } from 'geojson';
import type { MapProviderConfig } from '@shared/schemas/clientConfig.schema';

maplibregl.setWorkerUrl(workerUrl);

/** [minLng, minLat, maxLng, maxLat] */
export type Bbox = readonly [number, number, number, number];

/** What a Mapbox map draws over its own style: sources and layers in drawing order. */
export interface MapOverlay {
  sources: Record<string, GeoJSONSourceSpecification>;
  layers: LayerSpecification[];
}

export interface CreateMapOptions {
  provider: MapProviderConfig;
  /** Fitted when the map opens (unless `center` is given). */
  bounds: Bbox;
  /** Open centred here at `zoom` instead of fitting `bounds`. */
  center?: { lngLat: [number, number]; zoom: number };
  /** Room kept around `bounds` when fitting, px. */
  padding?: number;
  /** The complete style for the offline engine (called only for maplibre). */
  offlineStyle: () => StyleSpecification;
  /** The overlay on a Mapbox style, with fonts the Mapbox style serves (called only for mapbox). */
  mapboxOverlay: () => MapOverlay;
}

/** A rendered feature handed to a click handler. */
export type MapFeature = Pick<MapGeoJSONFeature, 'properties' | 'geometry' | 'layer'>;

/** The operations CityOps uses, the same on both engines. */
export interface MapHandle {
  readonly provider: MapProviderConfig['provider'];
  /** Resolves once the style and every overlay layer are on the map (rejects on a style error). */
  readonly loaded: Promise<void>;
  /** Replace the data of a GeoJSON source (callers batch: see ./batcher.ts). */
  setData(sourceId: string, data: FeatureCollection): void;
  setLayerVisible(layerId: string, visible: boolean): void;
  setPaintProperty<K extends keyof AllPaintProperties>(
    layerId: string,
    name: K,
    value: AllPaintProperties[K],
  ): void;
  setLayoutProperty<K extends keyof AllLayoutProperties>(
    layerId: string,
    name: K,
    value: AllLayoutProperties[K],
  ): void;
  fitBounds(bounds: Bbox, options?: { padding?: number; animate?: boolean }): void;
  /** Centre the map on a point at a zoom level. */
  centerOn(center: [number, number], zoom: number, options?: { animate?: boolean }): void;
  /** Ease in on a cluster of a clustered source until it breaks apart. */
  zoomToCluster(sourceId: string, clusterId: number, center: [number, number]): Promise<void>;
  /** Call `handler` with the topmost feature of `layerId` under a click; returns the unsubscriber. */
  onClick(layerId: string, handler: (feature: MapFeature) => void): () => void;
  /** Call `handler` when a person starts moving the map (not when code does); returns the unsubscriber. */
  onUserMove(handler: () => void): () => void;
  /** Call `handler` each time the map has finished drawing everything it has; returns the unsubscriber. */
  onIdle(handler: () => void): () => void;
  /** Call `handler` on every frame of a view change (pan, zoom, flight); returns the unsubscriber. */
  onMove(handler: () => void): () => void;
  /** Where a point is in the map's container now, CSS px from its top left. */
  project(lngLat: [number, number]): { x: number; y: number };
  /** Follow a change of the container's size. */
  resize(): void;
  remove(): void;
}

/** maplibre-gl 6 answers with a promise, mapbox-gl 3 through a callback. */
type ClusterSource = {
  getClusterExpansionZoom(
    clusterId: number,
    callback?: (err: Error | null, zoom: number) => void,
  ): Promise<number> | unknown;
};

function expansionZoom(source: ClusterSource, clusterId: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const answer = source.getClusterExpansionZoom(clusterId, (err, zoom) =>
      err ? reject(err) : resolve(zoom),
    );
    if (answer instanceof Promise) answer.then(resolve, reject);
  });
}

/** Resolves on the map's `load`, rejects on an error before it (a broken style never loads). */
function whenLoaded(map: MaplibreMap, addOverlay: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (e: ErrorEvent) => reject(new Error(e.error?.message ?? 'map failed to load'));
    map.once('error', failed);
    map.once('load', () => {
      map.off('error', failed);
      try {
        addOverlay();
        resolve();
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

function handleOver(
  map: MaplibreMap,
  provider: MapProviderConfig['provider'],
  loaded: Promise<void>,
): MapHandle {
  return {
    provider,
    loaded,
    setData(sourceId, data) {
      map.getSource<GeoJSONSource>(sourceId)?.setData(data);
    },
    setLayerVisible(layerId, visible) {
      if (map.getLayer(layerId)) map.setLayoutProperty(layerId, 'visibility', visible ? 'visible' : 'none');
    },
    setPaintProperty(layerId, name, value) {
      map.setPaintProperty(layerId, name, value);
    },
    setLayoutProperty(layerId, name, value) {
      map.setLayoutProperty(layerId, name, value);
    },
    fitBounds(bounds, options = {}) {
      map.fitBounds(
        [
          [bounds[0], bounds[1]],
          [bounds[2], bounds[3]],
        ],
        { padding: options.padding ?? 0, animate: options.animate ?? true },
      );
    },
    centerOn(center, zoom, options = {}) {
      if (options.animate ?? true) map.easeTo({ center, zoom });
      else map.jumpTo({ center, zoom });
    },
    async zoomToCluster(sourceId, clusterId, center) {
      const source = map.getSource(sourceId) as unknown as ClusterSource | undefined;
      if (!source) return;
      const zoom = await expansionZoom(source, clusterId);
      map.easeTo({ center, zoom });
    },
    onClick(layerId, handler) {
      const listener = (e: { features?: MapGeoJSONFeature[] }) => {
        const feature = e.features?.[0];
        if (feature) handler(feature);
      };
      const enter = () => (map.getCanvas().style.cursor = 'pointer');
      const leave = () => (map.getCanvas().style.cursor = '');
      map.on('click', layerId, listener);
      map.on('mouseenter', layerId, enter);
      map.on('mouseleave', layerId, leave);
      return () => {
        map.off('click', layerId, listener);
        map.off('mouseenter', layerId, enter);
        map.off('mouseleave', layerId, leave);
      };
    },
    onUserMove(handler) {
      const listener = (e: { originalEvent?: unknown }) => {
        if (e.originalEvent) handler();
      };
      map.on('movestart', listener);
      return () => map.off('movestart', listener);
    },
    onIdle(handler) {
      map.on('idle', handler);
      return () => map.off('idle', handler);
    },
    onMove(handler) {
      map.on('move', handler);
      return () => map.off('move', handler);
    },
    project(lngLat) {
      const p = map.project(lngLat);
      return { x: p.x, y: p.y };
    },
    resize() {
      map.resize();
    },
    remove() {
      map.remove();
    },
  };
}

/** Open a map in `container` with the engine `options.provider` names. */
export async function createMap(container: HTMLElement, options: CreateMapOptions): Promise<MapHandle> {
  const fit = options.center
    ? { center: options.center.lngLat, zoom: options.center.zoom }
    : {
        bounds: [
          [options.bounds[0], options.bounds[1]],
          [options.bounds[2], options.bounds[3]],
        ] as [[number, number], [number, number]],
        fitBoundsOptions: { padding: options.padding ?? 0 },
      };
  // A wall map stays flat: no rotation or pitch for a stray drag to leave behind.
  const flat = { dragRotate: false, pitchWithRotate: false, touchPitch: false, maxPitch: 0 };

  if (options.provider.provider === 'mapbox') {
    const [mapboxgl] = await Promise.all([import('mapbox-gl/esm'), import('mapbox-gl/dist/mapbox-gl.css')]);
    // mapbox-gl v3 has the API of maplibre-gl (its fork) for everything the handle uses; the one
    // difference, cluster zoom by callback, is bridged in expansionZoom.
    const map = new mapboxgl.Map({
      container,
      style: options.provider.style,
      accessToken: options.provider.token,
      // Mapbox's terms require its attribution on the map.
      attributionControl: true,
      // CJK labels of the overlay: drawn locally with the page's Noto Sans SC.
      localIdeographFontFamily: "'Noto Sans SC', sans-serif",
      ...fit,
      ...flat,
    }) as unknown as MaplibreMap;
    const loaded = whenLoaded(map, () => {
      const overlay = options.mapboxOverlay();
      for (const [id, source] of Object.entries(overlay.sources)) map.addSource(id, source);
      for (const layer of overlay.layers) map.addLayer(layer);
    });
    return handleOver(map, 'mapbox', loaded);
  }

  const map = new maplibregl.Map({
    container,
    style: options.offlineStyle(),
    // The pack's sources are credited by MapView in the theme's font (the control's font has no CJK).
    attributionControl: false,
    // Glyphs come only from the style's font-faces file: never from whatever fonts the machine has.
    localIdeographFontFamily: false,
    ...fit,
    ...flat,
  });
  return handleOver(
    map,
    'maplibre',
    whenLoaded(map, () => undefined),
  );
}
