/**
 * The offline map style: everything maplibre-gl draws comes from the city pack and this origin, with
 * no token, no tile server and no glyph server.
 *
 * Chinese labels offline. The style's `font-faces` maps the `text-font` name {@link MAP_FONT} to the
 * page's own Noto Sans SC Regular files (SIL OFL, `@fontsource/noto-sans-sc`: ~100 WOFF2 subsets,
 * each with its `unicode-range`, see ./mapFont.ts). maplibre-gl 6.17 hands a file to the CSS Font
 * Loading API only when a codepoint it covers is drawn and rasterises each glyph with TinySDF, so
 * CJK, Latin and digits all render without glyph PBFs: the style has no `glyphs` URL at all, and a
 * wall downloads only the subsets its labels use (the same files, cached, as the page's text). The
 * map is opened with `localIdeographFontFamily: false`, so no glyph ever comes from whatever fonts
 * the machine has (a bare wall PC may have no CJK font). Measured in Debian's Chromium with no
 * network: test/e2e/map.browser.test.ts checks that only subset files are fetched and that the
 * district names are drawn (and gone when labels are switched off).
 *
 * Layers are built in slots so that live layers (./layers.ts) slot in between: fills (districts,
 * coloured cells), lines (cell outlines, roads, district outlines), marks (sensors, alerts,
 * workers) and labels on top, so names stay readable over everything.
 */
import type {
  ExpressionSpecification,
  GeoJSONSourceSpecification,
  LayerSpecification,
  StyleSpecification,
} from 'maplibre-gl';
import type { Feature, FeatureCollection, LineString, MultiPolygon, Point, Polygon } from 'geojson';
import type { CityPackMeta, Road } from '@shared/schemas/cityPack.schema';
import type { District, GridCell } from '@shared/schemas/geo.schema';
import type { RoadClass } from '@shared/schemas/sensor.schema';
import type { MapFontFace } from './mapFont';
import { DEFAULT_PALETTE, type MapPalette } from './palette';

/** The part of a city pack the base map draws (what `GET /api/v1/city`, `/districts`, `/grid-cells`, `/roads` return). */
export interface BasemapPack {
  meta: CityPackMeta;
  districts: readonly District[];
  gridCells: readonly GridCell[];
  roads: readonly Road[];
}

/** Language of map labels (features carry `name_zh` and `name_en`). */
export type LabelLocale = 'zh' | 'en';

/** The `text-font` name the offline style's `font-faces` maps to the local Noto Sans SC files. */
export const MAP_FONT = 'Noto Sans SC Regular';

/** Sources of the base map (GeoJSON from the city pack). */
export const BASEMAP_SOURCES = {
  districts: 'districts',
  districtLabels: 'district-labels',
  cells: 'cells',
  roads: 'roads',
} as const;

/** Layers of the base map. */
export const BASEMAP_LAYERS = {
  background: 'background',
  districtFill: 'district-fill',
  cellOutline: 'cell-outline',
  roads: 'road-line',
  districtOutline: 'district-outline',
  roadLabel: 'road-label',
  districtLabel: 'district-label',
} as const;

/** Zoom from which grid-cell outlines show (the whole city at once would be a mesh of lines). */
export const CELL_OUTLINE_MIN_ZOOM = 12;
/** Zoom from which road names show. */
export const ROAD_LABEL_MIN_ZOOM = 11;

/** Draw order of road classes: expressways on top. */
const ROAD_RANK: Record<RoadClass, number> = { secondary: 1, arterial: 2, expressway: 3 };

/**
 * Sources and layers of one part of the map, by drawing slot: every fill under every line, every
 * line under every mark, labels on top (see {@link orderedLayers}).
 */
export interface LayerSet {
  sources: Record<string, GeoJSONSourceSpecification>;
  fill: LayerSpecification[];
  line: LayerSpecification[];
  mark: LayerSpecification[];
  label: LayerSpecification[];
}

/** Options of the layer builders. */
export interface LayerOptions {
  /** `text-font` stack of every label. */
  font: string[];
  palette?: MapPalette;
  /** Language of labels; Chinese by default. */
  locale?: LabelLocale;
}

/** A label expression: the name in `locale`, falling back to the Chinese name. */
export function labelField(locale: LabelLocale): ExpressionSpecification {
  return ['coalesce', ['get', `name_${locale}`], ['get', 'name_zh']];
}

function collection<G extends Point | LineString | Polygon | MultiPolygon>(
  features: Feature<G>[],
): FeatureCollection<G> {
  return { type: 'FeatureCollection', features };
}

function geojson(data: FeatureCollection): GeoJSONSourceSpecification {
  return { type: 'geojson', data };
}

/** The base map's GeoJSON sources, built from the pack; every feature carries `id`, `name_zh` and `name_en`. */
export function basemapSources(pack: BasemapPack): Record<string, GeoJSONSourceSpecification> {
  const names = (n: { zh: string; en: string }) => ({ name_zh: n.zh, name_en: n.en });
  return {
    [BASEMAP_SOURCES.districts]: geojson(
      collection(
        pack.districts.map((d) => ({
          type: 'Feature',
          properties: { id: d.id, ...names(d.name) },
          geometry: { type: 'MultiPolygon', coordinates: d.polygon },
        })),
      ),
    ),
    [BASEMAP_SOURCES.districtLabels]: geojson(
      collection(
        pack.districts.map((d) => ({
          type: 'Feature',
          properties: { id: d.id, ...names(d.name) },
          geometry: { type: 'Point', coordinates: d.centroid },
        })),
      ),
    ),
    [BASEMAP_SOURCES.cells]: geojson(
      collection(
        pack.gridCells.map((c) => ({
          type: 'Feature',
          properties: { id: c.id, districtId: c.districtId, ...names(c.name) },
          geometry: { type: 'Polygon', coordinates: c.polygon },
        })),
      ),
    ),
    [BASEMAP_SOURCES.roads]: geojson(
      collection(
        pack.roads.map((r) => ({
          type: 'Feature',
          properties: { id: r.id, class: r.class, rank: ROAD_RANK[r.class], ...names(r.name) },
          geometry: { type: 'LineString', coordinates: r.coordinates },
        })),
      ),
    ),
  };
}

/** Road width in px by class at `zoom` stops. */
function roadWidth(expressway: number, arterial: number, secondary: number): ExpressionSpecification {
  return ['match', ['get', 'class'], 'expressway', expressway, 'arterial', arterial, secondary];
}

/** The base map's layers (no background): districts, cells, roads and their names. */
export function basemapLayerSet(pack: BasemapPack, options: LayerOptions): LayerSet {
  const palette = options.palette ?? DEFAULT_PALETTE;
  const name = labelField(options.locale ?? 'zh');
  return {
    sources: basemapSources(pack),
    fill: [
      {
        id: BASEMAP_LAYERS.districtFill,
        type: 'fill',
        source: BASEMAP_SOURCES.districts,
        paint: { 'fill-color': palette.districtFill },
      },
    ],
    line: [
      {
        id: BASEMAP_LAYERS.cellOutline,
        type: 'line',
        source: BASEMAP_SOURCES.cells,
        minzoom: CELL_OUTLINE_MIN_ZOOM,
        paint: { 'line-color': palette.cellLine, 'line-width': 0.6 },
      },
      {
        id: BASEMAP_LAYERS.roads,
        type: 'line',
        source: BASEMAP_SOURCES.roads,
        layout: { 'line-join': 'round', 'line-cap': 'round', 'line-sort-key': ['get', 'rank'] },
        paint: {
          'line-color': [
            'match',
            ['get', 'class'],
            'expressway',
            palette.road.expressway,
            'arterial',
            palette.road.arterial,
            palette.road.secondary,
          ],
          'line-width': [
            'interpolate',
            ['linear'],
            ['zoom'],
            10,
            roadWidth(2.5, 1.6, 1),
            15,
            roadWidth(8, 5, 3),
          ],
        },
      },
      {
        id: BASEMAP_LAYERS.districtOutline,
        type: 'line',
        source: BASEMAP_SOURCES.districts,
        layout: { 'line-join': 'round' },
        paint: { 'line-color': palette.districtLine, 'line-width': 1.5, 'line-opacity': 0.8 },
      },
    ],
    mark: [],
    label: [
      {
        id: BASEMAP_LAYERS.roadLabel,
        type: 'symbol',
        source: BASEMAP_SOURCES.roads,
        minzoom: ROAD_LABEL_MIN_ZOOM,
        layout: {
          'symbol-placement': 'line',
          'text-field': name,
          'text-font': options.font,
          'text-size': 13,
        },
        paint: { 'text-color': palette.text, 'text-halo-color': palette.textHalo, 'text-halo-width': 1.5 },
      },
      {
        id: BASEMAP_LAYERS.districtLabel,
        type: 'symbol',
        source: BASEMAP_SOURCES.districtLabels,
        layout: {
          'text-field': name,
          'text-font': options.font,
          'text-size': ['interpolate', ['linear'], ['zoom'], 9, 18, 13, 30],
          'text-letter-spacing': 0.1,
          // Six names at known centroids: every one must show on the wall, even where two come close.
          'text-allow-overlap': true,
        },
        paint: { 'text-color': palette.text, 'text-halo-color': palette.textHalo, 'text-halo-width': 2 },
      },
    ],
  };
}

/** Several layer sets as one; a source id used twice is a mistake and throws. */
export function mergeLayerSets(...sets: LayerSet[]): LayerSet {
  const merged: LayerSet = { sources: {}, fill: [], line: [], mark: [], label: [] };
  for (const set of sets) {
    for (const [id, source] of Object.entries(set.sources)) {
      if (id in merged.sources) throw new Error(`map source "${id}" is defined twice`);
      merged.sources[id] = source;
    }
    merged.fill.push(...set.fill);
    merged.line.push(...set.line);
    merged.mark.push(...set.mark);
    merged.label.push(...set.label);
  }
  return merged;
}

/** The layers of a set in drawing order: fills, lines, marks, labels. */
export function orderedLayers(set: LayerSet): LayerSpecification[] {
  return [...set.fill, ...set.line, ...set.mark, ...set.label];
}

/** Options of {@link offlineStyle}. */
export interface OfflineStyleOptions {
  palette?: MapPalette;
  locale?: LabelLocale;
  /** More layers drawn in the same slots (the live layers). */
  extra?: LayerSet;
}

/**
 * The complete offline style: a dark background, the pack's districts, cells and roads with their
 * names, and any `extra` layers; `fontFaces` are the same-origin Noto Sans SC files (one URL, or
 * subsets with their Unicode ranges, see ./mapFont.ts).
 */
export function offlineStyle(
  pack: BasemapPack,
  fontFaces: string | readonly MapFontFace[],
  options: OfflineStyleOptions = {},
): StyleSpecification {
  const palette = options.palette ?? DEFAULT_PALETTE;
  const base = basemapLayerSet(pack, {
    font: [MAP_FONT],
    palette,
    ...(options.locale ? { locale: options.locale } : {}),
  });
  const set = options.extra ? mergeLayerSets(base, options.extra) : base;
  return {
    version: 8,
    name: `CityOps ${pack.meta.name.zh} (offline)`,
    center: pack.meta.center,
    zoom: pack.meta.zoom,
    'font-faces': { [MAP_FONT]: typeof fontFaces === 'string' ? fontFaces : [...fontFaces] },
    sources: set.sources,
    layers: [
      {
        id: BASEMAP_LAYERS.background,
        type: 'background',
        paint: { 'background-color': palette.background },
      },
      ...orderedLayers(set),
    ],
  };
}
