import type { RoadClass } from '../schemas/sensor.schema';

/**
 * Traffic congestion indices per GB/T 33171-2016 (城市交通运行状况评价规范).
 *
 * - TTI (行程时间比, travel-time index) = actual travel time / free-flow travel
 *   time. On a segment of fixed length this is free-flow speed / actual speed.
 * - DTP (延误时间比, delay ratio) = (actual − free-flow time) / actual time
 *   = 1 − 1/TTI, in [0, 1].
 * - TPI (交通运行指数, traffic performance index), 0–10, maps DTP band by band
 *   onto five congestion states (畅通 … 严重拥堵).
 * - Segment speed grading: a second, independent scale that grades a segment by
 *   its speed alone, with thresholds per road class.
 *
 * Conventions used throughout (the standard's tables leave some of them open):
 * - At a band edge the worse state wins. DTP/TPI bands are [lower, upper)
 *   (DTP 0.5 exactly is 轻度拥堵); speed bands are (lower, upper] (65 km/h on an
 *   expressway is 基本畅通, 20 km/h is 严重拥堵), matching the table's "> 65"
 *   and "≤ 20".
 * - Negative delay is no delay: traffic faster than free flow has TTI < 1 (kept
 *   as measured) but DTP 0 and TPI 0.
 * - Bad input (zero, negative, NaN or infinite speeds) never throws: functions
 *   return null, so a rule engine can treat it as "no value".
 *
 * Pure: no I/O, no clock.
 */

/** Identifier of a congestion state, from best to worst. */
export type CongestionStateId = 'free' | 'basically-free' | 'light' | 'moderate' | 'severe';

/** One of the five congestion states of GB/T 33171 with its TPI and DTP band. */
export interface CongestionState {
  id: CongestionStateId;
  /** 0 (畅通) … 4 (严重拥堵); compare states by rank, a higher rank is worse. */
  rank: 0 | 1 | 2 | 3 | 4;
  /** 中文名称 as in the standard. */
  zh: string;
  /** English name. */
  en: string;
  /** Display colour, `#rrggbb` (see {@link CONGESTION_STATES} for the palette). */
  color: string;
  /** Lowest TPI of the band (inclusive), 0–10. */
  tpiMin: number;
  /** Upper TPI bound of the band: exclusive, except 10 for 严重拥堵. */
  tpiMax: number;
  /** Lowest DTP of the band (inclusive), 0–1. */
  dtpMin: number;
  /** Upper DTP bound of the band: exclusive, except 1 for 严重拥堵. */
  dtpMax: number;
}

/**
 * The five states, best first, indexed by rank. DTP and TPI bands are the table
 * of GB/T 33171; its TTI column follows from TTI = 1/(1 − DTP): 1/0.7 ≈ 1.4286
 * (printed 1.43), 2, 2.5, 1/0.3 ≈ 3.3333 (printed 3.33). This module uses the
 * exact relation, not the printed roundings, so TTI 1.43 is already 基本畅通
 * and TTI 3.33 is still 中度拥堵 (严重拥堵 starts at TTI 10/3).
 *
 * Colours follow the convention of Chinese traffic-index maps (e.g. Beijing's
 * 交通指数): dark green, light green, yellow, red, dark red. Hex values are the
 * ColorBrewer RdYlGn hues (#1a9850, #a6d96a, #fee08b, #d73027) and CSS
 * `darkred` (#8b0000) for 严重拥堵, so the worst state is also the darkest.
 */
export const CONGESTION_STATES: readonly [
  CongestionState,
  CongestionState,
  CongestionState,
  CongestionState,
  CongestionState,
] = Object.freeze([
  Object.freeze({
    id: 'free',
    rank: 0,
    zh: '畅通',
    en: 'Free flow',
    color: '#1a9850',
    tpiMin: 0,
    tpiMax: 2,
    dtpMin: 0,
    dtpMax: 0.3,
  }),
  Object.freeze({
    id: 'basically-free',
    rank: 1,
    zh: '基本畅通',
    en: 'Basically free',
    color: '#a6d96a',
    tpiMin: 2,
    tpiMax: 4,
    dtpMin: 0.3,
    dtpMax: 0.5,
  }),
  Object.freeze({
    id: 'light',
    rank: 2,
    zh: '轻度拥堵',
    en: 'Light congestion',
    color: '#fee08b',
    tpiMin: 4,
    tpiMax: 6,
    dtpMin: 0.5,
    dtpMax: 0.6,
  }),
  Object.freeze({
    id: 'moderate',
    rank: 3,
    zh: '中度拥堵',
    en: 'Moderate congestion',
    color: '#d73027',
    tpiMin: 6,
    tpiMax: 8,
    dtpMin: 0.6,
    dtpMax: 0.7,
  }),
  Object.freeze({
    id: 'severe',
    rank: 4,
    zh: '严重拥堵',
    en: 'Severe congestion',
    color: '#8b0000',
    tpiMin: 8,
    tpiMax: 10,
    dtpMin: 0.7,
    dtpMax: 1,
  }),
]);

/** Free-flow speed per road class, km/h (GB/T 33171; the city pack's `road.freeFlowKmh` defaults). */
export const FREE_FLOW_KMH: Readonly<Record<RoadClass, number>> = Object.freeze({
  expressway: 65,
  arterial: 40,
  secondary: 35,
});

/**
 * Hourly volume assumed for a detector that reports none, veh/h: roughly one direction of each
 * class at a moderate load. It only weighs such a detector against the others in a
 * {@link networkIndex} (the wall's vitals on the server, the map's congestion cells).
 */
export const NOMINAL_VOLUME_VEH_PER_H: Readonly<Record<RoadClass, number>> = Object.freeze({
  expressway: 3000,
  arterial: 1500,
  secondary: 800,
});

/**
 * The weight volume of a detector in a {@link networkIndex}: what it reports when that is a
 * usable volume (finite, ≥ 0 — a detector counting no cars weighs nothing), else its road
 * class's {@link NOMINAL_VOLUME_VEH_PER_H}. One rule for the server's vitals and the map.
 */
export function detectorVolumeVehPerH(volume: number | undefined, roadClass: RoadClass): number {
  return volume !== undefined && Number.isFinite(volume) && volume >= 0
    ? volume
    : NOMINAL_VOLUME_VEH_PER_H[roadClass];
}

/**
 * Segment speed grading thresholds, km/h, per road class: the lower bound of
 * 畅通, 基本畅通, 轻度拥堵 and 中度拥堵 (each exclusive). A speed above the first
 * is 畅通, a speed at or below the last is 严重拥堵. `secondary` also covers
 * branch roads (次干路/支路).
 */
export const SPEED_GRADE_KMH: Readonly<Record<RoadClass, readonly [number, number, number, number]>> =
  Object.freeze({
    expressway: [65, 50, 35, 20],
    arterial: [40, 30, 20, 15],
    secondary: [35, 25, 15, 10],
  });

/**
 * Round a ratio to 1e-9 so that a value exactly on a band edge in real numbers
 * (28 of 40 km/h is DTP 0.3) is not pushed a float hair below the edge.
 */
const snap = (x: number): number => Math.round(x * 1e9) / 1e9;

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/**
 * Travel-time index (行程时间比) of a segment: free-flow speed / actual speed,
 * which equals actual / free-flow travel time over the same length.
 * Below 1 when traffic runs faster than free flow (returned as measured).
 *
 * @param speedKmh Average travel speed on the segment, km/h.
 * @param freeFlowKmh Free-flow speed of the segment, km/h.
 * @returns TTI (dimensionless), or null when either speed is ≤ 0 or not finite.
 */
export function travelTimeIndex(speedKmh: number, freeFlowKmh: number): number | null {
  if (!(Number.isFinite(speedKmh) && speedKmh > 0)) return null;
  if (!(Number.isFinite(freeFlowKmh) && freeFlowKmh > 0)) return null;
  return freeFlowKmh / speedKmh;
}

/**
 * Delay ratio (延误时间比) DTP = 1 − 1/TTI = (actual − free-flow time) / actual time.
 * A TTI below 1 (faster than free flow) gives 0: negative delay is no delay.
 * An infinite TTI (standstill) gives 1.
 *
 * @param tti Travel-time index (dimensionless).
 * @returns DTP in [0, 1] rounded to 1e-9, or null when TTI is NaN or ≤ 0.
 */
export function delayRatio(tti: number): number | null {
  if (Number.isNaN(tti) || tti <= 0) return null;
  return delayOf(tti);
}

function delayOf(tti: number): number {
  return snap(clamp(1 - 1 / tti, 0, 1));
}

/**
 * Traffic performance index (交通运行指数) 0–10 from the delay ratio: linear
 * inside each band of the GB/T 33171 table ([0, 0.3) → [0, 2), [0.3, 0.5) →
 * [2, 4), [0.5, 0.6) → [4, 6), [0.6, 0.7) → [6, 8), [0.7, 1] → [8, 10]), hence
 * continuous and increasing. DTP outside [0, 1] is clamped.
 *
 * @param dtp Delay ratio, 0–1.
 * @returns TPI 0–10, or null when DTP is NaN.
 */
export function tpiFromDtp(dtp: number): number | null {
  if (Number.isNaN(dtp)) return null;
  return tpiOf(dtp);
}

function tpiOf(dtp: number): number {
  const x = clamp(dtp, 0, 1);
  const band = bandOf(x, 'dtpMin');
  return band.tpiMin + ((x - band.dtpMin) / (band.dtpMax - band.dtpMin)) * (band.tpiMax - band.tpiMin);
}

/**
 * Inverse of {@link tpiFromDtp}: the delay ratio a TPI stands for. TPI outside
 * [0, 10] is clamped.
 *
 * @param tpi Traffic performance index, 0–10.
 * @returns DTP 0–1, or null when TPI is NaN.
 */
export function dtpFromTpi(tpi: number): number | null {
  if (Number.isNaN(tpi)) return null;
  const x = clamp(tpi, 0, 10);
  const band = bandOf(x, 'tpiMin');
  return band.dtpMin + ((x - band.tpiMin) / (band.tpiMax - band.tpiMin)) * (band.dtpMax - band.dtpMin);
}

/** The worst state whose band starts at or below `x` (a DTP or TPI, by `lowerBound`). */
function bandOf(x: number, lowerBound: 'dtpMin' | 'tpiMin'): CongestionState {
  return CONGESTION_STATES.findLast((s) => x >= s[lowerBound]) ?? CONGESTION_STATES[0];
}

/**
 * Congestion state of a TPI: [0, 2) 畅通, [2, 4) 基本畅通, [4, 6) 轻度拥堵,
 * [6, 8) 中度拥堵, [8, 10] 严重拥堵. TPI outside [0, 10] is clamped.
 *
 * @param tpi Traffic performance index, 0–10.
 * @returns The state, or null when TPI is NaN.
 */
export function congestionState(tpi: number): CongestionState | null {
  if (Number.isNaN(tpi)) return null;
  return bandOf(tpi, 'tpiMin');
}

/**
 * Congestion state of a segment from its speed alone (GB/T 33171 speed
 * grading), km/h:
 *
 * | class      | 畅通 | 基本畅通 | 轻度拥堵 | 中度拥堵 | 严重拥堵 |
 * |------------|------|----------|----------|----------|----------|
 * | expressway | > 65 | (50, 65] | (35, 50] | (20, 35] | ≤ 20     |
 * | arterial   | > 40 | (30, 40] | (20, 30] | (15, 20] | ≤ 15     |
 * | secondary  | > 35 | (25, 35] | (15, 25] | (10, 15] | ≤ 10     |
 *
 * This scale is not derived from TPI and the two disagree in places (20 km/h
 * on an arterial is TPI 4, 轻度拥堵, but grades 中度拥堵).
 *
 * @param roadClass Road class of the segment.
 * @param speedKmh Average travel speed, km/h; 0 is a standstill (严重拥堵).
 * @returns The state, or null when the speed is negative or not finite.
 */
export function speedGrade(roadClass: RoadClass, speedKmh: number): CongestionState | null {
  if (!(Number.isFinite(speedKmh) && speedKmh >= 0)) return null;
  return gradeOf(roadClass, speedKmh);
}

function gradeOf(roadClass: RoadClass, speedKmh: number): CongestionState {
  const [free, basicallyFree, light, moderate] = SPEED_GRADE_KMH[roadClass];
  const [sFree, sBasicallyFree, sLight, sModerate, sSevere] = CONGESTION_STATES;
  if (speedKmh > free) return sFree;
  if (speedKmh > basicallyFree) return sBasicallyFree;
  if (speedKmh > light) return sLight;
  if (speedKmh > moderate) return sModerate;
  return sSevere;
}

/** How congested one segment is: its TPI, or its speed and free-flow speed. */
export type SegmentDelay =
  | {
      /** Traffic performance index, 0–10. */
      tpi: number;
      speedKmh?: never;
      freeFlowKmh?: never;
    }
  | {
      /** Average travel speed, km/h. */
      speedKmh: number;
      /** Free-flow speed, km/h. */
      freeFlowKmh: number;
      tpi?: never;
    };

/** How much one segment counts in a network index: its vehicle-kilometres travelled. */
export type SegmentWeight =
  | {
      /** Vehicle-kilometres travelled (or anything proportional to it, e.g. veh·km/h); ≥ 0. */
      weight: number;
      volumeVehPerH?: never;
      lengthKm?: never;
    }
  | {
      /** Traffic volume, veh/h. */
      volumeVehPerH: number;
      /** Segment length, km. VKT per hour = volume × length. */
      lengthKm: number;
      weight?: never;
    };

/** One road segment of a network or area. */
export type NetworkSegment = SegmentDelay & SegmentWeight;

/** Congestion of a road network or area. */
export interface NetworkIndex {
  /** Network traffic performance index, 0–10. */
  tpi: number;
  /** State of that TPI. */
  state: CongestionState;
  /** VKT-weighted mean delay ratio of the segments, 0–1. */
  dtp: number;
}

/**
 * Network (area) congestion: the mean of the segments' delay ratios weighted by
 * vehicle-kilometres travelled, as GB/T 33171 weights a road network, mapped to
 * TPI and state. A long, busy road therefore counts for more than a short,
 * empty one. Averaging happens on DTP, not on TPI: the mean of TPI 0 and TPI 8
 * at equal weight is DTP 0.35, TPI 2.5. Averaging DTP (bounded by 1) rather
 * than TTI keeps one near-standstill detector from swamping the network.
 *
 * Segments without a usable delay (speed ≤ 0 or not finite, NaN TPI) or weight
 * (negative or not finite) are left out, as a silent detector would be.
 *
 * @returns The index, or null when no segment with a positive weight remains.
 */
export function networkIndex(segments: readonly NetworkSegment[]): NetworkIndex | null {
  let weighted = 0;
  let total = 0;
  for (const segment of segments) {
    const dtp = segmentDtp(segment);
    const weight = segment.weight !== undefined ? segment.weight : segment.volumeVehPerH * segment.lengthKm;
    if (dtp === null || !(Number.isFinite(weight) && weight >= 0)) continue;
    weighted += weight * dtp;
    total += weight;
  }
  if (!(total > 0)) return null;
  const dtp = snap(weighted / total);
  const tpi = tpiOf(dtp);
  return { tpi, state: bandOf(tpi, 'tpiMin'), dtp };
}

function segmentDtp(segment: SegmentDelay): number | null {
  if (segment.tpi !== undefined) return dtpFromTpi(segment.tpi);
  const tti = travelTimeIndex(segment.speedKmh, segment.freeFlowKmh);
  return tti === null ? null : delayOf(tti);
}

/** The values of a traffic detector reading this module looks at. */
export interface TrafficReadingValues {
  /** Average speed, km/h. */
  speed?: number | null;
  /** Volume, veh/h. Accepted so a reading's values can be passed as they are; does not change the result. */
  volume?: number | null;
  /** Occupancy, 0–1. Accepted so a reading's values can be passed as they are; does not change the result. */
  occupancy?: number | null;
}

/** The road a traffic detector sits on (a sensor's `road`). */
export interface TrafficRoad {
  class: RoadClass;
  /** Free-flow speed of this road, km/h. */
  freeFlowKmh: number;
}

/** Congestion at one detector. */
export interface TrafficAssessment {
  /** Travel-time index, free-flow / actual speed; below 1 when faster than free flow. */
  tti: number;
  /** Delay ratio, 0–1. */
  dtp: number;
  /** Traffic performance index, 0–10. */
  tpi: number;
  /** State of the TPI. */
  state: CongestionState;
  /** State from the speed grading table of the road class (may differ from `state`). */
  speedGradeState: CongestionState;
}

/**
 * Congestion at one traffic detector from its reading. TTI uses the road's own
 * free-flow speed; the speed grade uses its class thresholds. GB/T 33171
 * grades segments by speed alone, so volume and occupancy do not enter.
 *
 * A speed of 0 returns null too: a loop detector reports 0 both for "no vehicle
 * passed" and for a standstill queue, and speed alone cannot tell them apart.
 *
 * @returns The assessment, or null when the speed is missing, ≤ 0 or not finite
 *   (or the free-flow speed is unusable).
 */
export function computeTraffic(reading: TrafficReadingValues, road: TrafficRoad): TrafficAssessment | null {
  if (reading.speed === undefined || reading.speed === null) return null;
  const tti = travelTimeIndex(reading.speed, road.freeFlowKmh);
  if (tti === null) return null;
  const dtp = delayOf(tti);
  const tpi = tpiOf(dtp);
  return { tti, dtp, tpi, state: bandOf(tpi, 'tpiMin'), speedGradeState: gradeOf(road.class, reading.speed) };
}
