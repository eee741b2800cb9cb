import type { z } from 'zod';
import type { Severity } from '@shared/schemas/alert.schema';
import type { I18nName, LngLat } from '@shared/schemas/common.schema';
import type { RuleKindId, Rule } from '@shared/schemas/rule.schema';
import type { RoadClass, SensorKind, SensorSubtype } from '@shared/schemas/sensor.schema';

/**
 * The one interface every rule kind implements (one file per kind under kinds/).
 *
 * A kind is a pure function of its own state: it receives a sample (or a clock tick)
 * with the time passed in and returns its next state and a verdict. Timing that all
 * kinds share — `for` (pending), `keepFiringFor` (hysteresis), flap detection — lives
 * in lifecycle.ts, not in the kinds.
 */

/** What the engine knows about a sensor (from the catalog). */
export interface SensorInfo {
  id: string;
  kind: SensorKind;
  subtype: SensorSubtype;
  districtId: string | null;
  gridCellId: string | null;
  location: LngLat | null;
  /** Expected seconds between two reports. */
  reportIntervalSec: number;
  /** Free-flow speed of the detector's road, km/h (traffic detectors). */
  freeFlowKmh?: number;
  /** Class of the detector's road (traffic detectors; GB/T 33171 speed grading). */
  roadClass?: RoadClass;
}

/** One value of one metric of one sensor at one time (reported or derived). */
export interface Sample {
  sensorId: string;
  metric: string;
  value: number;
  /** Observation time, epoch ms. */
  at: number;
  /** Extra facts of a derived value (AQI level, category, colour, primary pollutants…). */
  detail?: Readonly<Record<string, unknown>>;
}

/**
 * A kind's judgement of its subject at one instant: is the condition active, how
 * severe, and the value behind it. `null` means "no opinion" (not enough data yet,
 * a warm-up): the lifecycle stays where it is.
 */
export interface Verdict {
  active: boolean;
  /** Severity while active. */
  severity?: Severity;
  /** The value the condition was judged on (metric value, aggregate, completeness…). */
  value?: number;
  /** Anomaly score (anomaly kind), unitless; larger = more unusual. */
  score?: number;
  /** Extra facts carried onto the alert (e.g. AQI level, breaching sensors). */
  detail?: Readonly<Record<string, unknown>>;
}

export interface Judged<S> {
  /**
   * The next state. The engine owns kind states, so a kind may update the one it was given
   * in place and return it, saying so with `changed` (large states, e.g. a detector's daily
   * profile, would otherwise be copied on every sample).
   */
  state: S;
  verdict: Verdict | null;
  /** The state was updated in place (same object, new content): it must be saved. */
  changed?: boolean;
}

/** Everything a kind may look at besides its own state. */
export interface KindContext<P> {
  params: P;
  rule: Rule;
}

interface RuleKindBase<P> {
  id: RuleKindId;
  title: I18nName;
  description: I18nName;
  /** Validates and normalises `rule.params`; published as JSON Schema for the UI. */
  paramsSchema: z.ZodType<P>;
  /** A valid `params` example (shown in the UI, used in tests). */
  example: Record<string, unknown>;
  /**
   * Metrics whose samples this kind reads; `'*'` = every reading of a sensor in scope
   * (whatever its metrics). Used to index rules so a reading touches only rules it can affect.
   */
  metrics(params: P): readonly string[];
}

/** A kind whose alerts are about one sensor (subject = sensor). */
export interface SensorRuleKind<P, S> extends RuleKindBase<P> {
  subject: 'sensor';
  /** State of a (rule, sensor) pair seen for the first time at `at`. */
  init(ctx: KindContext<P>, sensor: SensorInfo, at: number): S;
  onSample(state: S, sample: Sample, ctx: KindContext<P>, sensor: SensorInfo): Judged<S>;
  /** Clock-driven judgement (no-data). `lastSeenAt` is the sensor's latest reading time, if any. */
  onTick?(
    state: S,
    now: number,
    ctx: KindContext<P>,
    sensor: SensorInfo,
    lastSeenAt: number | undefined,
  ): Judged<S>;
}

/** A kind whose alerts are about an area (grid cell, district, drawn polygon). */
export interface AreaRuleKind<P, S> extends RuleKindBase<P> {
  subject: 'area';
  /** Areas a sensor belongs to for this rule (may be several polygons, or none). */
  areasOf(ctx: KindContext<P>, sensor: SensorInfo, inPolygon: PolygonTest): readonly AreaRef[];
  init(ctx: KindContext<P>, area: AreaRef, members: readonly SensorInfo[], at: number): S;
  /** A sample of a member sensor. */
  onSample(state: S, sample: Sample, ctx: KindContext<P>, sensor: SensorInfo): Judged<S>;
  onTick?(state: S, now: number, ctx: KindContext<P>): Judged<S>;
}

// Kinds are stored side by side in one registry; their params and state types differ.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the registry is heterogeneous by design
export type AnyRuleKind = SensorRuleKind<any, any> | AreaRuleKind<any, any>;

/** An area an area rule watches. */
export interface AreaRef {
  type: 'cell' | 'district' | 'area';
  id: string;
  name?: I18nName;
}

/** Point-in-polygon test supplied by the engine (turf), so kinds stay free of geometry code. */
export type PolygonTest = (point: LngLat, polygon: readonly (readonly LngLat[])[]) => boolean;

/** `value op threshold`. Unknown operators throw (they cannot pass validation). */
export function compare(value: number, op: string, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
    default:
      throw new Error(`Unknown comparison operator: ${op}`);
  }
}

/** Severity rank: red 0 (most severe) … blue 3. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { red: 0, orange: 1, yellow: 2, blue: 3 };
