/**
 * 异常检测 — a streaming, robust anomaly detector for one series (one sensor × one metric).
 *
 * Pure: no I/O, no clock (time is passed in as epoch ms), no framework. The state is plain
 * JSON data (persisted across restarts) and every step returns a new state object.
 *
 * Model (additive, robust Holt–Winters without trend):
 *
 *     expected(t) = level + profile(local time of day of t)
 *     scale(t)    = max(1.3527 × dev(time of day of t), minScale, 1 % × |expected|)
 *     score       = |x − expected| / scale          (deviation: the same, signed)
 *
 * - `level` is the de-seasonalised level, an exponentially weighted (EW) mean with a memory of
 *   4 hours: it follows slow changes such as the weather moving PM2.5 over days.
 * - `profile` is the time-of-day pattern: S = 1440 / slotMinutes slots from local midnight
 *   (local time by a fixed `utcOffsetMinutes`; Asia/Shanghai has no DST), each an EW mean of
 *   what the level leaves unexplained, with a memory of about 7 days of that slot's samples.
 *   Each sample trains the slot it falls in; the expectation interpolates linearly between the
 *   centres of the two slots around t (neighbouring slots blend), so a rush-hour ramp is
 *   followed inside a slot. (Training both neighbours by their interpolation weights, a
 *   gradient step, made adjacent slots oscillate against each other at 20-s readings.)
 * - `dev` is the EW mean of the absolute one-step residual, winsorised at `devClip` = 1.5
 *   scales, per slot (noise differs by time of day), the global one standing in while a slot
 *   has fewer than `minSlotSamples`. × 1.3527 = 1 / E[min(|Z|, 1.5)] turns it into a standard
 *   deviation for Gaussian noise, so the score reads like a z-score: 5 means "5 σ away from
 *   what this time of day usually looks like".
 * - Robust to outliers in its own history: past its first `robustAfter` samples, a residual
 *   moves level and profile by at most `huberC` scales (Huber), and a point scoring above
 *   `outlierZ` weighs only outlierZ / score in every update. A 30-minute incident shifts the
 *   baseline by a fraction of a scale; a permanent change (a relocated sensor) is still
 *   learnt, over hours to days: the weight never reaches zero, and while residuals stay large
 *   the winsorised scale grows (1.3527 × 1.5 > 1), which raises the weight again.
 * - Learning rates are time-based (1 − e^(−Δt/τ)), so they do not depend on the report
 *   interval, and start as plain running means (1/n) so the first samples count fully.
 *
 * Warm-up (`ready` false, never active): until at least `minSamples` samples were learnt AND
 * `warmup` seconds passed since the first (a day for the daily profile). Slot scales learn
 * only after the warm-up, from residuals of the warmed-up model, so the first day's misfit
 * does not inflate them.
 *
 * Cost per sample: O(1) arithmetic; allocation is one state object, a copy of the slot index
 * (S references, 48 by default) and one 4-number slot tuple. Nothing grows.
 */

export const SENSITIVITIES = ['low', 'medium', 'high'] as const;
export type SensitivityName = (typeof SENSITIVITIES)[number];
/** A named sensitivity, or the score threshold itself. */
export type Sensitivity = SensitivityName | number;
export type Direction = 'both' | 'up' | 'down';
export type Seasonality = 'daily' | 'none';

/**
 * Score thresholds of the named sensitivities, from event-level precision and recall measured
 * on the labelled fixtures (test/fixtures/labelledSeries.ts; `npm run bench` prints them).
 * Measured (traffic speed every 20 s / PM2.5 every 60 s, three 14-day series each):
 * - high 4.5: recall 1.00 / 0.96, precision 0.67 / 0.95, ≈ 1.2 / 0.13 false alerts per day;
 * - medium 5.5 (default): recall 0.95 / 0.84, precision 0.88 / 0.99, ≈ 0.3 / 0.03 per day;
 * - low 6.5: recall 0.88 / 0.70, precision 0.98 / 1.00, ≈ 0.05 / 0 per day.
 * False alerts are per sensor, and per reading: a sensor reporting 3× as often raises about
 * 3× as many (noise alerts are single readings, so `for` removes them, at a price in recall).
 * Below 4.5 the 20-s traffic series alerted more often falsely than truly.
 */
export const SENSITIVITY_THRESHOLDS: Readonly<Record<SensitivityName, number>> = {
  low: 6.5,
  medium: 5.5,
  high: 4.5,
};

export function thresholdOf(sensitivity: Sensitivity): number {
  return typeof sensitivity === 'number' ? sensitivity : SENSITIVITY_THRESHOLDS[sensitivity];
}

export interface DetectorConfig {
  sensitivity: Sensitivity;
  direction: Direction;
  seasonality: Seasonality;
  /** Width of a time-of-day slot, minutes; divides 1440. */
  slotMinutes: number;
  /** Local time = UTC + this (480: Asia/Shanghai, no DST). */
  utcOffsetMinutes: number;
  /** Minimum time since the first sample before judging, seconds. */
  warmup: number;
  /** Minimum samples learnt before judging. */
  minSamples: number;
  /** Absolute floor of the scale, in the metric's unit (flat series must not score ∞). */
  minScale: number;
}

/** Fixed tuning of the estimators (see the module comment). */
export const DETECTOR_TUNING = {
  /** Memory of the de-seasonalised level, ms. */
  levelMemoryMs: 4 * 3_600_000,
  /** Memory of the global scale, ms. */
  devMemoryMs: 24 * 3_600_000,
  /** Memory of each slot (profile and scale), in days of that slot's samples. */
  slotMemoryDays: 7,
  /** Longest gap counted in one learning step, ms (a sensor back after a day off does not reset). */
  maxStepMs: 3_600_000,
  /** Huber clip of the residual moving level and profile, in scales. */
  huberC: 2,
  /** Winsorisation of the absolute residual feeding the scales, in scales (DEV_TO_SIGMA depends on it). */
  devClip: 1.5,
  /** Points scoring above this weigh OUTLIER_Z / score in every update. */
  outlierZ: 3,
  /** Samples learnt as plain means, unclipped, before the estimates are robust. */
  robustAfter: 10,
  /** Samples a slot's own scale needs (after the warm-up) before it replaces the global one. */
  minSlotSamples: 30,
  /** Relative floor of the scale, × |expected|. */
  relativeScaleFloor: 0.01,
} as const;

/**
 * Mean absolute deviation winsorised at `devClip` σ → σ for Gaussian noise:
 * 1 / E[min(|Z|, 1.5)] = 1 / (2(φ(0) − φ(1.5)) + 3(1 − Φ(1.5))) = 1 / 0.73927. Tied to devClip = 1.5.
 */
const DEV_TO_SIGMA = 1.352683976710687;

/**
 * One time-of-day slot: [profile offset from the level, samples it learnt from, mean
 * winsorised absolute residual, samples that learnt from (only counted after the warm-up)].
 */
export type SlotStats = [offset: number, n: number, dev: number, devN: number];

export interface DetectorState {
  /** First sample learnt, epoch ms (null before any). */
  firstAt: number | null;
  /** Latest sample learnt, epoch ms (null before any); older samples are ignored. */
  lastAt: number | null;
  /** Samples learnt. */
  n: number;
  /** De-seasonalised level. */
  level: number;
  /** Global EW mean absolute one-step residual (scale fallback). */
  dev: number;
  /** Daily profile: 1440 / slotMinutes slots from local midnight; empty without seasonality. */
  slots: SlotStats[];
}

/** What the detector made of one sample, judged before learning from it (one step ahead). */
export interface DetectorResult {
  /** Past the warm-up: `active` and `score` mean something. */
  ready: boolean;
  /** What the baseline expected at this time of day. */
  expected: number;
  /** Robust noise scale (σ-like), in the metric's unit. */
  scale: number;
  /** |x − expected| / scale, ≥ 0. */
  score: number;
  /** (x − expected) / scale: the signed score (negative = below expected). */
  deviation: number;
  /** Ready, score ≥ threshold and the deviation goes in a watched direction. */
  active: boolean;
}

export interface DetectorStep {
  state: DetectorState;
  /** null: the sample was ignored (older than the last one, or not a finite number). */
  result: DetectorResult | null;
}

export function slotCount(config: Pick<DetectorConfig, 'seasonality' | 'slotMinutes'>): number {
  return config.seasonality === 'daily' ? Math.round(1440 / config.slotMinutes) : 0;
}

export function initDetector(config: Pick<DetectorConfig, 'seasonality' | 'slotMinutes'>): DetectorState {
  return { firstAt: null, lastAt: null, n: 0, level: 0, dev: 0, slots: emptySlots(slotCount(config)) };
}

function emptySlots(count: number): SlotStats[] {
  const slots: SlotStats[] = new Array<SlotStats>(count);
  for (let i = 0; i < count; i++) slots[i] = [0, 0, 0, 0];
  return slots;
}

const EMPTY_SLOT: SlotStats = [0, 0, 0, 0];

/** Learning rate of an EW mean over a step of `stepMs` with memory `memoryMs`. */
function ewRate(stepMs: number, memoryMs: number): number {
  return 1 - Math.exp(-stepMs / memoryMs);
}

/**
 * Judges `value` observed at `at` against the baseline, then learns from it. Samples older
 * than the last one learnt (out of order) and non-finite values are ignored: the same state
 * comes back, with a null result.
 */
export function stepDetector(
  state: DetectorState,
  at: number,
  value: number,
  config: DetectorConfig,
): DetectorStep {
  const result = emptyResult();
  const next = advanceDetector(state, at, value, config, result);
  return next === null ? { state, result: null } : { state: next, result };
}

/** A result to fill (advanceDetector writes into it). */
export function emptyResult(): DetectorResult {
  return { ready: false, expected: 0, scale: 0, score: 0, deviation: 0, active: false };
}

/**
 * `stepDetector` for the hot path: writes the result into `out` (the caller's, reused) and
 * returns the next state, or null where stepDetector's result is null (`out` untouched).
 * With `inPlace` the given state itself is updated and returned (no copy of the daily
 * profile): for an owner that keeps no other reference to the old state.
 */
export function advanceDetector(
  state: DetectorState,
  at: number,
  value: number,
  config: DetectorConfig,
  out: DetectorResult,
  inPlace = false,
): DetectorState | null {
  if (!Number.isFinite(value) || !Number.isFinite(at) || (state.lastAt !== null && at < state.lastAt)) {
    return null;
  }
  const T = DETECTOR_TUNING;
  const S = slotCount(config);
  // A new profile layout (another slot width or seasonality) has nothing to go on: start over,
  // warm-up included. (A new sensitivity, direction or levels keeps everything learnt.)
  const prior = state.slots.length === S ? state : initDetector(config);
  const slots = prior.slots;
  const n = prior.n;
  const firstAt = prior.firstAt ?? at;
  const stepMs = prior.lastAt === null ? 0 : Math.min(at - prior.lastAt, T.maxStepMs);

  // ---- Judge, one step ahead: the sample does not influence its own expectation.
  let home = 0;
  let seasonal = 0;
  let slotDev = -1;
  if (S > 0) {
    const slotPos = ((((at / 60_000 + config.utcOffsetMinutes) % 1440) + 1440) % 1440) / config.slotMinutes;
    home = Math.min(S - 1, Math.floor(slotPos));
    // Interpolate between the centres of the two slots around t.
    const pos = slotPos - 0.5;
    const lower = Math.floor(pos);
    const w1 = pos - lower;
    const w0 = 1 - w1;
    const s0 = slots[lower < 0 ? S - 1 : lower] ?? EMPTY_SLOT;
    const s1 = slots[lower + 1 === S ? 0 : lower + 1] ?? EMPTY_SLOT;
    // Slots not trained yet (a sparse reporter, the first day) leave the estimate to the others.
    const h0 = s0[1] > 0 ? w0 : 0;
    const h1 = s1[1] > 0 ? w1 : 0;
    if (h0 + h1 > 0) seasonal = (h0 * s0[0] + h1 * s1[0]) / (h0 + h1);
    const g0 = s0[3] >= T.minSlotSamples ? w0 : 0;
    const g1 = s1[3] >= T.minSlotSamples ? w1 : 0;
    if (g0 + g1 > 0) slotDev = (g0 * s0[2] + g1 * s1[2]) / (g0 + g1);
  }
  const expected = prior.level + seasonal;
  const scale = Math.max(
    DEV_TO_SIGMA * (slotDev >= 0 ? slotDev : prior.dev),
    config.minScale,
    T.relativeScaleFloor * Math.abs(expected),
    Number.MIN_VALUE,
  );
  const residual = value - expected;
  const deviation = residual / scale;
  const score = Math.abs(deviation);
  const ready = n >= config.minSamples && at - firstAt >= config.warmup * 1000;
  const direction = config.direction;
  const active =
    ready &&
    score >= thresholdOf(config.sensitivity) &&
    (direction === 'both' || (direction === 'up' ? deviation > 0 : deviation < 0));

  // ---- Learn. Robust weight: outliers count less (1/score), and a residual beyond huberC
  // scales counts as huberC scales (Huber).
  const robust = n >= T.robustAfter;
  const clip = T.huberC * scale;
  const weight = robust
    ? (score > T.outlierZ ? T.outlierZ / score : 1) *
      (Math.abs(residual) > clip ? clip / Math.abs(residual) : 1)
    : 1;
  const outlierWeight = robust && score > T.outlierZ ? T.outlierZ / score : 1;
  const n1 = n + 1;
  const level = prior.level + weight * Math.max(1 / n1, ewRate(stepMs, T.levelMemoryMs)) * residual;
  // Scales learn from the winsorised one-step residual (there is none for the first sample).
  const absRes = robust ? Math.min(Math.abs(residual), T.devClip * scale) : Math.abs(residual);
  const dev =
    n === 0
      ? 0
      : prior.dev + outlierWeight * Math.max(1 / n, ewRate(stepMs, T.devMemoryMs)) * (absRes - prior.dev);

  let nextSlots = slots;
  if (S > 0) {
    // The slot t falls in learns what the updated level leaves unexplained, and (after the
    // warm-up) its own scale.
    const slotMs = config.slotMinutes * 60_000;
    const slotRate = ewRate(Math.min(stepMs, slotMs), T.slotMemoryDays * slotMs);
    const [offset, count, sdev, sdevN] = slots[home] ?? EMPTY_SLOT;
    const count1 = count + 1;
    const offset1 = offset + weight * Math.max(1 / count1, slotRate) * (value - level - offset);
    const sdevN1 = ready ? sdevN + 1 : sdevN;
    const sdev1 = ready ? sdev + outlierWeight * Math.max(1 / sdevN1, slotRate) * (absRes - sdev) : sdev;
    const slot = slots[home];
    if (inPlace && slot) {
      slot[0] = offset1;
      slot[1] = count1;
      slot[2] = sdev1;
      slot[3] = sdevN1;
    } else {
      nextSlots = slots.slice();
      nextSlots[home] = [offset1, count1, sdev1, sdevN1];
    }
  }

  out.ready = ready;
  out.expected = expected;
  out.scale = scale;
  out.score = score;
  out.deviation = deviation;
  out.active = active;
  if (inPlace) {
    // `prior` is the given state, or a fresh one after a layout change: ours either way.
    prior.firstAt = firstAt;
    prior.lastAt = at;
    prior.n = n1;
    prior.level = level;
    prior.dev = dev;
    return prior;
  }
  return { firstAt, lastAt: at, n: n1, level, dev, slots: nextSlots };
}

/** A severity step of the score. */
export interface ScoreLevel<Sev extends string = string> {
  severity: Sev;
  /** The level holds from `factor × threshold` up. */
  factor: number;
}

/**
 * The severity of an active score: the level with the highest `factor` whose
 * `factor × threshold` the score reaches (the lowest level for any active score).
 */
export function severityForScore<Sev extends string>(
  score: number,
  threshold: number,
  levels: readonly ScoreLevel<Sev>[],
): Sev | undefined {
  let best: ScoreLevel<Sev> | undefined;
  let lowest: ScoreLevel<Sev> | undefined;
  for (const level of levels) {
    if (lowest === undefined || level.factor < lowest.factor) lowest = level;
    if (score >= level.factor * threshold && (best === undefined || level.factor > best.factor)) best = level;
  }
  return (best ?? lowest)?.severity;
}
