/**
 * The live layers of the map and what their features carry. Pure: sources start empty and are fed
 * through MapView's `setSource` (batched, see ./batcher.ts); nothing here touches a map.
 *
 * Feature properties (the contract for whoever feeds a source):
 * - `cell-status` (polygons, see {@link cellStatusFeatures}): `id`, and `severity` (worst open alert)
 *   or `color` (a CSS colour for an index such as AQI or congestion; it wins over `severity`).
 * - `sensors` (points, clustered): `id`, `kind`, `worst` = {@link severityRank} of the sensor's worst
 *   open alert (0 = none). Clusters add `point_count` and `worst` (the worst of their sensors) and
 *   `alerting` (how many of their sensors have an open alert).
 * - `alerts` (points): `id`, `severity`.
 * - `workers` (points): `id`, `dispatched` (true while sent to a case).
 * - `dispatch-lines` (lines from a dispatched worker to the case's site): `workerId`, `workOrderId`.
 */
import type {
  CircleLayerSpecification,
  ExpressionSpecification,
  GeoJSONSourceSpecification,
} from 'maplibre-gl';
import type { Feature, FeatureCollection, LineString, Polygon } from 'geojson';
import { SEVERITIES, type Severity } from '@shared/schemas/alert.schema';
import type { LngLat } from '@shared/schemas/common.schema';
import type { GridCell } from '@shared/schemas/geo.schema';
import { BASEMAP_LAYERS, type LayerOptions, type LayerSet } from './offlineStyle';
import { DEFAULT_PALETTE, type MapPalette } from './palette';

/** Sources of the live layers. */
export const LIVE_SOURCES = {
  cellStatus: 'cell-status',
  sensors: 'sensors',
  alerts: 'alerts',
  workers: 'workers',
  dispatchLines: 'dispatch-lines',
} as const;
export type LiveSourceId = (typeof LIVE_SOURCES)[keyof typeof LIVE_SOURCES];

/** Layers of the live layers. */
export const LIVE_LAYERS = {
  cellStatus: 'cell-status-fill',
  dispatchLines: 'dispatch-line',
  sensorClusters: 'sensor-cluster',
  sensorClusterCount: 'sensor-cluster-count',
  sensorPoints: 'sensor-point',
  alertCore: 'alert-core',
  workers: 'worker-point',
} as const;

/**
 * The halo layer of one warning level: the still ring an alert's pulse grows from (the pulse itself
 * is drawn over the map, see ./pulseOverlay.ts, so the map does not redraw for it).
 */
export function alertHaloLayer(severity: Severity): string {
  return `alert-halo-${severity}`;
}

/**
 * A warning level as a number that orders them: 红 4, 橙 3, 黄 2, 蓝 1; 0 is "no open alert".
 * Cluster properties take the max of it, which a string cannot do.
 */
export function severityRank(severity: Severity | null | undefined): number {
  return severity ? SEVERITIES.length - SEVERITIES.indexOf(severity) : 0;
}

/** Zoom beyond which sensors are never clustered. */
export const SENSOR_CLUSTER_MAX_ZOOM = 14;
/** Radius of a sensor cluster, px. */
export const SENSOR_CLUSTER_RADIUS = 48;

/** Halo radius of an alert marker at rest, px (the pulse grows it). */
const HALO_RADIUS: Record<Severity, number> = { red: 16, orange: 14, yellow: 12, blue: 10 };
/** Pulse period by level, ms: the more severe, the faster. */
export const PULSE_PERIOD_MS: Record<Severity, number> = {
  red: 1000,
  orange: 1600,
  yellow: 2400,
  blue: 3200,
};

const empty = (): FeatureCollection => ({ type: 'FeatureCollection', features: [] });

/** A colour by severity rank (0 = calm). */
function colourByRank(rank: ExpressionSpecification, palette: MapPalette): ExpressionSpecification {
  return [
    'match',
    rank,
    4,
    palette.severity.red,
    3,
    palette.severity.orange,
    2,
    palette.severity.yellow,
    1,
    palette.severity.blue,
    palette.calm,
  ];
}

function severityColour(palette: MapPalette): ExpressionSpecification {
  return [
    'match',
    ['get', 'severity'],
    'red',
    palette.severity.red,
    'orange',
    palette.severity.orange,
    'yellow',
    palette.severity.yellow,
    'blue',
    palette.severity.blue,
    'rgba(0, 0, 0, 0)',
  ];
}

/** What an alert halo looks like at one instant. */
export interface PulseFrame {
  /** Radius, px. */
  radius: number;
  /** Opacity 0..1. */
  opacity: number;
}

/**
 * An alert halo of `severity` at time `tMs`: it swells and fades once per {@link PULSE_PERIOD_MS}.
 * With reduced motion it holds still, half-way.
 */
export function pulseFrame(severity: Severity, tMs: number, reducedMotion = false): PulseFrame {
  const base = HALO_RADIUS[severity];
  const swell = reducedMotion
    ? 0.5
    : 0.5 - 0.5 * Math.cos((2 * Math.PI * (tMs % PULSE_PERIOD_MS[severity])) / PULSE_PERIOD_MS[severity]);
  return { radius: base * (1 + 0.9 * swell), opacity: 0.6 - 0.45 * swell };
}

function haloLayer(severity: Severity, palette: MapPalette): CircleLayerSpecification {
  const rest = pulseFrame(severity, 0, true);
  return {
    id: alertHaloLayer(severity),
    type: 'circle',
    source: LIVE_SOURCES.alerts,
    filter: ['==', ['get', 'severity'], severity],
    paint: {
      'circle-color': palette.severity[severity],
      'circle-radius': rest.radius,
      'circle-opacity': rest.opacity,
    },
  };
}

/** The live layers (sources empty until fed), in their drawing slots. */
export function liveLayerSet(options: LayerOptions): LayerSet {
  const palette = options.palette ?? DEFAULT_PALETTE;
  const sources: Record<LiveSourceId, GeoJSONSourceSpecification> = {
    [LIVE_SOURCES.cellStatus]: { type: 'geojson', data: empty() },
    [LIVE_SOURCES.sensors]: {
      type: 'geojson',
      data: empty(),
      cluster: true,
      clusterRadius: SENSOR_CLUSTER_RADIUS,
      clusterMaxZoom: SENSOR_CLUSTER_MAX_ZOOM,
      clusterProperties: {
        worst: ['max', ['get', 'worst']],
        alerting: ['+', ['case', ['>', ['get', 'worst'], 0], 1, 0]],
      },
    },
    [LIVE_SOURCES.alerts]: { type: 'geojson', data: empty() },
    [LIVE_SOURCES.workers]: { type: 'geojson', data: empty() },
    [LIVE_SOURCES.dispatchLines]: { type: 'geojson', data: empty() },
  };
  const clustered: ExpressionSpecification = ['has', 'point_count'];
  return {
    sources,
    fill: [
      {
        id: LIVE_LAYERS.cellStatus,
        type: 'fill',
        source: LIVE_SOURCES.cellStatus,
        paint: {
          'fill-color': ['case', ['has', 'color'], ['get', 'color'], severityColour(palette)],
          'fill-opacity': 0.45,
          'fill-outline-color': 'rgba(0, 0, 0, 0)',
        },
      },
    ],
    line: [],
    mark: [
      {
        id: LIVE_LAYERS.dispatchLines,
        type: 'line',
        source: LIVE_SOURCES.dispatchLines,
        layout: { 'line-cap': 'round' },
        paint: { 'line-color': palette.workerDispatched, 'line-width': 2, 'line-dasharray': [2, 1.5] },
      },
      {
        id: LIVE_LAYERS.sensorClusters,
        type: 'circle',
        source: LIVE_SOURCES.sensors,
        filter: clustered,
        paint: {
          'circle-color': colourByRank(['get', 'worst'], palette),
          'circle-opacity': 0.85,
          'circle-radius': ['step', ['get', 'point_count'], 14, 20, 18, 100, 24, 500, 30],
          'circle-stroke-color': palette.background,
          'circle-stroke-width': 2,
        },
      },
      {
        id: LIVE_LAYERS.sensorClusterCount,
        type: 'symbol',
        source: LIVE_SOURCES.sensors,
        filter: clustered,
        layout: {
          'text-field': ['get', 'point_count_abbreviated'],
          'text-font': options.font,
          'text-size': 13,
          'text-allow-overlap': true,
        },
        paint: { 'text-color': '#ffffff' },
      },
      {
        id: LIVE_LAYERS.sensorPoints,
        type: 'circle',
        source: LIVE_SOURCES.sensors,
        filter: ['!', clustered],
        paint: {
          'circle-color': colourByRank(['get', 'worst'], palette),
          'circle-radius': 4,
          'circle-stroke-color': palette.background,
          'circle-stroke-width': 1,
        },
      },
      // Most severe drawn last, on top.
      ...[...SEVERITIES].reverse().map((s) => haloLayer(s, palette)),
      {
        id: LIVE_LAYERS.alertCore,
        type: 'circle',
        source: LIVE_SOURCES.alerts,
        layout: { 'circle-sort-key': severityRankExpression() },
        paint: {
          'circle-color': severityColour(palette),
          'circle-radius': 5,
          'circle-stroke-color': '#ffffff',
          'circle-stroke-width': 1.5,
        },
      },
      {
        id: LIVE_LAYERS.workers,
        type: 'circle',
        source: LIVE_SOURCES.workers,
        paint: {
          'circle-color': ['case', ['get', 'dispatched'], palette.workerDispatched, palette.worker],
          'circle-radius': 6,
          'circle-stroke-color': '#ffffff',
          'circle-stroke-width': 2,
        },
      },
    ],
    label: [],
  };
}

function severityRankExpression(): ExpressionSpecification {
  return ['match', ['get', 'severity'], 'red', 4, 'orange', 3, 'yellow', 2, 'blue', 1, 0];
}

/** Layer groups the wall can switch on and off. */
export const LAYER_GROUPS = [
  'districts',
  'cells',
  'roads',
  'labels',
  'sensors',
  'alerts',
  'workers',
  'dispatch',
] as const;
export type LayerGroup = (typeof LAYER_GROUPS)[number];

/**
 * The groups each layer belongs to; a layer shows only while all of them are on (a road name
 * needs both roads and labels).
 */
export const LAYER_MEMBERSHIP: Readonly<Record<string, readonly LayerGroup[]>> = {
  [BASEMAP_LAYERS.districtFill]: ['districts'],
  [BASEMAP_LAYERS.districtOutline]: ['districts'],
  [BASEMAP_LAYERS.districtLabel]: ['districts', 'labels'],
  [BASEMAP_LAYERS.cellOutline]: ['cells'],
  [LIVE_LAYERS.cellStatus]: ['cells'],
  [BASEMAP_LAYERS.roads]: ['roads'],
  [BASEMAP_LAYERS.roadLabel]: ['roads', 'labels'],
  [LIVE_LAYERS.sensorClusters]: ['sensors'],
  // A count is text like any name: with labels off the map shows shapes only.
  [LIVE_LAYERS.sensorClusterCount]: ['sensors', 'labels'],
  [LIVE_LAYERS.sensorPoints]: ['sensors'],
  ...Object.fromEntries(SEVERITIES.map((s) => [alertHaloLayer(s), ['alerts']])),
  [LIVE_LAYERS.alertCore]: ['alerts'],
  [LIVE_LAYERS.workers]: ['workers'],
  [LIVE_LAYERS.dispatchLines]: ['dispatch'],
};

/** Every layer's visibility with `enabled` groups on. */
export function layerVisibility(enabled: ReadonlySet<LayerGroup>): Record<string, 'visible' | 'none'> {
  return Object.fromEntries(
    Object.entries(LAYER_MEMBERSHIP).map(([layer, groups]) => [
      layer,
      groups.every((g) => enabled.has(g)) ? 'visible' : 'none',
    ]),
  );
}

/** What a cell shows: its worst open alert, or a colour for an index value. */
export type CellStatus = { severity: Severity } | { color: string };

/**
 * The `cell-status` features: cells with a status, with their outline from the pack. A cell left
 * out of `status` takes its district's entry in `byDistrict`, if any.
 */
export function cellStatusFeatures(
  cells: readonly Pick<GridCell, 'id' | 'districtId' | 'polygon'>[],
  status: ReadonlyMap<string, CellStatus>,
  byDistrict: ReadonlyMap<string, CellStatus> = new Map(),
): FeatureCollection<Polygon> {
  const features: Feature<Polygon>[] = [];
  for (const cell of cells) {
    const s = status.get(cell.id) ?? byDistrict.get(cell.districtId);
    if (!s) continue;
    features.push({
      type: 'Feature',
      properties: { id: cell.id, ...s },
      geometry: { type: 'Polygon', coordinates: cell.polygon },
    });
  }
  return { type: 'FeatureCollection', features };
}

/** The `dispatch-lines` features: a straight line from each dispatched worker to the case's site. */
export function dispatchLineFeatures(
  dispatches: readonly { workerId: string; workOrderId: string; from: LngLat; to: LngLat }[],
): FeatureCollection<LineString> {
  return {
    type: 'FeatureCollection',
    features: dispatches.map((d) => ({
      type: 'Feature',
      properties: { workerId: d.workerId, workOrderId: d.workOrderId },
      geometry: { type: 'LineString', coordinates: [d.from, d.to] },
    })),
  };
}
