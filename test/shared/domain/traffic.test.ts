import { describe, expect, it } from 'vitest';
import type { RoadClass } from '@shared/schemas/sensor.schema';
import { DEFAULT_CITY_PACK_DIR, loadCityPack } from '../../../server/src/cityPack/cityPack.loader';
import {
  CONGESTION_STATES,
  FREE_FLOW_KMH,
  SPEED_GRADE_KMH,
  computeTraffic,
  congestionState,
  delayRatio,
  detectorVolumeVehPerH,
  dtpFromTpi,
  networkIndex,
  NOMINAL_VOLUME_VEH_PER_H,
  speedGrade,
  tpiFromDtp,
  travelTimeIndex,
  type CongestionStateId,
} from '@shared/domain/traffic';

const ROAD_CLASSES: RoadClass[] = ['expressway', 'arterial', 'secondary'];
const BAD_SPEEDS = [0, -5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

/** Speeds 0.1 … 150 km/h in steps of 0.1, fastest first (built from integers to avoid drift). */
const SLOWING_DOWN = Array.from({ length: 1500 }, (_, i) => (1500 - i) / 10);

const stateId = (tpi: number) => congestionState(tpi)?.id;

describe('travelTimeIndex', () => {
  it('divides the free-flow speed by the segment speed', () => {
    expect(travelTimeIndex(20, 40)).toBe(2);
  });

  it('falls below 1 when traffic runs faster than free flow', () => {
    expect(travelTimeIndex(50, 40)).toBe(0.8);
  });

  it.each(BAD_SPEEDS)('returns null for a speed of %s km/h instead of throwing', (speed) => {
    expect(travelTimeIndex(speed, 40)).toBeNull();
  });

  it.each(BAD_SPEEDS)('returns null for a free-flow speed of %s km/h', (freeFlow) => {
    expect(travelTimeIndex(30, freeFlow)).toBeNull();
  });
});

describe('delayRatio', () => {
  it('is the share of actual travel time spent in delay, 1 − 1/TTI', () => {
    // 10 min actual vs 4 min free flow: 6 of 10 minutes are delay.
    expect(delayRatio(10 / 4)).toBe(0.6);
    expect(delayRatio(4)).toBe(0.75);
  });

  it('is 0 at free flow', () => {
    expect(delayRatio(1)).toBe(0);
  });

  it('clamps to 0 when traffic is faster than free flow, since negative delay is no delay', () => {
    expect(delayRatio(0.8)).toBe(0);
  });

  it('reaches 1 for an infinite TTI', () => {
    expect(delayRatio(Number.POSITIVE_INFINITY)).toBe(1);
  });

  it.each([0, -1, Number.NaN, Number.NEGATIVE_INFINITY])('returns null for a TTI of %s', (tti) => {
    expect(delayRatio(tti)).toBeNull();
  });

  it.each([0.3, 0.5, 0.6, 0.7])('recovers DTP %s exactly from TTI = 1/(1 − DTP)', (dtp) => {
    expect(delayRatio(1 / (1 - dtp))).toBe(dtp);
  });
});

describe('the GB/T 33171 table', () => {
  it.each([
    [0.3, '1.43'],
    [0.5, '2.00'],
    [0.6, '2.50'],
    [0.7, '3.33'],
  ])('prints the TTI at DTP %s as 1/(1 − DTP) rounded to %s', (dtp, printed) => {
    expect((1 / (1 - dtp)).toFixed(2)).toBe(printed);
  });

  it.each([
    [1.42, 'free'],
    [1 / 0.7, 'basically-free'],
    [2, 'light'],
    [2.5, 'moderate'],
    [10 / 3, 'severe'],
  ])('gives TTI %s the state %s, each exact TTI edge opening the worse band', (tti, id) => {
    expect(stateId(tpiFromDtp(delayRatio(tti) ?? Number.NaN) ?? Number.NaN)).toBe(id);
  });

  it('already calls the printed TTI 1.43 basically free, since the exact edge 1/0.7 rounds up to it', () => {
    expect(stateId(tpiFromDtp(delayRatio(1.43) ?? Number.NaN) ?? Number.NaN)).toBe('basically-free');
  });

  it('still calls the printed TTI 3.33 moderate, since the exact edge 10/3 rounds down to it', () => {
    expect(stateId(tpiFromDtp(delayRatio(3.33) ?? Number.NaN) ?? Number.NaN)).toBe('moderate');
  });
});

describe('tpiFromDtp', () => {
  it.each([
    [0, 0],
    [0.3, 2],
    [0.5, 4],
    [0.6, 6],
    [0.7, 8],
    [1, 10],
  ])('maps the DTP band edge %s to TPI %s', (dtp, tpi) => {
    expect(tpiFromDtp(dtp)).toBe(tpi);
  });

  it.each([
    [0.15, 1],
    [0.4, 3],
    [0.55, 5],
    [0.65, 7],
    [0.85, 9],
  ])('interpolates linearly inside a band: DTP %s is TPI %s', (dtp, tpi) => {
    expect(tpiFromDtp(dtp)).toBeCloseTo(tpi, 12);
  });

  it.each([0.3, 0.5, 0.6, 0.7])('stays in the lower TPI band just below the DTP edge %s', (edge) => {
    const tpi = tpiFromDtp(edge - 1e-6) ?? Number.NaN;
    const lowerBand = CONGESTION_STATES.find((s) => s.dtpMax === edge);
    expect(congestionState(tpi)).toBe(lowerBand);
    expect(tpi).toBeGreaterThan((lowerBand?.tpiMax ?? 0) - 1e-4);
  });

  it('clamps DTP below 0 to TPI 0 and above 1 to TPI 10', () => {
    expect(tpiFromDtp(-0.2)).toBe(0);
    expect(tpiFromDtp(1.5)).toBe(10);
  });

  it('returns null for a NaN DTP', () => {
    expect(tpiFromDtp(Number.NaN)).toBeNull();
  });
});

describe('dtpFromTpi', () => {
  it('inverts tpiFromDtp across the whole scale', () => {
    for (let i = 0; i <= 1000; i++) {
      const tpi = i / 100;
      expect(tpiFromDtp(dtpFromTpi(tpi) ?? Number.NaN)).toBeCloseTo(tpi, 9);
    }
  });

  it('clamps TPI outside 0–10 and returns null for NaN', () => {
    expect(dtpFromTpi(-3)).toBe(0);
    expect(dtpFromTpi(12)).toBe(1);
    expect(dtpFromTpi(Number.NaN)).toBeNull();
  });
});

describe('congestionState', () => {
  it.each([
    [0, 'free'],
    [1.999, 'free'],
    [2, 'basically-free'],
    [3.999, 'basically-free'],
    [4, 'light'],
    [5.999, 'light'],
    [6, 'moderate'],
    [7.999, 'moderate'],
    [8, 'severe'],
    [10, 'severe'],
  ])('calls TPI %s %s', (tpi, id) => {
    expect(stateId(tpi)).toBe(id);
  });

  it('clamps TPI below 0 to free flow and above 10 to severe congestion', () => {
    expect(stateId(-1)).toBe('free');
    expect(stateId(11)).toBe('severe');
  });

  it('returns null for a NaN TPI', () => {
    expect(congestionState(Number.NaN)).toBeNull();
  });

  it('names the five states in Chinese and English, best first', () => {
    expect(CONGESTION_STATES.map((s) => [s.rank, s.id, s.zh, s.en])).toEqual([
      [0, 'free', '畅通', 'Free flow'],
      [1, 'basically-free', '基本畅通', 'Basically free'],
      [2, 'light', '轻度拥堵', 'Light congestion'],
      [3, 'moderate', '中度拥堵', 'Moderate congestion'],
      [4, 'severe', '严重拥堵', 'Severe congestion'],
    ]);
  });

  it('colours the states from green to dark red, each distinct and the worst the darkest red', () => {
    const rgb = CONGESTION_STATES.map((s) => {
      expect(s.color).toMatch(/^#[0-9a-f]{6}$/);
      return [1, 3, 5].map((i) => parseInt(s.color.slice(i, i + 2), 16)) as [number, number, number];
    });
    expect(new Set(CONGESTION_STATES.map((s) => s.color)).size).toBe(5);
    const [free, , , moderate, severe] = rgb;
    expect(free?.[1]).toBeGreaterThan(free?.[0] ?? 255);
    expect(severe?.[0]).toBeGreaterThan(severe?.[1] ?? 255);
    const brightness = (c: number[] | undefined) => (c ?? []).reduce((a, b) => a + b, 0);
    expect(brightness(severe)).toBeLessThan(brightness(moderate));
  });

  it('cannot be changed by a caller', () => {
    expect(Object.isFrozen(CONGESTION_STATES)).toBe(true);
    expect(CONGESTION_STATES.every((s) => Object.isFrozen(s))).toBe(true);
  });
});

describe('speedGrade', () => {
  const edges: Record<RoadClass, [number, CongestionStateId][]> = {
    expressway: [
      [65.1, 'free'],
      [65, 'basically-free'],
      [50.1, 'basically-free'],
      [50, 'light'],
      [35.1, 'light'],
      [35, 'moderate'],
      [20.1, 'moderate'],
      [20, 'severe'],
      [0, 'severe'],
    ],
    arterial: [
      [40.1, 'free'],
      [40, 'basically-free'],
      [30.1, 'basically-free'],
      [30, 'light'],
      [20.1, 'light'],
      [20, 'moderate'],
      [15.1, 'moderate'],
      [15, 'severe'],
      [0, 'severe'],
    ],
    secondary: [
      [35.1, 'free'],
      [35, 'basically-free'],
      [25.1, 'basically-free'],
      [25, 'light'],
      [15.1, 'light'],
      [15, 'moderate'],
      [10.1, 'moderate'],
      [10, 'severe'],
      [0, 'severe'],
    ],
  };
  const cases = ROAD_CLASSES.flatMap((c) => edges[c].map(([speed, id]) => [c, speed, id] as const));

  it.each(cases)(
    'grades %s at %s km/h as %s (a speed on an edge falls in the slower band)',
    (c, speed, id) => {
      expect(speedGrade(c, speed)?.id).toBe(id);
    },
  );

  it.each(ROAD_CLASSES)('grades %s traffic far above free flow as free', (c) => {
    expect(speedGrade(c, 130)?.id).toBe('free');
  });

  it.each(ROAD_CLASSES)('puts the %s free-flow speed on the edge of free flow', (c) => {
    expect(SPEED_GRADE_KMH[c][0]).toBe(FREE_FLOW_KMH[c]);
    expect(speedGrade(c, FREE_FLOW_KMH[c])?.id).toBe('basically-free');
  });

  it.each([-5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    'returns null for a speed of %s km/h instead of throwing',
    (speed) => {
      expect(speedGrade('arterial', speed)).toBeNull();
    },
  );
});

describe('FREE_FLOW_KMH', () => {
  it('is 65, 40 and 35 km/h for expressways, arterials and secondary roads', () => {
    expect(FREE_FLOW_KMH).toEqual({ expressway: 65, arterial: 40, secondary: 35 });
  });

  it('matches the free-flow speed of every traffic detector in the Hangzhou city pack', () => {
    const roads = loadCityPack(DEFAULT_CITY_PACK_DIR).sensors.flatMap((s) => (s.road ? [s.road] : []));
    expect(roads.length).toBeGreaterThan(0);
    for (const road of roads) expect(road.freeFlowKmh).toBe(FREE_FLOW_KMH[road.class]);
  });
});

describe('computeTraffic', () => {
  const arterial = { class: 'arterial', freeFlowKmh: 40 } as const;

  it('assesses a detector reading on both scales, which may disagree', () => {
    expect(computeTraffic({ speed: 20, volume: 900, occupancy: 0.3 }, arterial)).toEqual({
      tti: 2,
      dtp: 0.5,
      tpi: 4,
      state: expect.objectContaining({ id: 'light' }),
      speedGradeState: expect.objectContaining({ id: 'moderate' }),
    });
  });

  it('reports free flow with a TTI below 1 for traffic faster than free flow', () => {
    const result = computeTraffic({ speed: 80 }, { class: 'expressway', freeFlowKmh: 65 });
    expect(result?.tti).toBeCloseTo(0.8125, 12);
    expect(result).toMatchObject({ dtp: 0, tpi: 0, state: { id: 'free' }, speedGradeState: { id: 'free' } });
  });

  it('uses the road’s own free-flow speed for TTI and its class thresholds for the speed grade', () => {
    const result = computeTraffic({ speed: 25 }, { class: 'arterial', freeFlowKmh: 50 });
    expect(result).toMatchObject({ tti: 2, dtp: 0.5, speedGradeState: { id: 'light' } });
  });

  it('gives the same result with or without volume and occupancy', () => {
    expect(computeTraffic({ speed: 12, volume: 1500, occupancy: 0.9 }, arterial)).toEqual(
      computeTraffic({ speed: 12 }, arterial),
    );
  });

  it.each([
    [28, 2],
    [20, 4],
    [16, 6],
    [12, 8],
  ])('puts %s km/h of 40 exactly on TPI %s, opening the worse band', (speed, tpi) => {
    expect(computeTraffic({ speed }, arterial)?.tpi).toBe(tpi);
  });

  it.each([
    ['expressway', [45.5, 32.5, 26, 19.5]],
    ['secondary', [24.5, 17.5, 14, 10.5]],
  ] as const)('puts the %s speeds at DTP 0.3, 0.5, 0.6 and 0.7 exactly on a TPI edge', (c, speeds) => {
    const road = { class: c, freeFlowKmh: FREE_FLOW_KMH[c] };
    expect(speeds.map((speed) => computeTraffic({ speed }, road)?.tpi)).toEqual([2, 4, 6, 8]);
  });

  it.each([undefined, null, ...BAD_SPEEDS])('returns null for a speed of %s instead of throwing', (speed) => {
    expect(computeTraffic({ speed, volume: 0, occupancy: 0 }, arterial)).toBeNull();
  });

  it('returns null for a road without a usable free-flow speed', () => {
    expect(computeTraffic({ speed: 30 }, { class: 'arterial', freeFlowKmh: 0 })).toBeNull();
  });
});

describe('networkIndex', () => {
  it('returns null for an empty network', () => {
    expect(networkIndex([])).toBeNull();
  });

  it('returns null when every weight is zero', () => {
    expect(
      networkIndex([
        { speedKmh: 10, freeFlowKmh: 40, weight: 0 },
        { tpi: 9, volumeVehPerH: 0, lengthKm: 3 },
      ]),
    ).toBeNull();
  });

  it('returns null when no segment has a usable speed', () => {
    expect(
      networkIndex([
        { speedKmh: 0, freeFlowKmh: 40, weight: 100 },
        { speedKmh: Number.NaN, freeFlowKmh: 40, weight: 100 },
      ]),
    ).toBeNull();
  });

  it('is the weighted mean of the segments’ delay ratios', () => {
    const result = networkIndex([
      { speedKmh: 16, freeFlowKmh: 40, weight: 3 }, // DTP 0.6
      { speedKmh: 32, freeFlowKmh: 40, weight: 1 }, // DTP 0.2
    ]);
    expect(result).toEqual({ dtp: 0.5, tpi: 4, state: expect.objectContaining({ id: 'light' }) });
  });

  it('lets a long busy congested road outweigh a short empty free-flowing one', () => {
    const result = networkIndex([
      { speedKmh: 10, freeFlowKmh: 40, volumeVehPerH: 1800, lengthKm: 5 },
      { speedKmh: 40, freeFlowKmh: 40, volumeVehPerH: 50, lengthKm: 0.5 },
    ]);
    expect(result?.state.id).toBe('severe');
  });

  it('lets the free-flowing road win once it carries the traffic', () => {
    const result = networkIndex([
      { speedKmh: 10, freeFlowKmh: 40, volumeVehPerH: 50, lengthKm: 0.5 },
      { speedKmh: 40, freeFlowKmh: 40, volumeVehPerH: 1800, lengthKm: 5 },
    ]);
    expect(result?.state.id).toBe('free');
  });

  it('weighs volume × length like the same vehicle-kilometres given as a weight', () => {
    const congested = { speedKmh: 14, freeFlowKmh: 40 };
    const free = { speedKmh: 38, freeFlowKmh: 40 };
    expect(
      networkIndex([
        { ...congested, volumeVehPerH: 1200, lengthKm: 2.5 },
        { ...free, volumeVehPerH: 400, lengthKm: 1 },
      ]),
    ).toEqual(
      networkIndex([
        { ...congested, weight: 3000 },
        { ...free, weight: 400 },
      ]),
    );
  });

  it('averages segments given as TPI on their delay ratio, not on the TPI itself', () => {
    const result = networkIndex([
      { tpi: 8, weight: 1 }, // DTP 0.7
      { tpi: 0, weight: 1 }, // DTP 0
    ]);
    expect(result?.dtp).toBe(0.35);
    expect(result?.tpi).toBeCloseTo(2.5, 12);
  });

  it('mixes segments given as TPI and as speeds', () => {
    const result = networkIndex([
      { tpi: 6, weight: 1 }, // DTP 0.6
      { speedKmh: 26, freeFlowKmh: 65, weight: 1 }, // DTP 0.6
    ]);
    expect(result).toMatchObject({ dtp: 0.6, tpi: 6, state: { id: 'moderate' } });
  });

  it('leaves out segments without a usable speed or weight', () => {
    const usable = { speedKmh: 20, freeFlowKmh: 40, weight: 10 };
    expect(
      networkIndex([
        usable,
        { speedKmh: 0, freeFlowKmh: 40, weight: 1000 },
        { speedKmh: Number.NaN, freeFlowKmh: 40, weight: 1000 },
        { tpi: Number.NaN, weight: 1000 },
        { speedKmh: 40, freeFlowKmh: 40, weight: -1000 },
        { speedKmh: 40, freeFlowKmh: 40, weight: Number.POSITIVE_INFINITY },
        { speedKmh: 40, freeFlowKmh: 40, volumeVehPerH: Number.NaN, lengthKm: 2 },
      ]),
    ).toEqual(networkIndex([usable]));
  });
});

describe('monotonicity', () => {
  it.each(ROAD_CLASSES)('never gives a slower %s reading a better TPI or state', (c) => {
    const road = { class: c, freeFlowKmh: FREE_FLOW_KMH[c] };
    let previous = computeTraffic({ speed: SLOWING_DOWN[0] }, road);
    for (const speed of SLOWING_DOWN.slice(1)) {
      const current = computeTraffic({ speed }, road);
      expect(current?.tpi).toBeGreaterThanOrEqual(previous?.tpi ?? Number.NaN);
      expect(current?.state.rank).toBeGreaterThanOrEqual(previous?.state.rank ?? Number.NaN);
      expect(current?.speedGradeState.rank).toBeGreaterThanOrEqual(
        previous?.speedGradeState.rank ?? Number.NaN,
      );
      previous = current;
    }
  });

  it.each(ROAD_CLASSES)('walks a slowing %s reading through all five states on both scales', (c) => {
    const road = { class: c, freeFlowKmh: FREE_FLOW_KMH[c] };
    const results = SLOWING_DOWN.map((speed) => computeTraffic({ speed }, road));
    expect(new Set(results.map((r) => r?.state.id)).size).toBe(5);
    expect(new Set(results.map((r) => r?.speedGradeState.id)).size).toBe(5);
  });
});

describe('detectorVolumeVehPerH', () => {
  it('weighs a detector by what it reports, nothing when it counts no cars', () => {
    expect(detectorVolumeVehPerH(1_234, 'arterial')).toBe(1_234);
    expect(detectorVolumeVehPerH(0, 'arterial')).toBe(0);
  });

  it("falls back to the road class's nominal volume when the figure is missing or unusable", () => {
    for (const bad of [undefined, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(detectorVolumeVehPerH(bad, 'expressway')).toBe(NOMINAL_VOLUME_VEH_PER_H.expressway);
  });
});
