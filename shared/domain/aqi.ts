/**
 * Air quality index (AQI, 空气质量指数) under HJ 633—2026, HJ 633—2012 and US EPA (May 2024).
 *
 * Pure: no I/O, no clock. Every concentration enters in the platform's units
 * (µg/m³; CO in mg/m³, see shared/metrics.ts); US EPA breakpoints written in
 * ppm/ppb are reached by converting at 25 °C (see `EPA_GAS`).
 *
 * Two entry points over one implementation: `computeAqiReport` (the detailed
 * report: lower-case keys such as `pm25_24h`, pollutant-level primary and
 * exceeding lists, invalid inputs) and `computeAqi` (the compact API keyed
 * `PM2_5_24H` … `O3_8H`, an adapter over the former). `iaqi` and `describeAqi`
 * give one sub-index and the level/category/colour of a value. Isomorphic: the
 * server computes with it and the client colours with it.
 *
 * Reference: the project domain reference DOMAIN.md §4 (the specification), HJ 633—2012 Table 1 and its
 * notes, and EPA-454/B-24-002 "Technical Assistance Document for the Reporting
 * of Daily Air Quality – the AQI" (May 2024, "TAD").
 */

/** Standards this module computes; the value is recorded on every result. */
export const AQI_STANDARDS = ['HJ633-2026', 'HJ633-2012', 'US-EPA-2024'] as const;
export type AqiStandard = (typeof AQI_STANDARDS)[number];
/** HJ 633—2026 replaced HJ 633—2012 on 2026-03-01. */
export const DEFAULT_AQI_STANDARD: AqiStandard = 'HJ633-2026';

/** 实时报 (hourly, real-time report) or 日报 (daily report). */
export const AQI_MODES = ['realtime', 'daily'] as const;
export type AqiMode = (typeof AQI_MODES)[number];

/** Pollutants, keyed like shared/metrics.ts and FIWARE AirQualityObserved. */
export const AQI_POLLUTANTS = ['pm25', 'pm10', 'so2', 'no2', 'co', 'o3'] as const;
export type AqiPollutant = (typeof AQI_POLLUTANTS)[number];

/**
 * Breakpoint columns (pollutant + averaging period of the table column).
 * HJ 633 has every column except `co_8h`; US EPA has `pm25_24h`, `pm10_24h`,
 * `o3_8h`, `o3_1h`, `co_8h`, `so2_1h`, `so2_24h` (only ≥ 305 ppb) and `no2_1h`.
 */
export const AQI_COLUMNS = [
  'pm25_24h',
  'pm10_24h',
  'so2_24h',
  'so2_1h',
  'no2_24h',
  'no2_1h',
  'co_24h',
  'co_1h',
  'co_8h',
  'o3_1h',
  'o3_8h',
] as const;
export type AqiColumn = (typeof AQI_COLUMNS)[number];

/**
 * Concentrations a caller may supply, named by what was measured (pollutant +
 * averaging period). µg/m³, CO in mg/m³, whatever the standard. Missing,
 * `null` and `undefined` mean "not measured".
 *
 * Which key feeds which sub-index depends on standard and mode (see `computeAqiReport`):
 * a key the chosen standard/mode does not read is ignored.
 */
export interface AqiConcentrations {
  /** PM2.5 24-hour mean, µg/m³ (daily: calendar-day mean; realtime under HJ 633—2012: 24-h moving mean). */
  pm25_24h?: number | null;
  /** PM2.5 1-hour mean, µg/m³ (realtime under HJ 633—2026, read against the 24-h column). */
  pm25_1h?: number | null;
  /** PM10 24-hour mean, µg/m³ (as `pm25_24h`). */
  pm10_24h?: number | null;
  /** PM10 1-hour mean, µg/m³ (as `pm25_1h`). */
  pm10_1h?: number | null;
  /** SO2 24-hour mean, µg/m³. */
  so2_24h?: number | null;
  /** SO2 1-hour mean, µg/m³. */
  so2_1h?: number | null;
  /** NO2 24-hour mean, µg/m³ (HJ 633 daily only). */
  no2_24h?: number | null;
  /** NO2 1-hour mean, µg/m³. */
  no2_1h?: number | null;
  /** CO 24-hour mean, mg/m³ (HJ 633 daily only). */
  co_24h?: number | null;
  /** CO 1-hour mean, mg/m³ (HJ 633 realtime only). */
  co_1h?: number | null;
  /** CO 8-hour mean, mg/m³ (US EPA only). */
  co_8h?: number | null;
  /** O3 1-hour mean, µg/m³ (daily: the day's maximum 1-hour mean). */
  o3_1h?: number | null;
  /** O3 8-hour moving mean, µg/m³ (daily: the day's maximum 8-hour mean). */
  o3_8h?: number | null;
}
export type AqiInputKey = keyof AqiConcentrations;

export type AqiLevel = 1 | 2 | 3 | 4 | 5 | 6;

export interface AqiCategory {
  zh: string;
  en: string;
}

/** Level, category and colour of an AQI value under one standard. */
export interface AqiDescription {
  /** 1 (0–50) … 6 (> 300); HJ 633 calls these 一级 … 六级. */
  level: AqiLevel;
  category: AqiCategory;
  /** `#RRGGBB`. */
  color: string;
}

export interface AqiResult extends AqiDescription {
  /** The standard that produced this value. */
  standard: AqiStandard;
  mode: AqiMode;
  /** Max of the sub-indices, an integer 0–500. */
  aqi: number;
  /**
   * 首要污染物: when AQI > 50, every pollutant whose IAQI equals the AQI (ties all
   * listed), in `AQI_POLLUTANTS` order; empty when AQI ≤ 50.
   */
  primaryPollutants: AqiPollutant[];
  /** 超标污染物: pollutants whose IAQI is above 100, in `AQI_POLLUTANTS` order. */
  exceedingPollutants: AqiPollutant[];
  /** Integer sub-index (IAQI) per input key that produced one. */
  subIndices: Partial<Record<AqiInputKey, number>>;
  /**
   * Inputs above the top of their breakpoint column that the standard gives no
   * replacement for (or whose replacement was not supplied). Their sub-index is
   * the column's top IAQI (500; SO2 1h 200; O3 8h 300): a lower bound, 爆表.
   */
  beyondScale: AqiInputKey[];
  /** Inputs this computation needed that were negative, NaN or infinite; they were ignored. */
  invalidInputs: AqiInputKey[];
}

export interface AqiOptions {
  /** Default `DEFAULT_AQI_STANDARD`. */
  standard?: AqiStandard;
  mode: AqiMode;
}

// ---------------------------------------------------------------------------
// HJ 633 breakpoints (DOMAIN.md §4). Concentrations per IAQI step below; CO mg/m³, others µg/m³.

const HJ_IAQI_STEPS = [0, 50, 100, 150, 200, 300, 400, 500] as const;
type HjColumn = Exclude<AqiColumn, 'co_8h'>;

const HJ633_2012: Readonly<Record<HjColumn, readonly number[]>> = {
  so2_24h: [0, 50, 150, 475, 800, 1600, 2100, 2620],
  // Ends at IAQI 200: above 800 the 1-hour value stops being indexed (special rule).
  so2_1h: [0, 150, 500, 650, 800],
  no2_24h: [0, 40, 80, 180, 280, 565, 750, 940],
  no2_1h: [0, 100, 200, 700, 1200, 2340, 3090, 3840],
  pm10_24h: [0, 50, 150, 250, 350, 420, 500, 600],
  co_24h: [0, 2, 4, 14, 24, 36, 48, 60],
  co_1h: [0, 5, 10, 35, 60, 90, 120, 150],
  o3_1h: [0, 160, 200, 300, 400, 800, 1000, 1200],
  // Ends at IAQI 300: above 800 the 8-hour value stops being indexed (special rule).
  o3_8h: [0, 100, 160, 215, 265, 800],
  pm25_24h: [0, 35, 75, 115, 150, 250, 350, 500],
};

/** HJ 633—2026 changes only the IAQI-100 step of the particulates. */
const HJ633_2026: Readonly<Record<HjColumn, readonly number[]>> = {
  ...HJ633_2012,
  pm25_24h: [0, 35, 60, 115, 150, 250, 350, 500],
  pm10_24h: [0, 50, 120, 250, 350, 420, 500, 600],
};

/**
 * Tolerance for binary floating-point noise when rounding up: an interpolation
 * that is an integer on paper (e.g. 70) may come out as 70.00000000000001.
 */
const FLOAT_NOISE = 1e-9;

// ---------------------------------------------------------------------------
// US EPA (May 2024) breakpoints, TAD Table 6 / 40 CFR 58 App. G as amended 2024-03-06 (89 FR 16202).

/**
 * Molar volume of an ideal gas at EPA's reference conditions, 25 °C and
 * 760 mm Hg (40 CFR 50.3): V = R·T/P = 0.082057366 L·atm/(mol·K) × 298.15 K
 * ≈ 24.465 L/mol (the often-quoted 24.45 is a rounding of it).
 * ppb = µg/m³ × V / M; ppm = mg/m³ × V / M.
 */
const MOLAR_VOLUME_L_PER_MOL = 0.082057366 * 298.15;

/**
 * Molar masses, g/mol (from IUPAC standard atomic weights, rounded as usually
 * quoted). Resulting factors at 25 °C: 1 ppb O3 = 1.962 µg/m³, NO2 = 1.881 µg/m³,
 * SO2 = 2.619 µg/m³; 1 ppm CO = 1.145 mg/m³.
 */
const EPA_GAS = { o3: 48.0, no2: 46.01, so2: 64.07, co: 28.01 } as const;

const ppbFromUgm3 = (molarMass: number) => (ugm3: number) => (ugm3 * MOLAR_VOLUME_L_PER_MOL) / molarMass;
const ppmFromUgm3 = (molarMass: number) => (ugm3: number) => ppbFromUgm3(molarMass)(ugm3) / 1000;
const ppmFromMgm3 = (molarMass: number) => (mgm3: number) => (mgm3 * MOLAR_VOLUME_L_PER_MOL) / molarMass;

/** One row: concentration `[lo, hi]` in the column's unit maps linearly onto IAQI `[iLo, iHi]`. */
type EpaRow = readonly [lo: number, hi: number, iLo: number, iHi: number];

interface EpaColumnSpec {
  /** Converts the platform unit (µg/m³; CO mg/m³) to the unit the rows are written in. */
  fromPlatform: (c: number) => number;
  /** Decimal places kept when truncating (TAD: O3 3 ppm, PM2.5 1, PM10 0, CO 1 ppm, SO2 0 ppb, NO2 0 ppb). */
  decimals: number;
  rows: readonly EpaRow[];
}

const EPA_COLUMNS: Readonly<Partial<Record<AqiColumn, EpaColumnSpec>>> = {
  // µg/m³
  pm25_24h: {
    fromPlatform: (c) => c,
    decimals: 1,
    rows: [
      [0.0, 9.0, 0, 50],
      [9.1, 35.4, 51, 100],
      [35.5, 55.4, 101, 150],
      [55.5, 125.4, 151, 200],
      [125.5, 225.4, 201, 300],
      [225.5, 325.4, 301, 500],
    ],
  },
  // µg/m³
  pm10_24h: {
    fromPlatform: (c) => c,
    decimals: 0,
    rows: [
      [0, 54, 0, 50],
      [55, 154, 51, 100],
      [155, 254, 101, 150],
      [255, 354, 151, 200],
      [355, 424, 201, 300],
      [425, 604, 301, 500],
    ],
  },
  // ppm. 8-hour O3 does not define AQI ≥ 301: above 0.200 ppm the 1-hour value is used.
  o3_8h: {
    fromPlatform: ppmFromUgm3(EPA_GAS.o3),
    decimals: 3,
    rows: [
      [0.0, 0.054, 0, 50],
      [0.055, 0.07, 51, 100],
      [0.071, 0.085, 101, 150],
      [0.086, 0.105, 151, 200],
      [0.106, 0.2, 201, 300],
    ],
  },
  // ppm. 1-hour O3 does not define AQI ≤ 100 (below 0.125 ppm the 8-hour value is used).
  o3_1h: {
    fromPlatform: ppmFromUgm3(EPA_GAS.o3),
    decimals: 3,
    rows: [
      [0.125, 0.164, 101, 150],
      [0.165, 0.204, 151, 200],
      [0.205, 0.404, 201, 300],
      [0.405, 0.604, 301, 500],
    ],
  },
  // ppm, 8-hour mean.
  co_8h: {
    fromPlatform: ppmFromMgm3(EPA_GAS.co),
    decimals: 1,
    rows: [
      [0.0, 4.4, 0, 50],
      [4.5, 9.4, 51, 100],
      [9.5, 12.4, 101, 150],
      [12.5, 15.4, 151, 200],
      [15.5, 30.4, 201, 300],
      [30.5, 50.4, 301, 500],
    ],
  },
  // ppb. 1-hour SO2 does not define AQI above 200: from 305 ppb the 24-hour value is used.
  so2_1h: {
    fromPlatform: ppbFromUgm3(EPA_GAS.so2),
    decimals: 0,
    rows: [
      [0, 35, 0, 50],
      [36, 75, 51, 100],
      [76, 185, 101, 150],
      [186, 304, 151, 200],
    ],
  },
  // ppb. Only the upper rows exist for the 24-hour mean.
  so2_24h: {
    fromPlatform: ppbFromUgm3(EPA_GAS.so2),
    decimals: 0,
    rows: [
      [305, 604, 201, 300],
      [605, 1004, 301, 500],
    ],
  },
  // ppb
  no2_1h: {
    fromPlatform: ppbFromUgm3(EPA_GAS.no2),
    decimals: 0,
    rows: [
      [0, 53, 0, 50],
      [54, 100, 51, 100],
      [101, 360, 101, 150],
      [361, 649, 151, 200],
      [650, 1249, 201, 300],
      [1250, 2049, 301, 500],
    ],
  },
};

/** Every breakpoint column each standard defines. */
export const AQI_COLUMNS_BY_STANDARD: Readonly<Record<AqiStandard, readonly AqiColumn[]>> = {
  'HJ633-2026': AQI_COLUMNS.filter((c) => c in HJ633_2026),
  'HJ633-2012': AQI_COLUMNS.filter((c) => c in HJ633_2012),
  'US-EPA-2024': AQI_COLUMNS.filter((c) => c in EPA_COLUMNS),
};

// ---------------------------------------------------------------------------
// Sub-index of one column.

type Evaluation =
  | { kind: 'value'; iaqi: number }
  /** Below the column's first row: another column defines this range (EPA O3 1h, SO2 24h). */
  | { kind: 'below' }
  /** Above the column's last row; `top` is the IAQI at its last breakpoint. */
  | { kind: 'above'; top: number }
  | { kind: 'invalid' }
  /** The standard has no such column. */
  | { kind: 'unsupported' };

function isValidConcentration(c: unknown): c is number {
  return typeof c === 'number' && Number.isFinite(c) && c >= 0;
}

function evaluateHj(
  table: Readonly<Record<HjColumn, readonly number[]>>,
  column: AqiColumn,
  c: number,
): Evaluation {
  if (!(column in table)) return { kind: 'unsupported' };
  const bps = table[column as HjColumn];
  for (let i = 1; i < bps.length; i++) {
    const bpHi = bps[i]!;
    if (c <= bpHi) {
      const bpLo = bps[i - 1]!;
      const iLo = HJ_IAQI_STEPS[i - 1]!;
      const iHi = HJ_IAQI_STEPS[i]!;
      const exact = ((iHi - iLo) / (bpHi - bpLo)) * (c - bpLo) + iLo;
      // HJ 633—2026 rounds up; HJ 633—2012 states no rounding, we round up too (see `computeAqiReport`).
      // The max keeps the noise allowance from turning 0 into -0 (or dipping below the segment).
      return { kind: 'value', iaqi: Math.max(iLo, Math.ceil(exact - FLOAT_NOISE)) };
    }
  }
  return { kind: 'above', top: HJ_IAQI_STEPS[bps.length - 1]! };
}

/** EPA rows scaled to integers (units of 10^-decimals), so truncation and row lookup are exact. */
const EPA_SCALED = new Map(
  Object.entries(EPA_COLUMNS).map(([column, spec]) => {
    const scale = 10 ** spec.decimals;
    const rows = spec.rows.map(
      ([lo, hi, iLo, iHi]) => [Math.round(lo * scale), Math.round(hi * scale), iLo, iHi] as const,
    );
    return [column as AqiColumn, { ...spec, scale, rows }];
  }),
);

function evaluateEpa(column: AqiColumn, c: number): Evaluation {
  const spec = EPA_SCALED.get(column);
  if (!spec) return { kind: 'unsupported' };
  // TAD step A: truncate (not round) to the column's precision. FLOAT_NOISE keeps
  // e.g. 0.29 × 100 = 28.999999999999996 at 29.
  const t = Math.floor(spec.fromPlatform(c) * spec.scale + FLOAT_NOISE);
  const first = spec.rows[0]!;
  const last = spec.rows[spec.rows.length - 1]!;
  if (t < first[0]) return { kind: 'below' };
  if (t > last[1]) return { kind: 'above', top: last[3] };
  // Truncated values are whole units and consecutive rows touch (hi + 1 = next lo), so one row matches.
  const [lo, hi, iLo, iHi] = spec.rows.find(([rowLo, rowHi]) => t >= rowLo && t <= rowHi)!;
  // TAD step D: round to the nearest integer (halves up), in exact integer arithmetic.
  const num = (iHi - iLo) * (t - lo);
  const den = hi - lo;
  return { kind: 'value', iaqi: iLo + Math.floor((2 * num + den) / (2 * den)) };
}

function evaluate(standard: AqiStandard, column: AqiColumn, c: unknown): Evaluation {
  if (!isValidConcentration(c)) return { kind: 'invalid' };
  switch (standard) {
    case 'HJ633-2026':
      // HJ 633—2026: above 800 µg/m³ these columns no longer stop computing; they pin the IAQI.
      if (column === 'so2_1h' && c > 800) return { kind: 'value', iaqi: 200 };
      if (column === 'o3_8h' && c > 800) return { kind: 'value', iaqi: 300 };
      return evaluateHj(HJ633_2026, column, c);
    case 'HJ633-2012':
      return evaluateHj(HJ633_2012, column, c);
    case 'US-EPA-2024':
      return evaluateEpa(column, c);
    default:
      throw new Error(`Unknown AQI standard: ${String(standard)}`);
  }
}

/**
 * Integer sub-index (IAQI, 空气质量分指数) of one breakpoint column.
 *
 * @param concentration µg/m³ (CO mg/m³), converted internally where US EPA needs ppm/ppb.
 * @returns `null` when not computable: negative, NaN or infinite input; above the
 *   column's table (HJ 633—2012 SO2 1h > 800 and O3 8h > 800 included: the caller
 *   uses the 24-hour SO2 / 1-hour O3 value instead); below a column that only
 *   covers high values (EPA O3 1h < 0.125 ppm, SO2 24h < 305 ppb); or a column
 *   the standard does not define. Never throws for a bad concentration.
 */
export function iaqi(standard: AqiStandard, column: AqiColumn, concentration: number): number | null {
  const result = evaluate(standard, column, concentration);
  return result.kind === 'value' ? result.iaqi : null;
}

// ---------------------------------------------------------------------------
// Levels, categories and colours.

const LEVEL_UPPER_BOUNDS = [50, 100, 150, 200, 300] as const;

const HJ_CATEGORIES: readonly AqiCategory[] = [
  { zh: '优', en: 'Excellent' },
  { zh: '良', en: 'Good' },
  { zh: '轻度污染', en: 'Lightly Polluted' },
  { zh: '中度污染', en: 'Moderately Polluted' },
  { zh: '重度污染', en: 'Heavily Polluted' },
  { zh: '严重污染', en: 'Severely Polluted' },
];
const HJ_COLORS = ['#00E400', '#FFFF00', '#FF7E00', '#FF0000', '#99004C', '#7E0023'] as const;

const EPA_CATEGORIES: readonly AqiCategory[] = [
  { zh: '良好', en: 'Good' },
  { zh: '中等', en: 'Moderate' },
  { zh: '对敏感人群不健康', en: 'Unhealthy for Sensitive Groups' },
  { zh: '不健康', en: 'Unhealthy' },
  { zh: '非常不健康', en: 'Very Unhealthy' },
  { zh: '危险', en: 'Hazardous' },
];
const EPA_COLORS = ['#00E400', '#FFFF00', '#FF7E00', '#FF0000', '#8F3F97', '#7E0023'] as const;

/**
 * Level (0–50 → 1, 51–100 → 2, 101–150 → 3, 151–200 → 4, 201–300 → 5, > 300 → 6),
 * category and colour of an AQI value; `null` for a negative or non-finite value.
 */
export function describeAqi(
  aqi: number,
  standard: AqiStandard = DEFAULT_AQI_STANDARD,
): AqiDescription | null {
  if (!Number.isFinite(aqi) || aqi < 0) return null;
  const index = LEVEL_UPPER_BOUNDS.findIndex((upper) => aqi <= upper);
  const i = index === -1 ? 5 : index;
  const epa = standard === 'US-EPA-2024';
  return {
    level: (i + 1) as AqiLevel,
    category: (epa ? EPA_CATEGORIES : HJ_CATEGORIES)[i]!,
    color: (epa ? EPA_COLORS : HJ_COLORS)[i]!,
  };
}

// ---------------------------------------------------------------------------
// Which input feeds which column.

interface Source {
  key: AqiInputKey;
  column: AqiColumn;
  /** Used instead when `key` is above its column (the standard's replacement rule). */
  fallback?: { key: AqiInputKey; column: AqiColumn };
}

const POLLUTANT_OF: Readonly<Record<AqiInputKey, AqiPollutant>> = {
  pm25_24h: 'pm25',
  pm25_1h: 'pm25',
  pm10_24h: 'pm10',
  pm10_1h: 'pm10',
  so2_24h: 'so2',
  so2_1h: 'so2',
  no2_24h: 'no2',
  no2_1h: 'no2',
  co_24h: 'co',
  co_1h: 'co',
  co_8h: 'co',
  o3_1h: 'o3',
  o3_8h: 'o3',
};

const same = (key: AqiColumn): Source => ({ key, column: key });

function sourcesFor(standard: AqiStandard, mode: AqiMode): readonly Source[] {
  if (standard === 'US-EPA-2024') {
    return [
      same('pm25_24h'),
      same('pm10_24h'),
      { ...same('so2_1h'), fallback: same('so2_24h') },
      same('no2_1h'),
      same('co_8h'),
      same('o3_1h'),
      { ...same('o3_8h'), fallback: same('o3_1h') },
    ];
  }
  const is2012 = standard === 'HJ633-2012';
  // Both modes index O3 1h and 8h (daily: the day's max 1-h and max 8-h means).
  const o3: Source[] = [
    same('o3_1h'),
    is2012 ? { ...same('o3_8h'), fallback: same('o3_1h') } : same('o3_8h'),
  ];
  if (mode === 'daily') {
    return [same('pm25_24h'), same('pm10_24h'), same('so2_24h'), same('no2_24h'), same('co_24h'), ...o3];
  }
  return [
    // 2026: real-time PM uses the 1-hour mean against the 24-hour column; 2012: the 24-hour moving mean.
    is2012 ? same('pm25_24h') : { key: 'pm25_1h', column: 'pm25_24h' },
    is2012 ? same('pm10_24h') : { key: 'pm10_1h', column: 'pm10_24h' },
    is2012 ? { ...same('so2_1h'), fallback: same('so2_24h') } : same('so2_1h'),
    same('no2_1h'),
    same('co_1h'),
    ...o3,
  ];
}

interface Notes {
  beyondScale: Set<AqiInputKey>;
  invalidInputs: Set<AqiInputKey>;
}

function resolve(
  standard: AqiStandard,
  source: Source,
  input: AqiConcentrations,
  notes: Notes,
): { key: AqiInputKey; iaqi: number } | null {
  const c = input[source.key];
  if (c === undefined || c === null) return null;
  const result = evaluate(standard, source.column, c);
  switch (result.kind) {
    case 'value':
      return { key: source.key, iaqi: result.iaqi };
    case 'invalid':
      notes.invalidInputs.add(source.key);
      return null;
    case 'below':
    case 'unsupported':
      return null;
    case 'above': {
      const replaced = source.fallback && resolve(standard, source.fallback, input, notes);
      if (replaced) return replaced;
      // No replacement: the concentration still proves at least the column's top IAQI,
      // and dropping it would under-report a severe episode.
      notes.beyondScale.add(source.key);
      return { key: source.key, iaqi: result.top };
    }
  }
}

/**
 * AQI of one station (or city) for one report.
 *
 * Sub-indices read per standard and mode (other keys are ignored):
 *
 * | | HJ 633—2026 | HJ 633—2012 | US EPA 2024 (mode ignored) |
 * |---|---|---|---|
 * | daily | pm25_24h pm10_24h so2_24h no2_24h co_24h o3_1h o3_8h | same as 2026 | pm25_24h pm10_24h so2_1h no2_1h co_8h o3_1h o3_8h |
 * | realtime | **pm25_1h pm10_1h** (vs the 24-h columns) so2_1h no2_1h co_1h o3_1h o3_8h | pm25_24h pm10_24h (24-h moving means) so2_1h no2_1h co_1h o3_1h o3_8h | as daily |
 *
 * Special rules: HJ 633—2026 pins SO2 1h > 800 µg/m³ at IAQI 200 and O3 8h > 800
 * µg/m³ at 300. HJ 633—2012 then reports SO2 from `so2_24h` and O3 from `o3_1h`
 * instead. US EPA reports SO2 from `so2_24h` from 305 ppb (1 h) up and O3 from
 * `o3_1h` above 0.200 ppm (8 h). When that replacement is missing, see `beyondScale`.
 * For a US EPA real-time (NowCast) report, pass the NowCast concentration as the
 * 24-h / 8-h value: the breakpoints are the same. Pass `o3_1h` to US EPA only where
 * the 1-hour O3 index applies; the higher O3 sub-index is reported.
 *
 * Rounding: HJ 633—2026 rounds every IAQI up to an integer. HJ 633—2012 gives the
 * formula without a rounding rule; we round up as well, so that a concentration
 * above a limit never reads as the level below it (50.2 → 51 → 良, not 优).
 * US EPA truncates inputs and rounds the index to the nearest integer.
 *
 * @returns `null` when no pollutant yields a sub-index (nothing given, or only
 *   invalid values). Never throws for bad concentrations; throws for an unknown standard.
 */
export function computeAqiReport(input: AqiConcentrations, options: AqiOptions): AqiResult | null {
  const standard = options.standard ?? DEFAULT_AQI_STANDARD;
  if (!(AQI_STANDARDS as readonly string[]).includes(standard)) {
    throw new Error(`Unknown AQI standard: ${String(standard)}`);
  }
  const notes: Notes = { beyondScale: new Set(), invalidInputs: new Set() };
  const subIndices: Partial<Record<AqiInputKey, number>> = {};
  const byPollutant = new Map<AqiPollutant, number>();
  for (const source of sourcesFor(standard, options.mode)) {
    const found = resolve(standard, source, input, notes);
    if (!found) continue;
    subIndices[found.key] = found.iaqi;
    const pollutant = POLLUTANT_OF[found.key];
    byPollutant.set(pollutant, Math.max(byPollutant.get(pollutant) ?? 0, found.iaqi));
  }
  if (byPollutant.size === 0) return null;

  const aqi = Math.max(...byPollutant.values());
  const pollutantsWhere = (test: (index: number) => boolean) =>
    AQI_POLLUTANTS.filter((p) => byPollutant.has(p) && test(byPollutant.get(p)!));
  return {
    standard,
    mode: options.mode,
    aqi,
    ...describeAqi(aqi, standard)!,
    primaryPollutants: aqi > 50 ? pollutantsWhere((index) => index === aqi) : [],
    exceedingPollutants: pollutantsWhere((index) => index > 100),
    subIndices,
    beyondScale: [...notes.beyondScale],
    invalidInputs: [...notes.invalidInputs],
  };
}

// ---------------------------------------------------------------------------
// computeAqi: the compact API keyed by upper-case names, an adapter over computeAqiReport.

/**
 * Keys `computeAqi` accepts: pollutant + averaging period. The twelve HJ 633
 * columns (PM2.5 and PM10 1-hour means included, see `computeAqi`), plus
 * `CO_8H`, the 8-hour CO mean that US EPA indexes. Any other key is an error.
 */
export const AQI_CONCENTRATION_KEYS = [
  'PM2_5_24H',
  'PM2_5_1H',
  'PM10_24H',
  'PM10_1H',
  'SO2_24H',
  'SO2_1H',
  'NO2_24H',
  'NO2_1H',
  'CO_24H',
  'CO_1H',
  'O3_1H',
  'O3_8H',
  'CO_8H',
] as const;
export type AqiConcentrationKey = (typeof AQI_CONCENTRATION_KEYS)[number];

/**
 * Concentrations for `computeAqi`, µg/m³ (CO in mg/m³) whatever the standard.
 * Missing, `null` and `undefined` mean "not measured".
 */
export type AqiConcentrationsByKey = Partial<Record<AqiConcentrationKey, number | null | undefined>>;

export interface AqiComputeOptions {
  /** Default `DEFAULT_AQI_STANDARD` (HJ 633—2026). */
  standard?: AqiStandard;
  /** Default: inferred from the keys given (see `computeAqi`). */
  mode?: AqiMode;
}

/** What `computeAqi` returns: the AQI with everything named by the caller's keys. */
export interface AqiSummary {
  /** Max of the sub-indices, an integer 0–500. */
  aqi: number;
  /** 1 (0–50) … 6 (> 300). */
  level: AqiLevel;
  /** HJ 633: the Chinese category (优 … 严重污染); US EPA: the English one (Good … Hazardous). */
  category: string;
  categoryEn: string;
  categoryZh: string;
  /** `#RRGGBB`. */
  color: string;
  /** 首要污染物: when AQI > 50, every key whose sub-index equals the AQI (ties all listed); empty when AQI ≤ 50. */
  primary: AqiConcentrationKey[];
  /** 超标污染物: keys whose sub-index is above 100. */
  exceeding: AqiConcentrationKey[];
  /** Integer sub-index (IAQI) per key that produced one; keys the standard and mode do not read are absent. */
  iaqi: Partial<Record<AqiConcentrationKey, number>>;
  /** The standard that produced this value. */
  standard: AqiStandard;
  /** The report type used, given or inferred. */
  mode: AqiMode;
  /** Keys above the top of their column with no replacement (a lower bound, 爆表; see `AqiResult.beyondScale`). */
  beyondScale: AqiConcentrationKey[];
}

const INPUT_KEY_OF: Readonly<Record<AqiConcentrationKey, AqiInputKey>> = {
  PM2_5_24H: 'pm25_24h',
  PM2_5_1H: 'pm25_1h',
  PM10_24H: 'pm10_24h',
  PM10_1H: 'pm10_1h',
  SO2_24H: 'so2_24h',
  SO2_1H: 'so2_1h',
  NO2_24H: 'no2_24h',
  NO2_1H: 'no2_1h',
  CO_24H: 'co_24h',
  CO_1H: 'co_1h',
  O3_1H: 'o3_1h',
  O3_8H: 'o3_8h',
  CO_8H: 'co_8h',
};

/** Giving any of these (not null) makes `computeAqi` infer a real-time report. */
const REALTIME_KEYS: readonly AqiConcentrationKey[] = ['SO2_1H', 'NO2_1H', 'CO_1H', 'PM2_5_1H', 'PM10_1H'];

/** HJ 633—2026 real-time particulates: the 1-hour key, and the 24-hour key read in its place when it is missing. */
const HJ2026_REALTIME_PM = [
  ['PM2_5_1H', 'PM2_5_24H'],
  ['PM10_1H', 'PM10_24H'],
] as const satisfies readonly (readonly [AqiConcentrationKey, AqiConcentrationKey])[];

const isGiven = (value: unknown): value is number => value !== undefined && value !== null;

const byKeyOrder = (a: AqiConcentrationKey, b: AqiConcentrationKey) =>
  AQI_CONCENTRATION_KEYS.indexOf(a) - AQI_CONCENTRATION_KEYS.indexOf(b);

/**
 * AQI of one station (or city) from concentrations keyed `PM2_5_24H` … `O3_8H`
 * (µg/m³, CO mg/m³; converted to ppm/ppb inside for US EPA). A thin adapter over
 * `computeAqiReport`, which holds the breakpoints and every special rule; see it
 * for which columns each standard and mode reads. In short:
 *
 * - Mode: when `options.mode` is omitted it is inferred: `'realtime'` if any of
 *   `SO2_1H`, `NO2_1H`, `CO_1H`, `PM2_5_1H`, `PM10_1H` is given (not null or
 *   undefined), else `'daily'`. Pass the mode to override (e.g. a daily report
 *   that also carries hourly values: those are then ignored).
 * - HJ 633—2026 real-time indexes PM2.5/PM10 from the 1-hour mean against the
 *   24-hour column. When `PM2_5_1H` (`PM10_1H`) is missing and `PM2_5_24H`
 *   (`PM10_24H`) is given, the 24-hour value is read instead, and the sub-index
 *   is reported under `PM2_5_24H` (`PM10_24H`). HJ 633—2012 real-time reads the
 *   24-hour (moving) means, so `PM2_5_1H` / `PM10_1H` are ignored there.
 * - Daily reports read `SO2_24H`, `NO2_24H`, `CO_24H`; real-time `SO2_1H`,
 *   `NO2_1H`, `CO_1H`; both read `O3_1H` and `O3_8H`. US EPA ignores the mode and
 *   reads `PM2_5_24H`, `PM10_24H`, `SO2_1H` (`SO2_24H` from 305 ppb), `NO2_1H`,
 *   `CO_8H` (not `CO_1H` / `CO_24H`), `O3_8H` and `O3_1H`.
 * - Special rules (through `computeAqiReport`): HJ 633—2026 pins `SO2_1H` > 800
 *   at IAQI 200 and `O3_8H` > 800 at 300; HJ 633—2012 reports SO2 from `SO2_24H`
 *   and O3 from `O3_1H` instead. HJ 633 rounds every sub-index up; US EPA
 *   truncates the concentration and rounds the index to the nearest integer.
 *
 * Negative, NaN and infinite values are ignored (see `AqiResult.invalidInputs`
 * on `computeAqiReport` for a report of them).
 *
 * @returns `null` when no sub-index could be computed.
 * @throws for a key outside `AQI_CONCENTRATION_KEYS` (the message names it), an
 *   unknown standard or an unknown mode.
 */
export function computeAqi(
  concentrations: AqiConcentrationsByKey,
  options: AqiComputeOptions = {},
): AqiSummary | null {
  if (typeof concentrations !== 'object' || concentrations === null) {
    throw new TypeError('AQI concentrations must be an object');
  }
  for (const key of Object.keys(concentrations)) {
    if (!Object.hasOwn(INPUT_KEY_OF, key)) {
      throw new Error(
        `Unknown AQI concentration key: ${key} (expected one of ${AQI_CONCENTRATION_KEYS.join(', ')})`,
      );
    }
  }
  const standard = options.standard ?? DEFAULT_AQI_STANDARD;
  const mode: AqiMode =
    options.mode ?? (REALTIME_KEYS.some((key) => isGiven(concentrations[key])) ? 'realtime' : 'daily');
  if (!(AQI_MODES as readonly string[]).includes(mode)) {
    throw new Error(`Unknown AQI mode: ${String(mode)}`);
  }

  const input: AqiConcentrations = {};
  /** Which caller key each `computeAqiReport` key was filled from. */
  const keyOf = new Map<AqiInputKey, AqiConcentrationKey>();
  const take = (inputKey: AqiInputKey, key: AqiConcentrationKey) => {
    input[inputKey] = concentrations[key];
    keyOf.set(inputKey, key);
  };
  for (const key of AQI_CONCENTRATION_KEYS) {
    if (isGiven(concentrations[key])) take(INPUT_KEY_OF[key], key);
  }
  if (standard === 'HJ633-2026' && mode === 'realtime') {
    for (const [hourly, daily] of HJ2026_REALTIME_PM) {
      if (!isGiven(concentrations[hourly]) && isGiven(concentrations[daily])) {
        take(INPUT_KEY_OF[hourly], daily);
      }
    }
  }

  const report = computeAqiReport(input, { standard, mode });
  if (!report) return null;

  const toKey = (inputKey: AqiInputKey) => keyOf.get(inputKey)!;
  const subIndices = (Object.entries(report.subIndices) as [AqiInputKey, number][])
    .map(([inputKey, value]) => [toKey(inputKey), value] as const)
    .sort(([a], [b]) => byKeyOrder(a, b));
  const keysWhere = (test: (value: number) => boolean) =>
    subIndices.filter(([, value]) => test(value)).map(([key]) => key);
  const { aqi } = report;
  return {
    aqi,
    level: report.level,
    category: standard === 'US-EPA-2024' ? report.category.en : report.category.zh,
    categoryEn: report.category.en,
    categoryZh: report.category.zh,
    color: report.color,
    primary: aqi > 50 ? keysWhere((value) => value === aqi) : [],
    exceeding: keysWhere((value) => value > 100),
    iaqi: Object.fromEntries(subIndices),
    standard,
    mode,
    beyondScale: report.beyondScale.map(toKey).sort(byKeyOrder),
  };
}

// ---------------------------------------------------------------------------
// Area means: the real-time AQI of a district or a city from its stations' newest values.

const pollutantZeros = () =>
  Object.fromEntries(AQI_POLLUTANTS.map((p) => [p, 0])) as Record<AqiPollutant, number>;

/**
 * Per-pollutant sums of the values of an area's stations, and the real-time AQI of their means
 * (as HJ 663 forms a city's figure: the mean of the stations, not the worst one). Which values
 * enter is the caller's choice; this only sums them.
 */
/**
 * Whether a station's value can enter an area's mean: a finite, non-negative concentration (a
 * negative one is a sensor fault, not clean air). One rule for the server's vitals and the map.
 */
export function isConcentration(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value) && value >= 0;
}

export class PollutantMeans {
  private readonly sum = pollutantZeros();
  private readonly count = pollutantZeros();

  /** Add one station's value of `pollutant` (µg/m³, CO mg/m³). */
  add(pollutant: AqiPollutant, value: number): void {
    this.sum[pollutant] += value;
    this.count[pollutant] += 1;
  }

  /** The mean of the values added for `pollutant`; undefined when none was. */
  mean(pollutant: AqiPollutant): number | undefined {
    return this.count[pollutant] > 0 ? this.sum[pollutant] / this.count[pollutant] : undefined;
  }

  /**
   * The real-time report of the means; null when no pollutant gives a sub-index. The means are
   * read as 1-hour means; where a standard indexes only longer means (HJ 633—2012's
   * particulates, US EPA's PM and CO) the same value stands in for them.
   */
  realtimeAqi(standard: AqiStandard): AqiResult | null {
    const pm25 = this.mean('pm25');
    const pm10 = this.mean('pm10');
    const co = this.mean('co');
    return computeAqiReport(
      {
        pm25_1h: pm25,
        pm25_24h: pm25,
        pm10_1h: pm10,
        pm10_24h: pm10,
        so2_1h: this.mean('so2'),
        no2_1h: this.mean('no2'),
        co_1h: co,
        co_8h: co,
        o3_1h: this.mean('o3'),
      },
      { standard, mode: 'realtime' },
    );
  }
}
