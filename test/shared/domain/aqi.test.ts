import { describe, expect, it } from 'vitest';
import {
  AQI_COLUMNS_BY_STANDARD,
  AQI_CONCENTRATION_KEYS,
  AQI_STANDARDS,
  computeAqi,
  computeAqiReport,
  describeAqi,
  iaqi,
  isConcentration,
  PollutantMeans,
  type AqiColumn,
  type AqiConcentrationKey,
  type AqiConcentrationsByKey,
  type AqiStandard,
} from '@shared/domain/aqi';

// Breakpoints typed again from the domain reference, DOMAIN.md §4 (not imported), so a typo in the module shows up here.
const STEPS = [0, 50, 100, 150, 200, 300, 400, 500];
const HJ2012: Record<string, number[]> = {
  so2_24h: [0, 50, 150, 475, 800, 1600, 2100, 2620],
  so2_1h: [0, 150, 500, 650, 800],
  no2_24h: [0, 40, 80, 180, 280, 565, 750, 940],
  no2_1h: [0, 100, 200, 700, 1200, 2340, 3090, 3840],
  pm10_24h: [0, 50, 150, 250, 350, 420, 500, 600],
  co_24h: [0, 2, 4, 14, 24, 36, 48, 60],
  co_1h: [0, 5, 10, 35, 60, 90, 120, 150],
  o3_1h: [0, 160, 200, 300, 400, 800, 1000, 1200],
  o3_8h: [0, 100, 160, 215, 265, 800],
  pm25_24h: [0, 35, 75, 115, 150, 250, 350, 500],
};
const HJ2026: Record<string, number[]> = {
  ...HJ2012,
  pm25_24h: [0, 35, 60, 115, 150, 250, 350, 500],
  pm10_24h: [0, 50, 120, 250, 350, 420, 500, 600],
};
const HJ_TABLES: [AqiStandard, Record<string, number[]>][] = [
  ['HJ633-2012', HJ2012],
  ['HJ633-2026', HJ2026],
];

/** µg/m³ of a ppb value at 25 °C, 1 atm: c × M / 24.4654 L/mol. */
const MOLAR_VOLUME = 24.4654;
const fromPpb = (molarMass: number) => (ppb: number) => (ppb * molarMass) / MOLAR_VOLUME;
const fromPpm = (molarMass: number) => (ppm: number) => fromPpb(molarMass)(ppm * 1000);

/**
 * US EPA 2024 rows [lo, hi, iLo, iHi] in their own unit, how many units one
 * truncation step is, and how to reach µg/m³ (CO mg/m³) from that unit.
 */
const EPA: Record<string, { rows: number[][]; unit: number; toPlatform: (native: number) => number }> = {
  pm25_24h: {
    unit: 0.1,
    toPlatform: (c) => c,
    rows: [
      [0, 9.0, 0, 50],
      [9.1, 35.4, 51, 100],
      [35.5, 55.4, 101, 150],
      [55.5, 125.4, 151, 200],
      [125.5, 225.4, 201, 300],
      [225.5, 325.4, 301, 500],
    ],
  },
  pm10_24h: {
    unit: 1,
    toPlatform: (c) => c,
    rows: [
      [0, 54, 0, 50],
      [55, 154, 51, 100],
      [155, 254, 101, 150],
      [255, 354, 151, 200],
      [355, 424, 201, 300],
      [425, 604, 301, 500],
    ],
  },
  o3_8h: {
    unit: 0.001,
    toPlatform: fromPpm(48.0),
    rows: [
      [0, 0.054, 0, 50],
      [0.055, 0.07, 51, 100],
      [0.071, 0.085, 101, 150],
      [0.086, 0.105, 151, 200],
      [0.106, 0.2, 201, 300],
    ],
  },
  o3_1h: {
    unit: 0.001,
    toPlatform: fromPpm(48.0),
    rows: [
      [0.125, 0.164, 101, 150],
      [0.165, 0.204, 151, 200],
      [0.205, 0.404, 201, 300],
      [0.405, 0.604, 301, 500],
    ],
  },
  co_8h: {
    unit: 0.1,
    // CO enters in mg/m³: ppm × M / V.
    toPlatform: (ppm) => (ppm * 28.01) / MOLAR_VOLUME,
    rows: [
      [0, 4.4, 0, 50],
      [4.5, 9.4, 51, 100],
      [9.5, 12.4, 101, 150],
      [12.5, 15.4, 151, 200],
      [15.5, 30.4, 201, 300],
      [30.5, 50.4, 301, 500],
    ],
  },
  so2_1h: {
    unit: 1,
    toPlatform: fromPpb(64.07),
    rows: [
      [0, 35, 0, 50],
      [36, 75, 51, 100],
      [76, 185, 101, 150],
      [186, 304, 151, 200],
    ],
  },
  so2_24h: {
    unit: 1,
    toPlatform: fromPpb(64.07),
    rows: [
      [305, 604, 201, 300],
      [605, 1004, 301, 500],
    ],
  },
  no2_1h: {
    unit: 1,
    toPlatform: fromPpb(46.01),
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

/** µg/m³ that truncates to exactly `native` (half a truncation step above it, so rounding noise cannot drop a unit). */
const epaAt = (column: string, native: number) => {
  const spec = EPA[column]!;
  return spec.toPlatform(native + spec.unit / 2);
};

const daily = (standard: AqiStandard) => ({ standard, mode: 'daily' as const });
const realtime = (standard: AqiStandard) => ({ standard, mode: 'realtime' as const });

describe.each(HJ_TABLES)('iaqi under %s', (standard, table) => {
  const columns = Object.keys(table) as AqiColumn[];

  it('covers exactly the ten HJ 633 columns', () => {
    expect([...AQI_COLUMNS_BY_STANDARD[standard]].sort()).toEqual([...columns].sort());
  });

  it.each(columns)('maps every %s breakpoint exactly onto its IAQI step', (column) => {
    const bps = table[column]!;
    expect(bps.map((c) => iaqi(standard, column, c))).toEqual(STEPS.slice(0, bps.length));
  });

  it.each(columns)('rounds %s just above each inner breakpoint up to the step plus one', (column) => {
    const bps = table[column]!.slice(0, -1);
    // Steepest segment is CO 24h (25 IAQI per mg/m³), so +0.01 adds at most 0.25 before rounding up.
    expect(bps.map((c) => iaqi(standard, column, c + 0.01))).toEqual(bps.map((_, i) => STEPS[i]! + 1));
  });
});

describe('iaqi above the top of an HJ 633 column', () => {
  const ordinary = Object.keys(HJ2012).filter((c) => c !== 'so2_1h' && c !== 'o3_8h') as AqiColumn[];

  it.each(ordinary)('returns null for %s above its last breakpoint under both standards', (column) => {
    const top = HJ2012[column]!.at(-1)!;
    expect(iaqi('HJ633-2012', column, top + 0.01)).toBeNull();
    expect(iaqi('HJ633-2026', column, top + 0.01)).toBeNull();
  });

  it('stops computing SO2 1h above 800 µg/m³ under HJ 633—2012', () => {
    expect(iaqi('HJ633-2012', 'so2_1h', 800)).toBe(200);
    expect(iaqi('HJ633-2012', 'so2_1h', 800.01)).toBeNull();
  });

  it('pins SO2 1h above 800 µg/m³ at IAQI 200 under HJ 633—2026', () => {
    expect(iaqi('HJ633-2026', 'so2_1h', 800.01)).toBe(200);
    expect(iaqi('HJ633-2026', 'so2_1h', 5000)).toBe(200);
  });

  it('stops computing O3 8h above 800 µg/m³ under HJ 633—2012', () => {
    expect(iaqi('HJ633-2012', 'o3_8h', 800)).toBe(300);
    expect(iaqi('HJ633-2012', 'o3_8h', 800.01)).toBeNull();
  });

  it('pins O3 8h above 800 µg/m³ at IAQI 300 under HJ 633—2026', () => {
    expect(iaqi('HJ633-2026', 'o3_8h', 800.01)).toBe(300);
    expect(iaqi('HJ633-2026', 'o3_8h', 2000)).toBe(300);
  });
});

describe('iaqi interpolation inside a segment (IAQI = ΔI/ΔBP × (C − BP_lo) + I_lo, then rounded up)', () => {
  it.each([
    // (100−50)/(75−35) × (50−35) + 50 = 1.25 × 15 + 50 = 68.75 → 69
    ['HJ633-2012', 'pm25_24h', 50, 69],
    // (100−50)/(60−35) × (50−35) + 50 = 2 × 15 + 50 = 80 (exact, stays 80)
    ['HJ633-2026', 'pm25_24h', 50, 80],
    // (100−50)/(150−50) × (100−50) + 50 = 0.5 × 50 + 50 = 75
    ['HJ633-2012', 'pm10_24h', 100, 75],
    // (100−50)/(120−50) × (100−50) + 50 = 35.71… + 50 = 85.71… → 86
    ['HJ633-2026', 'pm10_24h', 100, 86],
    // (150−100)/(475−150) × (300−150) + 100 = 23.08… + 100 → 124
    ['HJ633-2026', 'so2_24h', 300, 124],
    // (200−150)/(800−650) × (700−650) + 150 = 16.67… + 150 → 167
    ['HJ633-2026', 'so2_1h', 700, 167],
    // (100−50)/(80−40) × (60−40) + 50 = 1.25 × 20 + 50 = 75
    ['HJ633-2026', 'no2_24h', 60, 75],
    // (150−100)/(700−200) × (450−200) + 100 = 0.1 × 250 + 100 = 125
    ['HJ633-2026', 'no2_1h', 450, 125],
    // (100−50)/(4−2) × (3.3−2) + 50 = 25 × 1.3 + 50 = 82.5 → 83
    ['HJ633-2026', 'co_24h', 3.3, 83],
    // (100−50)/(10−5) × (7−5) + 50 = 10 × 2 + 50 = 70
    ['HJ633-2026', 'co_1h', 7, 70],
    // (150−100)/(300−200) × (250−200) + 100 = 0.5 × 50 + 100 = 125
    ['HJ633-2026', 'o3_1h', 250, 125],
    // (150−100)/(215−160) × (190−160) + 100 = 27.27… + 100 → 128
    ['HJ633-2026', 'o3_8h', 190, 128],
    // (500−400)/(1200−1000) × (1100−1000) + 400 = 0.5 × 100 + 400 = 450
    ['HJ633-2012', 'o3_1h', 1100, 450],
  ] as const)('%s %s at %s gives %s', (standard, column, c, expected) => {
    expect(iaqi(standard, column, c)).toBe(expected);
  });
});

describe('HJ 633 rounding', () => {
  it('rounds a fractional IAQI up, so PM2.5 35.1 µg/m³ reads 良 rather than 优', () => {
    // (100−50)/(60−35) × (35.1−35) + 50 = 50.2 → 51
    const result = computeAqiReport({ pm25_24h: 35.1 }, daily('HJ633-2026'))!;
    expect(result.aqi).toBe(51);
    expect(result.category.zh).toBe('良');
  });

  it('keeps an exact integer IAQI despite floating-point noise (CO 2.2 mg/m³ → 55, not 56)', () => {
    // 25 × 0.2 + 50 = 55; in binary floating point this computes as 55.00000000000001.
    expect(iaqi('HJ633-2026', 'co_24h', 2.2)).toBe(55);
    expect(iaqi('HJ633-2012', 'co_24h', 2.2)).toBe(55);
  });
});

describe('HJ 633—2026 versus HJ 633—2012', () => {
  it('rates PM2.5 70 µg/m³ as 良 under 2012 and 轻度污染 under 2026', () => {
    // 2012: (100−50)/(75−35) × (70−35) + 50 = 93.75 → 94; 2026: (150−100)/(115−60) × (70−60) + 100 = 109.09… → 110
    const old = computeAqiReport({ pm25_24h: 70 }, daily('HJ633-2012'))!;
    const now = computeAqiReport({ pm25_24h: 70 }, daily('HJ633-2026'))!;
    expect([old.aqi, old.level, old.category.zh]).toEqual([94, 2, '良']);
    expect([now.aqi, now.level, now.category.zh]).toEqual([110, 3, '轻度污染']);
  });

  it('rates PM10 130 µg/m³ as 良 under 2012 and 轻度污染 under 2026', () => {
    // 2012: 0.5 × (130−50) + 50 = 90; 2026: (150−100)/(250−120) × (130−120) + 100 = 103.85… → 104
    expect(computeAqiReport({ pm10_24h: 130 }, daily('HJ633-2012'))!.aqi).toBe(90);
    expect(computeAqiReport({ pm10_24h: 130 }, daily('HJ633-2026'))!.aqi).toBe(104);
  });

  it('leaves every column other than the PM IAQI-100 step unchanged', () => {
    for (const column of Object.keys(HJ2012) as AqiColumn[]) {
      const top = HJ2012[column]!.at(-1)!;
      for (let c = 0; c <= top; c += top / 200) {
        const differs =
          (column === 'pm25_24h' && c > 35 && c < 115) || (column === 'pm10_24h' && c > 50 && c < 250);
        if (!differs)
          expect(iaqi('HJ633-2026', column, c), `${column} ${c}`).toBe(iaqi('HJ633-2012', column, c));
      }
    }
  });

  it('uses HJ 633—2026 when no standard is given and records it on the result', () => {
    const result = computeAqiReport({ pm25_24h: 70 }, { mode: 'daily' })!;
    expect(result.standard).toBe('HJ633-2026');
    expect(result.aqi).toBe(110);
  });
});

describe('computeAqiReport special rules for SO2 1h and O3 8h', () => {
  it('reports SO2 from the 24-hour mean when SO2 1h exceeds 800 µg/m³ under HJ 633—2012', () => {
    // so2_24h 300 → 124 (see interpolation); the 1-hour sub-index is not computed.
    const result = computeAqiReport({ so2_1h: 900, so2_24h: 300 }, realtime('HJ633-2012'))!;
    expect(result.subIndices).toEqual({ so2_24h: 124 });
    expect(result.aqi).toBe(124);
  });

  it('reports SO2 1h above 800 µg/m³ as IAQI 200 under HJ 633—2026, ignoring the 24-hour mean', () => {
    const result = computeAqiReport({ so2_1h: 900, so2_24h: 300 }, realtime('HJ633-2026'))!;
    expect(result.subIndices).toEqual({ so2_1h: 200 });
    expect(result.beyondScale).toEqual([]);
  });

  it('keeps SO2 at the 1-hour top (200) and flags it when HJ 633—2012 needs a 24-hour mean nobody supplied', () => {
    const result = computeAqiReport({ so2_1h: 900 }, realtime('HJ633-2012'))!;
    expect(result.subIndices).toEqual({ so2_1h: 200 });
    expect(result.beyondScale).toEqual(['so2_1h']);
  });

  it('reports O3 from the 1-hour sub-index when O3 8h exceeds 800 µg/m³ under HJ 633—2012', () => {
    // o3_1h 1100 → 450 (see interpolation); the 8-hour sub-index is dropped.
    const result = computeAqiReport({ o3_8h: 900, o3_1h: 1100 }, daily('HJ633-2012'))!;
    expect(result.subIndices).toEqual({ o3_1h: 450 });
    expect(result.aqi).toBe(450);
  });

  it('reports O3 8h above 800 µg/m³ as IAQI 300 under HJ 633—2026 alongside the 1-hour sub-index', () => {
    // o3_1h 500: (300−200)/(800−400) × (500−400) + 200 = 225
    const result = computeAqiReport({ o3_8h: 900, o3_1h: 500 }, daily('HJ633-2026'))!;
    expect(result.subIndices).toEqual({ o3_1h: 225, o3_8h: 300 });
    expect(result.aqi).toBe(300);
  });
});

describe('computeAqiReport column selection by mode', () => {
  it('reads the 24-hour SO2, NO2 and CO means in a daily report and ignores the 1-hour ones', () => {
    const input = { so2_1h: 700, so2_24h: 40, no2_1h: 450, no2_24h: 60, co_1h: 7, co_24h: 3.3 };
    // so2_24h 40 → 40; no2_24h 60 → 75; co_24h 3.3 → 83
    expect(computeAqiReport(input, daily('HJ633-2026'))!.subIndices).toEqual({
      so2_24h: 40,
      no2_24h: 75,
      co_24h: 83,
    });
  });

  it('reads the 1-hour SO2, NO2 and CO means in a real-time report and ignores the 24-hour ones', () => {
    const input = { so2_1h: 700, so2_24h: 40, no2_1h: 450, no2_24h: 60, co_1h: 7, co_24h: 3.3 };
    // so2_1h 700 → 167; no2_1h 450 → 125; co_1h 7 → 70
    expect(computeAqiReport(input, realtime('HJ633-2026'))!.subIndices).toEqual({
      so2_1h: 167,
      no2_1h: 125,
      co_1h: 70,
    });
  });

  it('reads the PM 1-hour means against the 24-hour columns in an HJ 633—2026 real-time report', () => {
    // pm25_1h 70 → 110 (2026 PM2.5 column); pm10_1h 130 → 104 (2026 PM10 column)
    const result = computeAqiReport(
      { pm25_1h: 70, pm25_24h: 30, pm10_1h: 130, pm10_24h: 40 },
      realtime('HJ633-2026'),
    )!;
    expect(result.subIndices).toEqual({ pm25_1h: 110, pm10_1h: 104 });
  });

  it('reads the PM 24-hour moving means in an HJ 633—2012 real-time report and ignores the 1-hour means', () => {
    // pm25_24h 30: 50/35 × 30 = 42.86 → 43; pm10_24h 40: 50/50 × 40 = 40
    const result = computeAqiReport(
      { pm25_1h: 70, pm25_24h: 30, pm10_1h: 130, pm10_24h: 40 },
      realtime('HJ633-2012'),
    )!;
    expect(result.subIndices).toEqual({ pm25_24h: 43, pm10_24h: 40 });
  });

  it('reads the PM 24-hour means in an HJ 633—2026 daily report and ignores the 1-hour means', () => {
    const result = computeAqiReport({ pm25_1h: 70, pm25_24h: 30 }, daily('HJ633-2026'))!;
    expect(result.subIndices).toEqual({ pm25_24h: 43 });
  });

  it('indexes both O3 1h and O3 8h in either mode', () => {
    // o3_1h 250 → 125; o3_8h 190 → 128
    for (const mode of ['daily', 'realtime'] as const) {
      expect(computeAqiReport({ o3_1h: 250, o3_8h: 190 }, { mode })!.subIndices).toEqual({
        o3_1h: 125,
        o3_8h: 128,
      });
    }
  });
});

describe('computeAqiReport primary and exceeding pollutants', () => {
  it('names no primary pollutant when the AQI is 50 or below', () => {
    // pm25 35 → 50 exactly
    const result = computeAqiReport({ pm25_24h: 35, pm10_24h: 20 }, daily('HJ633-2026'))!;
    expect(result.aqi).toBe(50);
    expect(result.primaryPollutants).toEqual([]);
  });

  it('names the pollutant with the highest IAQI once the AQI passes 50', () => {
    // pm25 36 → 50 + 2 × 1 = 52; pm10 20 → 20
    const result = computeAqiReport({ pm25_24h: 36, pm10_24h: 20 }, daily('HJ633-2026'))!;
    expect(result.aqi).toBe(52);
    expect(result.primaryPollutants).toEqual(['pm25']);
  });

  it('names every pollutant tied at the maximum IAQI', () => {
    // pm25 60 → 100 and pm10 120 → 100 under 2026; no2_24h 60 → 75
    const result = computeAqiReport({ pm25_24h: 60, pm10_24h: 120, no2_24h: 60 }, daily('HJ633-2026'))!;
    expect(result.primaryPollutants).toEqual(['pm25', 'pm10']);
  });

  it('names O3 once when its 1-hour and 8-hour sub-indices both reach the maximum', () => {
    // o3_1h 200 → 100; o3_8h 160 → 100
    expect(computeAqiReport({ o3_1h: 200, o3_8h: 160 }, daily('HJ633-2026'))!.primaryPollutants).toEqual([
      'o3',
    ]);
  });

  it('lists pollutants above IAQI 100 as exceeding and leaves out those at exactly 100', () => {
    // pm25 70 → 110; o3_8h 190 → 128; pm10 120 → 100; no2_24h 60 → 75
    const result = computeAqiReport(
      { pm25_24h: 70, pm10_24h: 120, no2_24h: 60, o3_8h: 190 },
      daily('HJ633-2026'),
    )!;
    expect(result.exceedingPollutants).toEqual(['pm25', 'o3']);
    expect(result.primaryPollutants).toEqual(['o3']);
  });

  it('lists no exceeding pollutant when every IAQI is 100 or below', () => {
    expect(
      computeAqiReport({ pm25_24h: 60, pm10_24h: 120 }, daily('HJ633-2026'))!.exceedingPollutants,
    ).toEqual([]);
  });
});

describe('computeAqiReport beyond the scale', () => {
  it('caps a concentration above the table at IAQI 500 and flags it rather than dropping it', () => {
    const result = computeAqiReport({ pm25_24h: 600, pm10_24h: 100 }, daily('HJ633-2026'))!;
    expect(result.aqi).toBe(500);
    expect(result.level).toBe(6);
    expect(result.subIndices.pm25_24h).toBe(500);
    expect(result.beyondScale).toEqual(['pm25_24h']);
  });

  it('flags nothing when every concentration lies inside its table', () => {
    expect(computeAqiReport({ pm25_24h: 500 }, daily('HJ633-2026'))!.beyondScale).toEqual([]);
  });
});

describe('levels, categories and colours', () => {
  it.each([
    [0, 1, '优', 'Excellent', '#00E400'],
    [50, 1, '优', 'Excellent', '#00E400'],
    [51, 2, '良', 'Good', '#FFFF00'],
    [100, 2, '良', 'Good', '#FFFF00'],
    [101, 3, '轻度污染', 'Lightly Polluted', '#FF7E00'],
    [150, 3, '轻度污染', 'Lightly Polluted', '#FF7E00'],
    [151, 4, '中度污染', 'Moderately Polluted', '#FF0000'],
    [200, 4, '中度污染', 'Moderately Polluted', '#FF0000'],
    [201, 5, '重度污染', 'Heavily Polluted', '#99004C'],
    [300, 5, '重度污染', 'Heavily Polluted', '#99004C'],
    [301, 6, '严重污染', 'Severely Polluted', '#7E0023'],
    [500, 6, '严重污染', 'Severely Polluted', '#7E0023'],
  ] as const)('describes HJ 633 AQI %s as level %s %s (%s) in %s', (aqi, level, zh, en, color) => {
    expect(describeAqi(aqi, 'HJ633-2026')).toEqual({ level, category: { zh, en }, color });
    expect(describeAqi(aqi, 'HJ633-2012')).toEqual({ level, category: { zh, en }, color });
  });

  it.each([
    [0, 1, 'Good', '#00E400'],
    [50, 1, 'Good', '#00E400'],
    [51, 2, 'Moderate', '#FFFF00'],
    [100, 2, 'Moderate', '#FFFF00'],
    [101, 3, 'Unhealthy for Sensitive Groups', '#FF7E00'],
    [150, 3, 'Unhealthy for Sensitive Groups', '#FF7E00'],
    [151, 4, 'Unhealthy', '#FF0000'],
    [200, 4, 'Unhealthy', '#FF0000'],
    [201, 5, 'Very Unhealthy', '#8F3F97'],
    [300, 5, 'Very Unhealthy', '#8F3F97'],
    [301, 6, 'Hazardous', '#7E0023'],
    [500, 6, 'Hazardous', '#7E0023'],
  ] as const)('describes US EPA AQI %s as level %s %s in %s', (aqi, level, en, color) => {
    const described = describeAqi(aqi, 'US-EPA-2024')!;
    expect([described.level, described.category.en, described.color]).toEqual([level, en, color]);
  });

  it('gives the result of computeAqiReport the level, category and colour of its AQI', () => {
    const result = computeAqiReport({ pm25_24h: 70 }, daily('HJ633-2026'))!;
    expect([result.level, result.category, result.color]).toEqual([
      3,
      { zh: '轻度污染', en: 'Lightly Polluted' },
      '#FF7E00',
    ]);
  });

  it('describes a negative or non-finite AQI as null', () => {
    expect([describeAqi(-1), describeAqi(Number.NaN), describeAqi(Infinity)]).toEqual([null, null, null]);
  });
});

describe('iaqi under US EPA 2024', () => {
  const columns = Object.keys(EPA) as AqiColumn[];

  it('covers exactly the eight EPA columns', () => {
    expect([...AQI_COLUMNS_BY_STANDARD['US-EPA-2024']].sort()).toEqual([...columns].sort());
  });

  it.each(columns)('maps both ends of every %s row onto the row’s index range', (column) => {
    const rows = EPA[column]!.rows;
    const atEnds = rows.map(([lo, hi]) => [
      iaqi('US-EPA-2024', column, epaAt(column, lo!)),
      iaqi('US-EPA-2024', column, epaAt(column, hi!)),
    ]);
    expect(atEnds).toEqual(rows.map(([, , iLo, iHi]) => [iLo, iHi]));
  });

  it.each(columns)('returns null for %s one truncation step above its last row', (column) => {
    const { rows, unit } = EPA[column]!;
    expect(iaqi('US-EPA-2024', column, epaAt(column, rows.at(-1)![1]! + unit))).toBeNull();
  });

  it('truncates PM2.5 to 0.1 µg/m³ before indexing (35.45 → 35.4 → 100; 35.5 → 101)', () => {
    expect(iaqi('US-EPA-2024', 'pm25_24h', 35.45)).toBe(100);
    expect(iaqi('US-EPA-2024', 'pm25_24h', 35.5)).toBe(101);
    expect(iaqi('US-EPA-2024', 'pm25_24h', 9.09)).toBe(50);
  });

  it('truncates PM10 to 1 µg/m³ before indexing (54.9 → 54 → 50)', () => {
    expect(iaqi('US-EPA-2024', 'pm10_24h', 54.9)).toBe(50);
    expect(iaqi('US-EPA-2024', 'pm10_24h', 55)).toBe(51);
  });

  it('truncates O3 to 0.001 ppm after converting from µg/m³', () => {
    // 140 µg/m³ × 24.4654 / 48.00 = 71.36 ppb = 0.07136 ppm → 0.071 → 101 (the first index of its row)
    expect(iaqi('US-EPA-2024', 'o3_8h', 140)).toBe(101);
    // 137 µg/m³ → 69.83 ppb → 0.069 ppm: 51 + 49 × (69−55)/(70−55) = 51 + 45.73 = 96.73 → 97
    expect(iaqi('US-EPA-2024', 'o3_8h', 137)).toBe(97);
  });

  it('rounds the index to the nearest integer, not up', () => {
    // PM2.5 12.0: 51 + 49 × (12.0−9.1)/(35.4−9.1) = 51 + 5.40 = 56.40 → 56
    expect(iaqi('US-EPA-2024', 'pm25_24h', 12)).toBe(56);
    // PM2.5 15.0: 51 + 49 × (15.0−9.1)/(35.4−9.1) = 51 + 10.99 = 61.99 → 62
    expect(iaqi('US-EPA-2024', 'pm25_24h', 15)).toBe(62);
  });

  it('converts NO2, SO2 and CO to ppb/ppm at 25 °C before indexing', () => {
    // NO2 200 µg/m³ × 24.4654 / 46.01 = 106.35 ppb → 106: 101 + 49 × 5/259 = 101.95 → 102
    expect(iaqi('US-EPA-2024', 'no2_1h', 200)).toBe(102);
    // SO2 200 µg/m³ × 24.4654 / 64.07 = 76.37 ppb → 76 → 101
    expect(iaqi('US-EPA-2024', 'so2_1h', 200)).toBe(101);
    // CO 10 mg/m³ × 24.4654 / 28.01 = 8.73 ppm → 8.7: 51 + 49 × 4.2/4.9 = 93
    expect(iaqi('US-EPA-2024', 'co_8h', 10)).toBe(93);
  });

  it('does not lose a unit to floating point when a whole ppb/ppm value is converted exactly', () => {
    // Molar volume at 25 °C and 1 atm, unrounded: 0.082057366 L·atm/(mol·K) × 298.15 K. Converting
    // e.g. 5 ppb O3 there and back gives 4.999999999999999; truncation must still read 5.
    const exactVolume = 0.082057366 * 298.15;
    const gases: [AqiColumn, number, number][] = [
      // column, molar mass (g/mol), one truncation unit in ppb (CO: in ppm)
      ['o3_8h', 48.0, 1],
      ['o3_1h', 48.0, 1],
      ['no2_1h', 46.01, 1],
      ['so2_1h', 64.07, 1],
      ['so2_24h', 64.07, 1],
      ['co_8h', 28.01, 0.1],
    ];
    for (const [column, molarMass, step] of gases) {
      const top = EPA[column]!.rows.at(-1)![1]! / EPA[column]!.unit;
      for (let k = 0; k <= Math.round(top); k++) {
        const at = (units: number) => iaqi('US-EPA-2024', column, (units * step * molarMass) / exactVolume);
        expect(at(k), `${column} ${k} units`).toBe(at(k + 0.5));
      }
    }
  });

  it('spreads the 2024 Hazardous row over 301–500 (PM10 500 µg/m³ → 384)', () => {
    // 301 + 199 × (500−425)/(604−425) = 301 + 83.38 = 384.38 → 384
    expect(iaqi('US-EPA-2024', 'pm10_24h', 500)).toBe(384);
  });

  it('leaves O3 1h below 0.125 ppm and SO2 24h below 305 ppb to the other column', () => {
    // O3 200 µg/m³ → 101.9 ppb; SO2 500 µg/m³ → 190.9 ppb
    expect(iaqi('US-EPA-2024', 'o3_1h', 200)).toBeNull();
    expect(iaqi('US-EPA-2024', 'so2_24h', 500)).toBeNull();
  });

  it('returns null for the HJ-only columns', () => {
    expect([
      iaqi('US-EPA-2024', 'no2_24h', 10),
      iaqi('US-EPA-2024', 'co_24h', 1),
      iaqi('US-EPA-2024', 'co_1h', 1),
    ]).toEqual([null, null, null]);
  });

  it('returns null for CO 8h under HJ 633, which has no such column', () => {
    expect(iaqi('HJ633-2026', 'co_8h', 1)).toBeNull();
  });
});

describe('computeAqiReport under US EPA 2024', () => {
  it('reports SO2 from the 24-hour mean once SO2 1h reaches 305 ppb', () => {
    // 1000 µg/m³ → 381.9 ppb: 1h undefined. 24h 381 ppb: 201 + 99 × (381−305)/(604−305) = 226.16 → 226
    const result = computeAqiReport({ so2_1h: 1000, so2_24h: 1000 }, daily('US-EPA-2024'))!;
    expect(result.subIndices).toEqual({ so2_24h: 226 });
  });

  it('keeps SO2 at the 1-hour top (200) and flags it when the 24-hour mean cannot take over', () => {
    // so2_24h 500 µg/m³ = 190.9 ppb lies below the 24-hour rows.
    const result = computeAqiReport({ so2_1h: 1000, so2_24h: 500 }, daily('US-EPA-2024'))!;
    expect(result.subIndices).toEqual({ so2_1h: 200 });
    expect(result.beyondScale).toEqual(['so2_1h']);
  });

  it('reports O3 from the 1-hour mean once O3 8h exceeds 0.200 ppm', () => {
    // o3_8h 450 µg/m³ = 0.229 ppm: dropped. o3_1h 600 µg/m³ = 0.305 ppm: 201 + 99 × 100/199 = 250.75 → 251
    const result = computeAqiReport({ o3_8h: 450, o3_1h: 600 }, daily('US-EPA-2024'))!;
    expect(result.subIndices).toEqual({ o3_1h: 251 });
    expect(result.aqi).toBe(251);
  });

  it('reports the higher of the O3 1-hour and 8-hour sub-indices', () => {
    // o3_8h 137 → 97; o3_1h 300 µg/m³ = 0.1529 ppm → 0.152: 101 + 49 × 27/39 = 134.92 → 135
    const result = computeAqiReport({ o3_8h: 137, o3_1h: 300 }, daily('US-EPA-2024'))!;
    expect(result.subIndices).toEqual({ o3_8h: 97, o3_1h: 135 });
    expect(result.primaryPollutants).toEqual(['o3']);
  });

  it('uses EPA’s own palette and names, e.g. purple #8F3F97 for Very Unhealthy', () => {
    // PM2.5 150: 201 + 99 × (150−125.5)/(225.4−125.5) = 225.28 → 225
    const result = computeAqiReport({ pm25_24h: 150 }, daily('US-EPA-2024'))!;
    expect([result.aqi, result.level, result.category.en, result.color]).toEqual([
      225,
      5,
      'Very Unhealthy',
      '#8F3F97',
    ]);
  });

  it('gives the same result in real-time and daily mode', () => {
    const input = { pm25_24h: 40, pm10_24h: 200, no2_1h: 200, co_8h: 10, so2_1h: 200, o3_8h: 137 };
    const { mode: _d, ...inDaily } = computeAqiReport(input, daily('US-EPA-2024'))!;
    const { mode: _r, ...inRealtime } = computeAqiReport(input, realtime('US-EPA-2024'))!;
    expect(inRealtime).toEqual(inDaily);
  });

  it('ignores the HJ-only CO columns and reads the 8-hour mean', () => {
    expect(computeAqiReport({ co_1h: 10, co_24h: 10 }, daily('US-EPA-2024'))).toBeNull();
    expect(computeAqiReport({ co_8h: 10 }, daily('US-EPA-2024'))!.subIndices).toEqual({ co_8h: 93 });
  });
});

describe('invalid input', () => {
  const bad = [-1, -0.01, Number.NaN, Infinity, -Infinity];

  it.each(AQI_STANDARDS)(
    'returns null from iaqi under %s for negative, NaN and infinite values',
    (standard) => {
      for (const column of AQI_COLUMNS_BY_STANDARD[standard]) {
        for (const c of bad) expect(iaqi(standard, column, c), `${column} ${c}`).toBeNull();
      }
    },
  );

  it('returns null from computeAqiReport when no concentration is given', () => {
    expect(computeAqiReport({}, daily('HJ633-2026'))).toBeNull();
    expect(computeAqiReport({ pm25_24h: null, pm10_24h: undefined }, daily('HJ633-2026'))).toBeNull();
  });

  it('returns null from computeAqiReport when every given concentration is unusable', () => {
    expect(computeAqiReport({ pm25_24h: -5, pm10_24h: Number.NaN }, daily('HJ633-2026'))).toBeNull();
  });

  it('ignores and lists unusable concentrations while indexing the usable ones', () => {
    const input = { pm25_24h: 70, pm10_24h: -3, no2_24h: Infinity, so2_24h: '12' as unknown as number };
    const result = computeAqiReport(input, daily('HJ633-2026'))!;
    expect(result.aqi).toBe(110);
    expect(result.invalidInputs).toEqual(['pm10_24h', 'so2_24h', 'no2_24h']);
  });

  it('rejects an unknown standard loudly', () => {
    expect(() =>
      computeAqiReport({ pm25_24h: 10 }, { standard: 'WHO-2021' as AqiStandard, mode: 'daily' }),
    ).toThrow(/Unknown AQI standard/);
  });
});

describe('monotonicity (property sweep)', () => {
  /** Sweep ceiling per pollutant, in µg/m³ (CO mg/m³): past the top of every standard's table. */
  const SWEEP_MAX: Record<string, number> = { pm25: 700, pm10: 800, so2: 3200, no2: 4500, co: 160, o3: 1600 };

  /** Deterministic pseudo-random numbers in [0, 1) (LCG), so a failure reproduces. */
  const lcg = (seed: number) => {
    let s = seed;
    return () => {
      s = (s * 1664525 + 1013904223) % 2 ** 32;
      return s / 2 ** 32;
    };
  };

  const cases = AQI_STANDARDS.flatMap((standard) =>
    AQI_COLUMNS_BY_STANDARD[standard].map((column) => [standard, column] as const),
  );

  it.each(cases)('never lowers the %s %s sub-index as the concentration rises', (standard, column) => {
    const max = SWEEP_MAX[column.split('_')[0]!]!;
    const random = lcg(column.length * 7919 + standard.length);
    const grid = Array.from({ length: 6001 }, (_, i) => (i / 6000) * max);
    const scattered = Array.from({ length: 3000 }, () => random() * max);
    const concentrations = [...grid, ...scattered].sort((a, b) => a - b);

    let previous = -1;
    let defined = 0;
    for (const c of concentrations) {
      const value = iaqi(standard, column, c);
      if (value === null) continue;
      defined++;
      expect(value, `${standard} ${column} at ${c}`).toBeGreaterThanOrEqual(previous);
      previous = value;
    }
    expect(defined).toBeGreaterThan(500);
  });
});

// ---------------------------------------------------------------------------
// computeAqi: the compact API keyed PM2_5_24H … O3_8H.

/** DOMAIN.md column → the key computeAqi takes for it. */
const UPPER: Record<string, AqiConcentrationKey> = {
  pm25_24h: 'PM2_5_24H',
  pm10_24h: 'PM10_24H',
  so2_24h: 'SO2_24H',
  so2_1h: 'SO2_1H',
  no2_24h: 'NO2_24H',
  no2_1h: 'NO2_1H',
  co_24h: 'CO_24H',
  co_1h: 'CO_1H',
  o3_1h: 'O3_1H',
  o3_8h: 'O3_8H',
};

describe('computeAqi keys', () => {
  it('accepts the twelve keys of the issue plus CO_8H', () => {
    expect([...AQI_CONCENTRATION_KEYS].sort()).toEqual(
      [
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
      ].sort(),
    );
  });

  it.each(['PM25_24H', 'pm25_24h', 'PM2_5', 'NO2_8H'])('throws an error naming the unknown key %s', (key) => {
    const input = { PM2_5_24H: 40, [key]: 10 } as AqiConcentrationsByKey;
    expect(() => computeAqi(input)).toThrow(new RegExp(`Unknown AQI concentration key: ${key}\\b`));
  });

  it('throws for an unknown key even when its value is undefined', () => {
    expect(() => computeAqi({ FOO: undefined } as AqiConcentrationsByKey)).toThrow(/FOO/);
  });

  it('throws for an unknown standard or mode', () => {
    expect(() => computeAqi({ PM2_5_24H: 10 }, { standard: 'WHO-2021' as AqiStandard })).toThrow(
      /Unknown AQI standard/,
    );
    expect(() => computeAqi({ PM2_5_24H: 10 }, { mode: 'hourly' as 'daily' })).toThrow(/Unknown AQI mode/);
  });

  it('defaults to HJ 633—2026', () => {
    const result = computeAqi({ PM2_5_24H: 60 })!;
    expect([result.standard, result.aqi]).toEqual(['HJ633-2026', 100]);
  });

  it('returns the AQI with level, categories, colour, primary and exceeding keys and sub-indices', () => {
    expect(computeAqi({ PM2_5_24H: 70, PM10_24H: 120, NO2_24H: 60, O3_8H: 190 })).toEqual({
      aqi: 128,
      level: 3,
      category: '轻度污染',
      categoryEn: 'Lightly Polluted',
      categoryZh: '轻度污染',
      color: '#FF7E00',
      primary: ['O3_8H'],
      exceeding: ['PM2_5_24H', 'O3_8H'],
      iaqi: { PM2_5_24H: 110, PM10_24H: 100, NO2_24H: 75, O3_8H: 128 },
      standard: 'HJ633-2026',
      mode: 'daily',
      beyondScale: [],
    });
  });

  it('returns null when no sub-index can be computed', () => {
    expect(computeAqi({})).toBeNull();
    expect(computeAqi({ PM2_5_24H: null, O3_8H: undefined })).toBeNull();
    expect(computeAqi({ PM2_5_24H: -5, PM10_24H: Number.NaN, O3_1H: Infinity })).toBeNull();
    // Realtime reads CO_1H, not CO_24H.
    expect(computeAqi({ CO_24H: 3 }, { mode: 'realtime' })).toBeNull();
  });

  it('ignores an invalid value and indexes the valid ones', () => {
    expect(computeAqi({ PM2_5_24H: -1, PM10_24H: 150 }, { standard: 'HJ633-2012' })!.iaqi).toEqual({
      PM10_24H: 100,
    });
  });
});

describe.each(HJ_TABLES)('computeAqi breakpoints under %s', (standard, table) => {
  const columns = Object.keys(table);

  it.each(columns)('maps every %s breakpoint row onto its IAQI step through its upper-case key', (column) => {
    const key = UPPER[column]!;
    const bps = table[column]!;
    expect(bps.map((c) => computeAqi({ [key]: c }, { standard })).map((r) => [r!.aqi, r!.iaqi])).toEqual(
      STEPS.slice(0, bps.length).map((step) => [step, { [key]: step }]),
    );
  });

  it.each(columns)('puts the midpoint of every %s segment at the middle of its IAQI step', (column) => {
    const key = UPPER[column]!;
    const bps = table[column]!;
    const midpoints = bps.slice(1).map((hi, i) => (bps[i]! + hi) / 2);
    expect(midpoints.map((c) => computeAqi({ [key]: c }, { standard })!.aqi)).toEqual(
      STEPS.slice(1, bps.length).map((hi, i) => (STEPS[i]! + hi) / 2),
    );
  });
});

describe('computeAqi HJ 633—2026 particulate steps', () => {
  it('reads PM2_5_24H 60 µg/m³ as IAQI 100 under HJ 633—2026 and 82 under HJ 633—2012', () => {
    expect(computeAqi({ PM2_5_24H: 60 }, { standard: 'HJ633-2026' })!.aqi).toBe(100);
    expect(computeAqi({ PM2_5_24H: 60 }, { standard: 'HJ633-2012' })!.aqi).toBe(82);
  });

  it('reads PM10_24H 120 µg/m³ as IAQI 100 under HJ 633—2026 and 85 under HJ 633—2012', () => {
    expect(computeAqi({ PM10_24H: 120 }, { standard: 'HJ633-2026' })!.aqi).toBe(100);
    expect(computeAqi({ PM10_24H: 120 }, { standard: 'HJ633-2012' })!.aqi).toBe(85);
  });

  it('reads the 1-hour PM means against the 2026 24-hour columns in a real-time report', () => {
    const result = computeAqi({ PM2_5_1H: 60, PM10_1H: 120 }, { standard: 'HJ633-2026' })!;
    expect([result.mode, result.iaqi]).toEqual(['realtime', { PM2_5_1H: 100, PM10_1H: 100 }]);
  });

  it('leaves the other columns as in HJ 633—2012', () => {
    const input = { SO2_24H: 300, NO2_24H: 200, CO_24H: 20, O3_1H: 350, O3_8H: 240 };
    expect(computeAqi(input, { standard: 'HJ633-2026' })!.iaqi).toEqual(
      computeAqi(input, { standard: 'HJ633-2012' })!.iaqi,
    );
  });
});

describe('computeAqi mode inference', () => {
  it('infers a daily report when only 24-hour and O3 keys are given', () => {
    const input = { PM2_5_24H: 40, PM10_24H: 60, SO2_24H: 20, NO2_24H: 30, CO_24H: 1, O3_1H: 120, O3_8H: 90 };
    expect(computeAqi(input)!.mode).toBe('daily');
  });

  it.each(['SO2_1H', 'NO2_1H', 'CO_1H', 'PM2_5_1H', 'PM10_1H'] as const)(
    'infers a real-time report when %s is given',
    (key) => {
      expect(computeAqi({ [key]: 1, PM2_5_24H: 40, O3_8H: 90 })!.mode).toBe('realtime');
    },
  );

  it('does not count O3_1H as a real-time key', () => {
    expect(computeAqi({ O3_1H: 120 })!.mode).toBe('daily');
  });

  it('does not count a null or undefined 1-hour value as given', () => {
    const result = computeAqi({ NO2_1H: null, CO_1H: undefined, NO2_24H: 80 })!;
    expect([result.mode, result.iaqi]).toEqual(['daily', { NO2_24H: 100 }]);
  });

  it('reads the 1-hour columns of SO2, NO2 and CO in an inferred real-time report', () => {
    const result = computeAqi({
      SO2_1H: 150,
      SO2_24H: 150,
      NO2_1H: 200,
      NO2_24H: 200,
      CO_1H: 10,
      CO_24H: 10,
    })!;
    expect([result.mode, result.iaqi]).toEqual(['realtime', { SO2_1H: 50, NO2_1H: 100, CO_1H: 100 }]);
  });

  it('lets an explicit mode override the inference', () => {
    const input = { NO2_1H: 200, NO2_24H: 40 };
    expect(computeAqi(input, { mode: 'daily' })!.iaqi).toEqual({ NO2_24H: 50 });
    expect(computeAqi({ NO2_24H: 40, NO2_1H: null }, { mode: 'realtime' })).toBeNull();
  });
});

describe('computeAqi real-time particulates when the 1-hour mean is missing', () => {
  it('reads PM2_5_24H under HJ 633—2026 and reports it under PM2_5_24H', () => {
    const result = computeAqi({ PM2_5_24H: 60, NO2_1H: 100 }, { standard: 'HJ633-2026' })!;
    expect(result).toMatchObject({ mode: 'realtime', aqi: 100, primary: ['PM2_5_24H'] });
    expect(result.iaqi).toEqual({ PM2_5_24H: 100, NO2_1H: 50 });
  });

  it('reads PM10_24H under HJ 633—2026 and reports it under PM10_24H', () => {
    const result = computeAqi({ PM10_24H: 120, CO_1H: 5 }, { standard: 'HJ633-2026' })!;
    expect(result.iaqi).toEqual({ PM10_24H: 100, CO_1H: 50 });
  });

  it('reads the 24-hour mean under HJ 633—2026 when the real-time mode is explicit', () => {
    expect(computeAqi({ PM2_5_24H: 60 }, { standard: 'HJ633-2026', mode: 'realtime' })!.iaqi).toEqual({
      PM2_5_24H: 100,
    });
  });

  it('prefers a given 1-hour mean to the 24-hour mean under HJ 633—2026', () => {
    const result = computeAqi({ PM2_5_1H: 35, PM2_5_24H: 60, NO2_1H: 100 }, { standard: 'HJ633-2026' })!;
    expect(result.iaqi).toEqual({ PM2_5_1H: 50, NO2_1H: 50 });
  });

  it('reports the substituted 24-hour key as beyond the scale', () => {
    const result = computeAqi({ PM2_5_24H: 600, NO2_1H: 10 }, { standard: 'HJ633-2026' })!;
    expect([result.aqi, result.beyondScale, result.primary]).toEqual([500, ['PM2_5_24H'], ['PM2_5_24H']]);
  });

  it('reads the 24-hour means and ignores the 1-hour PM means under HJ 633—2012', () => {
    const result = computeAqi({ PM2_5_1H: 150, PM2_5_24H: 35, NO2_1H: 10 }, { standard: 'HJ633-2012' })!;
    expect(result.iaqi).toEqual({ PM2_5_24H: 50, NO2_1H: 5 });
    expect(computeAqi({ PM2_5_1H: 150 }, { standard: 'HJ633-2012' })).toBeNull();
  });
});

describe('computeAqi special rules for SO2 1h and O3 8h', () => {
  it('pins SO2_1H above 800 µg/m³ at IAQI 200 under HJ 633—2026', () => {
    for (const c of [800.1, 801, 5000]) {
      const result = computeAqi({ SO2_1H: c, SO2_24H: 1600 }, { standard: 'HJ633-2026' })!;
      expect([result.aqi, result.iaqi, result.beyondScale]).toEqual([200, { SO2_1H: 200 }, []]);
    }
  });

  it('reports SO2 from SO2_24H when SO2_1H is above 800 µg/m³ under HJ 633—2012', () => {
    const result = computeAqi({ SO2_1H: 801, SO2_24H: 1600 }, { standard: 'HJ633-2012' })!;
    expect(result).toMatchObject({ mode: 'realtime', aqi: 300, primary: ['SO2_24H'], beyondScale: [] });
    expect(result.iaqi).toEqual({ SO2_24H: 300 });
  });

  it('keeps SO2_1H at 200 and beyond the scale under HJ 633—2012 when SO2_24H is missing', () => {
    const result = computeAqi({ SO2_1H: 801 }, { standard: 'HJ633-2012' })!;
    expect([result.aqi, result.iaqi, result.beyondScale]).toEqual([200, { SO2_1H: 200 }, ['SO2_1H']]);
  });

  it('indexes SO2_1H of exactly 800 µg/m³ as 200 under both HJ standards', () => {
    for (const standard of ['HJ633-2012', 'HJ633-2026'] as const) {
      expect(computeAqi({ SO2_1H: 800, SO2_24H: 1600 }, { standard })!.iaqi).toEqual({ SO2_1H: 200 });
    }
  });

  it('pins O3_8H above 800 µg/m³ at IAQI 300 under HJ 633—2026', () => {
    const result = computeAqi({ O3_8H: 801, O3_1H: 300 }, { standard: 'HJ633-2026' })!;
    expect([result.aqi, result.iaqi, result.primary, result.beyondScale]).toEqual([
      300,
      { O3_1H: 150, O3_8H: 300 },
      ['O3_8H'],
      [],
    ]);
  });

  it('reports O3 from O3_1H when O3_8H is above 800 µg/m³ under HJ 633—2012', () => {
    const result = computeAqi({ O3_8H: 801, O3_1H: 1000 }, { standard: 'HJ633-2012' })!;
    expect([result.aqi, result.iaqi, result.primary]).toEqual([400, { O3_1H: 400 }, ['O3_1H']]);
  });

  it('keeps O3_8H at 300 and beyond the scale under HJ 633—2012 when O3_1H is missing', () => {
    const result = computeAqi({ O3_8H: 900 }, { standard: 'HJ633-2012' })!;
    expect([result.aqi, result.iaqi, result.beyondScale]).toEqual([300, { O3_8H: 300 }, ['O3_8H']]);
  });

  it('reports a concentration above the top of its column at the top IAQI, beyond the scale', () => {
    const result = computeAqi({ PM10_24H: 700, NO2_24H: 80 }, { standard: 'HJ633-2012' })!;
    expect([result.aqi, result.iaqi, result.beyondScale]).toEqual([
      500,
      { PM10_24H: 500, NO2_24H: 100 },
      ['PM10_24H'],
    ]);
  });
});

describe('computeAqi rounding under HJ 633', () => {
  it.each(['HJ633-2026', 'HJ633-2012'] as const)('rounds every sub-index up under %s', (standard) => {
    // 50.125, 50.5, 50.25 and 100.009 on paper.
    const result = computeAqi({ PM2_5_24H: 35.1, NO2_24H: 40.4, CO_24H: 2.01, O3_8H: 160.01 }, { standard })!;
    expect(result.iaqi).toEqual({ PM2_5_24H: 51, NO2_24H: 51, CO_24H: 51, O3_8H: 101 });
    expect(computeAqi({ NO2_1H: 101 }, { standard })!.aqi).toBe(51);
  });

  it('grades a concentration just above the level-1 limit as 良, not 优', () => {
    const result = computeAqi({ PM2_5_24H: 35.1 })!;
    expect([result.aqi, result.level, result.category]).toEqual([51, 2, '良']);
  });

  it('keeps a sub-index that is an integer on paper at that integer', () => {
    // Floating point gives 55.00000000000001 (CO 2.2 mg/m³) and 46.00000000000001 (PM2.5 32.2 µg/m³).
    expect(computeAqi({ CO_24H: 2.2, PM2_5_24H: 32.2 })!.iaqi).toEqual({ CO_24H: 55, PM2_5_24H: 46 });
  });
});

describe('computeAqi primary and exceeding keys', () => {
  it('lists every key tied at the maximum as primary', () => {
    const result = computeAqi({ PM2_5_24H: 75, PM10_24H: 150, NO2_24H: 40 }, { standard: 'HJ633-2012' })!;
    expect([result.aqi, result.primary]).toEqual([100, ['PM2_5_24H', 'PM10_24H']]);
  });

  it('lists both O3 keys when their sub-indices tie', () => {
    expect(computeAqi({ O3_1H: 200, O3_8H: 160 })!.primary).toEqual(['O3_1H', 'O3_8H']);
  });

  it('lists no primary key when the AQI is 50', () => {
    const result = computeAqi({ PM2_5_24H: 35, PM10_24H: 50 })!;
    expect([result.aqi, result.primary]).toEqual([50, []]);
  });

  it('lists no primary key when the AQI is 0', () => {
    expect(computeAqi({ PM2_5_24H: 0 })!.primary).toEqual([]);
  });

  it('lists the only key at the maximum as primary when the AQI is 51', () => {
    const result = computeAqi({ PM2_5_24H: 35.1, PM10_24H: 50 })!;
    expect([result.aqi, result.primary]).toEqual([51, ['PM2_5_24H']]);
  });

  it('lists the keys whose sub-index is above 100 as exceeding', () => {
    const result = computeAqi({ PM2_5_24H: 115, PM10_24H: 151, NO2_24H: 80 }, { standard: 'HJ633-2012' })!;
    expect(result.iaqi).toEqual({ PM2_5_24H: 150, PM10_24H: 101, NO2_24H: 100 });
    expect([result.primary, result.exceeding]).toEqual([['PM2_5_24H'], ['PM2_5_24H', 'PM10_24H']]);
  });
});

describe('computeAqi levels, categories and colours at the boundaries', () => {
  it.each([
    [35, 50, 1, '优', 'Excellent', '#00E400'],
    [35.1, 51, 2, '良', 'Good', '#FFFF00'],
    [75, 100, 2, '良', 'Good', '#FFFF00'],
    [75.1, 101, 3, '轻度污染', 'Lightly Polluted', '#FF7E00'],
    [115, 150, 3, '轻度污染', 'Lightly Polluted', '#FF7E00'],
    [115.1, 151, 4, '中度污染', 'Moderately Polluted', '#FF0000'],
    [150, 200, 4, '中度污染', 'Moderately Polluted', '#FF0000'],
    [150.1, 201, 5, '重度污染', 'Heavily Polluted', '#99004C'],
    [250, 300, 5, '重度污染', 'Heavily Polluted', '#99004C'],
    [250.1, 301, 6, '严重污染', 'Severely Polluted', '#7E0023'],
  ] as const)(
    'grades HJ 633—2012 PM2_5_24H %s µg/m³ as AQI %s, level %s %s in its colour',
    (c, aqi, level, zh, en, color) => {
      const result = computeAqi({ PM2_5_24H: c }, { standard: 'HJ633-2012' })!;
      expect(result).toMatchObject({ aqi, level, category: zh, categoryZh: zh, categoryEn: en, color });
    },
  );

  it.each([
    [9.0, 50, 1, 'Good', '良好', '#00E400'],
    [9.1, 51, 2, 'Moderate', '中等', '#FFFF00'],
    [35.4, 100, 2, 'Moderate', '中等', '#FFFF00'],
    [35.5, 101, 3, 'Unhealthy for Sensitive Groups', '对敏感人群不健康', '#FF7E00'],
    [55.4, 150, 3, 'Unhealthy for Sensitive Groups', '对敏感人群不健康', '#FF7E00'],
    [55.5, 151, 4, 'Unhealthy', '不健康', '#FF0000'],
    [125.4, 200, 4, 'Unhealthy', '不健康', '#FF0000'],
    [125.5, 201, 5, 'Very Unhealthy', '非常不健康', '#8F3F97'],
    [225.4, 300, 5, 'Very Unhealthy', '非常不健康', '#8F3F97'],
    [225.5, 301, 6, 'Hazardous', '危险', '#7E0023'],
  ] as const)(
    'grades US EPA PM2_5_24H %s µg/m³ as AQI %s, level %s %s in its colour',
    (c, aqi, level, en, zh, color) => {
      const result = computeAqi({ PM2_5_24H: c }, { standard: 'US-EPA-2024' })!;
      expect(result).toMatchObject({ aqi, level, category: en, categoryEn: en, categoryZh: zh, color });
    },
  );
});

describe('computeAqi under US EPA 2024', () => {
  const epa = { standard: 'US-EPA-2024' } as const;
  const PM25_ROWS = [
    [0.0, 9.0, 0, 50],
    [9.1, 35.4, 51, 100],
    [35.5, 55.4, 101, 150],
    [55.5, 125.4, 151, 200],
    [125.5, 225.4, 201, 300],
    [225.5, 325.4, 301, 500],
  ] as const;

  it.each(PM25_ROWS)('maps PM2_5_24H %s–%s µg/m³ onto AQI %s–%s', (lo, hi, iLo, iHi) => {
    expect([computeAqi({ PM2_5_24H: lo }, epa)!.aqi, computeAqi({ PM2_5_24H: hi }, epa)!.aqi]).toEqual([
      iLo,
      iHi,
    ]);
  });

  it('truncates PM2.5 to 0.1 µg/m³ before looking up the row', () => {
    expect(computeAqi({ PM2_5_24H: 9.09 }, epa)!.aqi).toBe(50);
    expect(computeAqi({ PM2_5_24H: 35.49 }, epa)!.aqi).toBe(100);
    expect(computeAqi({ PM2_5_24H: 225.49 }, epa)!.aqi).toBe(300);
  });

  it('rounds the index to the nearest integer', () => {
    // 9.2 → 51.19 → 51 (HJ 633 would round up); 9.6 → 51.93 → 52; 12.0 → 56.40 → 56.
    expect([9.2, 9.6, 12.0].map((c) => computeAqi({ PM2_5_24H: c }, epa)!.aqi)).toEqual([51, 52, 56]);
  });

  it('reports PM2_5_24H above 325.4 µg/m³ at 500, beyond the scale', () => {
    const result = computeAqi({ PM2_5_24H: 400 }, epa)!;
    expect([result.aqi, result.beyondScale]).toEqual([500, ['PM2_5_24H']]);
  });

  it('converts gases from µg/m³ (CO mg/m³) to ppb/ppm at 25 °C', () => {
    const result = computeAqi(
      {
        O3_8H: epaAt('o3_8h', 0.07),
        NO2_1H: epaAt('no2_1h', 100),
        SO2_1H: epaAt('so2_1h', 75),
        CO_8H: epaAt('co_8h', 9.4),
      },
      epa,
    )!;
    expect(result.iaqi).toEqual({ SO2_1H: 100, NO2_1H: 100, O3_8H: 100, CO_8H: 100 });
  });

  it('reads a µg/m³ value that HJ 633 indexes as 100 differently', () => {
    // NO2 1h 200 µg/m³ = 106.3 ppb → 106 → 101 + 49 × 5/259 = 101.9 → 102.
    expect(computeAqi({ NO2_1H: 200 }, { standard: 'HJ633-2026' })!.aqi).toBe(100);
    expect(computeAqi({ NO2_1H: 200 }, epa)!.aqi).toBe(102);
  });

  it('reports SO2 from SO2_24H from 305 ppb of SO2_1H up', () => {
    const result = computeAqi({ SO2_1H: epaAt('so2_1h', 400), SO2_24H: epaAt('so2_24h', 604) }, epa)!;
    expect([result.aqi, result.iaqi]).toEqual([300, { SO2_24H: 300 }]);
  });

  it('reads CO_8H and ignores CO_1H and CO_24H', () => {
    expect(computeAqi({ CO_1H: 10, CO_24H: 10 }, epa)).toBeNull();
    expect(computeAqi({ CO_1H: 10, CO_8H: 10 }, epa)!.iaqi).toEqual({ CO_8H: 93 });
  });

  it('colours level 5 #8F3F97 (Very Unhealthy)', () => {
    const result = computeAqi({ PM2_5_24H: 150 }, epa)!;
    expect(result).toMatchObject({
      level: 5,
      category: 'Very Unhealthy',
      categoryZh: '非常不健康',
      color: '#8F3F97',
    });
  });

  it('gives the same index whatever the mode', () => {
    const input = { PM2_5_24H: 40, NO2_1H: 150, O3_8H: 120 };
    const { mode: inferred, ...realtimeResult } = computeAqi(input, epa)!;
    const { mode: _daily, ...dailyResult } = computeAqi(input, { ...epa, mode: 'daily' })!;
    expect(inferred).toBe('realtime');
    expect(realtimeResult).toEqual(dailyResult);
  });
});

describe('computeAqi agrees with computeAqiReport', () => {
  const LOWER: Record<AqiConcentrationKey, string> = {
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
    CO_8H: 'co_8h',
    O3_1H: 'o3_1h',
    O3_8H: 'o3_8h',
  };
  const input: AqiConcentrationsByKey = {
    PM2_5_24H: 70,
    PM2_5_1H: 90,
    PM10_24H: 130,
    PM10_1H: 160,
    SO2_24H: 40,
    SO2_1H: 300,
    NO2_24H: 70,
    NO2_1H: 150,
    CO_24H: 1.5,
    CO_1H: 3,
    CO_8H: 2,
    O3_1H: 230,
    O3_8H: 170,
  };
  const cases = AQI_STANDARDS.flatMap((standard) =>
    (['daily', 'realtime'] as const).map((mode) => [standard, mode] as const),
  );

  it.each(cases)(
    'gives the same AQI and sub-indices under %s (%s) when every key is given',
    (standard, mode) => {
      const compact = computeAqi(input, { standard, mode })!;
      const lower = Object.fromEntries(
        Object.entries(input).map(([key, value]) => [LOWER[key as AqiConcentrationKey], value]),
      );
      const report = computeAqiReport(lower, { standard, mode })!;
      expect([compact.aqi, compact.level, compact.color]).toEqual([report.aqi, report.level, report.color]);
      expect(
        Object.fromEntries(
          Object.entries(compact.iaqi).map(([key, value]) => [LOWER[key as AqiConcentrationKey], value]),
        ),
      ).toEqual(report.subIndices);
    },
  );
});

describe('PollutantMeans', () => {
  it('gives each pollutant the mean of the values added for it, and none for the others', () => {
    const means = new PollutantMeans();
    means.add('pm25', 50);
    means.add('pm25', 100);
    means.add('no2', 40);

    expect([means.mean('pm25'), means.mean('no2'), means.mean('o3')]).toEqual([75, 40, undefined]);
  });

  it('indexes the means as a real-time report, each mean standing in for the longer means a standard reads', () => {
    const means = new PollutantMeans();
    means.add('pm25', 50);
    means.add('pm25', 100);
    means.add('co', 4);

    // HJ 633—2012 reads PM2.5 as the 24-hour mean: 75 µg/m³ is IAQI 100.
    const hj2012 = means.realtimeAqi('HJ633-2012');
    expect(hj2012?.aqi).toBe(100);
    expect(Object.keys(hj2012?.subIndices ?? {}).sort()).toEqual(['co_1h', 'pm25_24h']);
    // US EPA reads CO as the 8-hour mean.
    expect(Object.keys(means.realtimeAqi('US-EPA-2024')?.subIndices ?? {}).sort()).toEqual([
      'co_8h',
      'pm25_24h',
    ]);
  });

  it('gives no report before any value', () => {
    expect(new PollutantMeans().realtimeAqi('HJ633-2026')).toBeNull();
  });
});

describe('isConcentration', () => {
  it('takes finite values from zero up and nothing else', () => {
    expect([0, 0.4, 35, 1_000].every(isConcentration)).toBe(true);
    for (const bad of [undefined, -0.1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(isConcentration(bad)).toBe(false);
  });
});
