import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';
import type { FeatureCollection } from 'geojson';
import type { LayerSpecification, StyleSpecification, SymbolLayerSpecification } from 'maplibre-gl';
import { describe, expect, it } from 'vitest';
import { liveLayerSet } from '../../../../client/src/features/map/layers';
import {
  BASEMAP_LAYERS,
  BASEMAP_SOURCES,
  CELL_OUTLINE_MIN_ZOOM,
  MAP_FONT,
  offlineStyle,
} from '../../../../client/src/features/map/offlineStyle';
import { DEFAULT_PALETTE } from '../../../../client/src/features/map/palette';
import { evaluate, tinyPack } from './map.fixtures';

const FONT_URL = 'http://wall.local:8080/assets/NotoSansSC_400Regular-abc123.ttf';

function layer(style: StyleSpecification, id: string): LayerSpecification {
  const found = style.layers.find((l) => l.id === id);
  if (!found) throw new Error(`no layer ${id}`);
  return found;
}

function features(style: StyleSpecification, source: string): FeatureCollection['features'] {
  const spec = style.sources[source];
  if (spec?.type !== 'geojson' || typeof spec.data === 'string')
    throw new Error(`${source} is not inline GeoJSON`);
  return (spec.data as FeatureCollection).features;
}

/** Every string anywhere in a JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

describe('offlineStyle', () => {
  it('is a valid MapLibre style, with the live layers too', () => {
    const base = offlineStyle(tinyPack(), FONT_URL);
    const full = offlineStyle(tinyPack(), FONT_URL, { extra: liveLayerSet({ font: [MAP_FONT] }) });

    expect(validateStyleMin(base)).toEqual([]);
    expect(validateStyleMin(full)).toEqual([]);
  });

  it('builds GeoJSON sources from the pack: district outlines and name points, cells and roads', () => {
    const style = offlineStyle(tinyPack(), FONT_URL);

    expect(Object.keys(style.sources).sort()).toEqual(Object.values(BASEMAP_SOURCES).sort());
    expect(features(style, BASEMAP_SOURCES.districts).map((f) => f.geometry.type)).toEqual([
      'MultiPolygon',
      'MultiPolygon',
    ]);
    expect(features(style, BASEMAP_SOURCES.districtLabels)).toEqual([
      expect.objectContaining({
        geometry: { type: 'Point', coordinates: [120.15, 30.25] },
        properties: { id: '330106', name_zh: '西湖区', name_en: 'Xihu' },
      }),
      expect.objectContaining({
        geometry: { type: 'Point', coordinates: [120.25, 30.25] },
        properties: { id: '330108', name_zh: '滨江区', name_en: 'Binjiang' },
      }),
    ]);
    expect(features(style, BASEMAP_SOURCES.cells).map((f) => f.properties?.['id'])).toEqual([
      '330106001001001',
      '330108001001001',
    ]);
    expect(features(style, BASEMAP_SOURCES.roads).map((f) => f.properties)).toEqual([
      {
        id: 'road-zhonghe',
        class: 'expressway',
        rank: 3,
        name_zh: '中河高架',
        name_en: 'Zhonghe Elevated Road',
      },
      { id: 'road-yanan', class: 'arterial', rank: 2, name_zh: '延安路', name_en: 'Yan’an Road' },
      { id: 'road-nanshan', class: 'secondary', rank: 1, name_zh: '南山路', name_en: 'Nanshan Road' },
    ]);
  });

  it('draws the background first, then fills, outlines and roads, and the names on top', () => {
    const style = offlineStyle(tinyPack(), FONT_URL);

    expect(style.layers.map((l) => l.id)).toEqual([
      BASEMAP_LAYERS.background,
      BASEMAP_LAYERS.districtFill,
      BASEMAP_LAYERS.cellOutline,
      BASEMAP_LAYERS.roads,
      BASEMAP_LAYERS.districtOutline,
      BASEMAP_LAYERS.roadLabel,
      BASEMAP_LAYERS.districtLabel,
    ]);
    expect(layer(style, BASEMAP_LAYERS.background)).toMatchObject({
      paint: { 'background-color': DEFAULT_PALETTE.background },
    });
  });

  it('slots live layers between the base lines and the names', () => {
    const style = offlineStyle(tinyPack(), FONT_URL, { extra: liveLayerSet({ font: [MAP_FONT] }) });
    const ids = style.layers.map((l) => l.id);
    const at = (id: string) => ids.indexOf(id);

    expect(at('cell-status-fill')).toBeGreaterThan(at(BASEMAP_LAYERS.districtFill));
    expect(at('cell-status-fill')).toBeLessThan(at(BASEMAP_LAYERS.cellOutline));
    for (const live of ['sensor-cluster', 'alert-core', 'worker-point', 'dispatch-line']) {
      expect(at(live)).toBeGreaterThan(at(BASEMAP_LAYERS.districtOutline));
      expect(at(live)).toBeLessThan(at(BASEMAP_LAYERS.roadLabel));
    }
  });

  it('labels districts and roads with their Chinese names by default', () => {
    const style = offlineStyle(tinyPack(), FONT_URL);
    const districtLabel = layer(style, BASEMAP_LAYERS.districtLabel) as SymbolLayerSpecification;
    const roadLabel = layer(style, BASEMAP_LAYERS.roadLabel) as SymbolLayerSpecification;
    const [xihu] = features(style, BASEMAP_SOURCES.districtLabels);
    const [zhonghe] = features(style, BASEMAP_SOURCES.roads);

    expect(districtLabel.source).toBe(BASEMAP_SOURCES.districtLabels);
    expect(evaluate(districtLabel.layout?.['text-field'], xihu?.properties ?? {})).toBe('西湖区');
    expect(roadLabel.layout?.['symbol-placement']).toBe('line');
    expect(evaluate(roadLabel.layout?.['text-field'], zhonghe?.properties ?? {})).toBe('中河高架');
  });

  it('labels in English when asked, and in Chinese where a name has no English', () => {
    const style = offlineStyle(tinyPack(), FONT_URL, { locale: 'en' });
    const textField = (layer(style, BASEMAP_LAYERS.districtLabel) as SymbolLayerSpecification).layout?.[
      'text-field'
    ];

    expect(evaluate(textField, { name_zh: '西湖区', name_en: 'Xihu' })).toBe('Xihu');
    expect(evaluate(textField, { name_zh: '西湖区' })).toBe('西湖区');
  });

  it('draws every label with the local font file and asks no glyph server', () => {
    const style = offlineStyle(tinyPack(), FONT_URL, { extra: liveLayerSet({ font: [MAP_FONT] }) });
    const symbols = style.layers.filter((l): l is SymbolLayerSpecification => l.type === 'symbol');

    expect(style['font-faces']).toEqual({ [MAP_FONT]: FONT_URL });
    expect(style.glyphs).toBeUndefined();
    expect(style.sprite).toBeUndefined();
    expect(symbols.length).toBeGreaterThan(0);
    for (const s of symbols) expect(s.layout?.['text-font'], s.id).toEqual([MAP_FONT]);
  });

  it('maps the label font to the subset files with their Unicode ranges', () => {
    const faces = [
      { url: 'http://wall.local:8080/assets/sc-0.woff2', 'unicode-range': ['U+4E00-4E0F'] },
      { url: 'http://wall.local:8080/assets/sc-1.woff2', 'unicode-range': ['U+0020-007E', 'U+3002'] },
    ];
    const style = offlineStyle(tinyPack(), faces);
    expect(style['font-faces']).toEqual({ [MAP_FONT]: faces });
    expect(style.glyphs).toBeUndefined();
  });

  it('reaches no address but the font file', () => {
    const style = offlineStyle(tinyPack(), FONT_URL, { extra: liveLayerSet({ font: [MAP_FONT] }) });
    const urls = strings(style).filter((s) => /^[a-z][\w+.-]*:\/\//i.test(s) || s.startsWith('//'));

    expect(urls).toEqual([FONT_URL]);
  });

  it('shows grid-cell outlines only from zoom 12 and colours roads by class', () => {
    const style = offlineStyle(tinyPack(), FONT_URL);
    const roads = layer(style, BASEMAP_LAYERS.roads);

    expect(CELL_OUTLINE_MIN_ZOOM).toBe(12);
    expect(layer(style, BASEMAP_LAYERS.cellOutline).minzoom).toBe(CELL_OUTLINE_MIN_ZOOM);
    if (roads.type !== 'line') throw new Error('roads are not lines');
    const colour = (cls: string) => evaluate(roads.paint?.['line-color'], { class: cls });
    const width = (cls: string) => evaluate(roads.paint?.['line-width'], { class: cls }, 12) as number;
    expect(colour('expressway')).toBe(DEFAULT_PALETTE.road.expressway);
    expect(colour('arterial')).toBe(DEFAULT_PALETTE.road.arterial);
    expect(colour('secondary')).toBe(DEFAULT_PALETTE.road.secondary);
    expect(width('expressway')).toBeGreaterThan(width('arterial'));
    expect(width('arterial')).toBeGreaterThan(width('secondary'));
  });
});
