import { describe, expect, it } from 'vitest';
import {
  initDetector,
  severityForScore,
  stepDetector,
  thresholdOf,
  type DetectorConfig,
  type DetectorResult,
  type DetectorState,
  type Sensitivity,
} from '../../../../server/src/domain/rules/anomaly/detector';
import {
  alertEpisodes,
  applyPending,
  combineQuality,
  evaluateDetection,
  type DetectionQuality,
  type JudgedPoint,
} from '../../../../server/src/domain/rules/anomaly/quality';
import {
  FIXTURE_START,
  labelledFixtures,
  pm25Series,
  trafficSpeedSeries,
  waterDepthSeries,
  type LabelledSeries,
} from '../../../fixtures/labelledSeries';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The kind's defaults for traffic speed. */
const CONFIG: DetectorConfig = {
  sensitivity: 'medium',
  direction: 'both',
  seasonality: 'daily',
  slotMinutes: 30,
  utcOffsetMinutes: 480,
  warmup: 86_400,
  minSamples: 48,
  minScale: 1,
};

/** Asia/Shanghai local time on day `day` of the fixtures (day 0 = Monday 2026-11-02). */
const local = (day: number, hh: number, mm = 0) => FIXTURE_START + day * DAY + (hh * 60 + mm) * MINUTE;

interface Run {
  state: DetectorState;
  results: (DetectorResult | null)[];
}

function run(
  points: readonly { t: number; value: number }[],
  config: DetectorConfig = CONFIG,
  from: DetectorState = initDetector(config),
): Run {
  let state = from;
  const results: (DetectorResult | null)[] = [];
  for (const p of points) {
    const step = stepDetector(state, p.t, p.value, config);
    state = step.state;
    results.push(step.result);
  }
  return { state, results };
}

/** One more sample on top of `state`, without keeping the new state. */
function probe(
  state: DetectorState,
  t: number,
  value: number,
  config: DetectorConfig = CONFIG,
): DetectorResult {
  const result = stepDetector(state, t, value, config).result;
  if (!result) throw new Error('sample ignored');
  return result;
}

// Six clean days of traffic speed every minute (no events: the warm-up covers the whole series).
const CLEAN = trafficSpeedSeries({ seed: 11, days: 6, warmupDays: 6, intervalSec: 60 });
const before = (t: number) => CLEAN.points.filter((p) => p.t < t);
const valueAt = (t: number) => {
  const p = CLEAN.points.find((q) => q.t === t);
  if (!p) throw new Error(`no point at ${t}`);
  return p.value;
};
const FIVE_DAYS = run(before(local(5, 0)));

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

describe('anomaly detector', () => {
  it('uses clean fixtures for the baseline tests', () => {
    expect(CLEAN.events).toEqual([]);
    expect(CLEAN.points.every((p) => !p.anomaly)).toBe(true);
  });

  it('judges nothing during the warm-up: not before a day has passed, not before minSamples', () => {
    const firstDay = run(before(local(1, 0)));
    expect(firstDay.results.every((r) => r !== null && !r.ready && !r.active)).toBe(true);
    // Even a wild value is no anomaly yet.
    expect(probe(firstDay.state, local(0, 23, 59) + 30_000, 500)).toMatchObject({
      ready: false,
      active: false,
    });
    expect(probe(firstDay.state, local(1, 0), valueAt(local(1, 0))).ready).toBe(true);

    const countOnly = run(CLEAN.points.slice(0, 60), { ...CONFIG, warmup: 0, minSamples: 48 });
    expect(countOnly.results.map((r) => r?.ready)).toEqual([
      ...Array<boolean>(48).fill(false),
      ...Array<boolean>(12).fill(true),
    ]);
  });

  it('learns the time-of-day pattern: the daily rush-hour dip is normal at 8:00 and anomalous at 3:00', () => {
    // A whole sixth day, judged by the model of the first five: nothing stands out.
    const sixth = run(
      CLEAN.points.filter((p) => p.t >= local(5, 0)),
      CONFIG,
      FIVE_DAYS.state,
    );
    const scores = sixth.results.map((r) => r!.score).sort((a, b) => a - b);
    expect(scores[Math.floor(scores.length * 0.99)]).toBeLessThan(3);
    expect(sixth.results.filter((r) => r!.active).length).toBeLessThanOrEqual(1);

    const rushHour = valueAt(local(5, 8, 12));
    expect(rushHour).toBeLessThan(35); // free flow is 60 km/h
    const atRushHour = probe(FIVE_DAYS.state, local(5, 8, 12), rushHour);
    expect(atRushHour.score).toBeLessThan(2);
    expect(atRushHour.active).toBe(false);
    expect(Math.abs(atRushHour.expected - rushHour)).toBeLessThan(6);

    const atNight = probe(FIVE_DAYS.state, local(5, 3), rushHour);
    expect(atNight.expected).toBeGreaterThan(55);
    expect(atNight.score).toBeGreaterThan(thresholdOf('medium'));
    expect(atNight.deviation).toBeLessThan(0);
    expect(atNight.active).toBe(true);
  });

  it('without seasonality, the everyday rush hour itself looks anomalous', () => {
    const none: DetectorConfig = { ...CONFIG, seasonality: 'none', warmup: 7200 };
    const flat = run(before(local(5, 0)), none);
    expect(flat.state.slots).toEqual([]);
    const rushHour = valueAt(local(5, 8, 12));
    const daily = probe(FIVE_DAYS.state, local(5, 8, 12), rushHour);
    const plain = probe(flat.state, local(5, 8, 12), rushHour, none);
    expect(daily.active).toBe(false);
    expect(plain.active).toBe(true);
    expect(plain.expected).toBeGreaterThan(daily.expected + 20);
    // The daily profile also knows the rush hour is noisier than the night.
    expect(daily.scale).toBeGreaterThan(probe(FIVE_DAYS.state, local(5, 3), 60).scale);
  });

  it('flags a spike with a score above the threshold', () => {
    const t = local(5, 14);
    const normal = probe(FIVE_DAYS.state, t, valueAt(t));
    const spike = probe(FIVE_DAYS.state, t, valueAt(t) + 40);
    expect(normal.active).toBe(false);
    expect(spike.score).toBeGreaterThan(2 * thresholdOf('medium'));
    expect(spike.deviation).toBeGreaterThan(0);
    expect(spike.active).toBe(true);
    expect(spike.score).toBeCloseTo(Math.abs(valueAt(t) + 40 - spike.expected) / spike.scale, 9);
  });

  it('keeps its baseline through a 30-minute burst of outliers', () => {
    const burstFrom = local(4, 14);
    const burstTo = burstFrom + 30 * MINUTE;
    const points = before(local(5, 16));
    const withBurst = points.map((p) =>
      p.t >= burstFrom && p.t < burstTo ? { ...p, value: p.value + 40 } : p,
    );
    const clean = run(points);
    const burst = run(withBurst);
    const at = (r: Run, t: number) => r.results[points.findIndex((p) => p.t === t)]!;

    // Every outlier is flagged, to the end of the burst.
    const during = points.flatMap((p, i) => (p.t >= burstFrom && p.t < burstTo ? [burst.results[i]!] : []));
    expect(during.every((r) => r.active)).toBe(true);

    for (const t of [burstTo, burstTo + 15 * MINUTE, local(5, 14, 15), local(5, 15)]) {
      const a = at(clean, t);
      const b = at(burst, t);
      expect(Math.abs(b.expected - a.expected)).toBeLessThan(0.25 * a.scale);
      expect(b.scale).toBeLessThan(1.2 * a.scale);
    }
  });

  it('learns a permanent change eventually (a relocated sensor does not alert for ever)', () => {
    const shiftFrom = local(3, 0);
    const points = CLEAN.points.map((p) => (p.t >= shiftFrom ? { ...p, value: p.value + 30 } : p));
    const { results } = run(points);
    const activeIn = (from: number, to: number) =>
      points.filter((p, i) => p.t >= from && p.t < to && results[i]!.active).length;
    expect(activeIn(shiftFrom, shiftFrom + HOUR)).toBe(60);
    expect(activeIn(shiftFrom + 2 * DAY, shiftFrom + 3 * DAY)).toBeLessThanOrEqual(2);
  });

  it('orders sensitivities: whatever low flags, medium flags, and whatever medium flags, high flags', () => {
    const series = trafficSpeedSeries({ seed: 4, days: 8 });
    const flagged = (sensitivity: Sensitivity) =>
      new Set(
        run(series.points, { ...CONFIG, sensitivity }).results.flatMap((r, i) => (r?.active ? [i] : [])),
      );
    const low = flagged('low');
    const medium = flagged('medium');
    const high = flagged('high');
    expect(low.size).toBeGreaterThan(0);
    expect(low.size).toBeLessThan(medium.size);
    expect(medium.size).toBeLessThan(high.size);
    expect([...low].every((i) => medium.has(i))).toBe(true);
    expect([...medium].every((i) => high.has(i))).toBe(true);
    expect(flagged(thresholdOf('medium'))).toEqual(medium);
    expect(thresholdOf(7.25)).toBe(7.25);
  });

  it('alerts only in the watched direction, with the same score', () => {
    const t = local(5, 14);
    const judge = (direction: DetectorConfig['direction'], delta: number) =>
      probe(FIVE_DAYS.state, t, valueAt(t) + delta, { ...CONFIG, direction });
    for (const [delta, up, down] of [
      [-30, false, true],
      [30, true, false],
    ] as const) {
      expect(judge('both', delta).active).toBe(true);
      expect(judge('up', delta).active).toBe(up);
      expect(judge('down', delta).active).toBe(down);
      expect(judge('up', delta).score).toBe(judge('down', delta).score);
    }
  });

  it('continues identically from its state serialised as JSON (restart persistence)', () => {
    const split = local(3, 7);
    const head = run(before(split));
    const tail = CLEAN.points.filter((p) => p.t >= split && p.t < local(4, 12));
    const restored = JSON.parse(JSON.stringify(head.state)) as DetectorState;
    expect(restored).toEqual(head.state);
    const live = run(tail, CONFIG, head.state);
    const afterRestart = run(tail, CONFIG, restored);
    expect(afterRestart.results).toEqual(live.results);
    expect(afterRestart.state).toEqual(live.state);

    // Through JSON at every step, too.
    let state = head.state;
    for (const [i, p] of tail.slice(0, 300).entries()) {
      const step = stepDetector(JSON.parse(JSON.stringify(state)) as DetectorState, p.t, p.value, CONFIG);
      expect(step.result).toEqual(live.results[i]);
      state = step.state;
    }
  });

  it('ignores a sample older than the last one, and non-finite values', () => {
    const { state } = FIVE_DAYS;
    const last = state.lastAt!;
    expect(stepDetector(state, last - 1, 50, CONFIG)).toEqual({ state, result: null });
    expect(stepDetector(state, last - 1, 50, CONFIG).state).toBe(state);
    expect(stepDetector(state, last + MINUTE, Number.NaN, CONFIG).state).toBe(state);
    expect(stepDetector(state, last + MINUTE, Number.POSITIVE_INFINITY, CONFIG).result).toBeNull();
    // The same timestamp again is not out of order.
    expect(stepDetector(state, last, 50, CONFIG).result).not.toBeNull();
  });

  it('returns a new state and leaves the old one untouched', () => {
    const state = deepFreeze(structuredClone(FIVE_DAYS.state));
    const json = JSON.stringify(state);
    const next = stepDetector(state, local(5, 0), 60, CONFIG).state;
    expect(next).not.toBe(state);
    expect(next.slots).not.toBe(state.slots);
    expect(JSON.stringify(state)).toBe(json);
    // One slot changed, the others are shared.
    expect(next.slots.filter((s, i) => s !== state.slots[i])).toHaveLength(1);
  });

  it('starts over, warm-up included, when the slot layout changes', () => {
    const hourly: DetectorConfig = { ...CONFIG, slotMinutes: 60 };
    const step = stepDetector(FIVE_DAYS.state, local(5, 0), 60, hourly);
    expect(step.state.slots).toHaveLength(24);
    expect(step.state).toMatchObject({ n: 1, firstAt: local(5, 0), lastAt: local(5, 0) });
    expect(step.result!.ready).toBe(false);
    // Another sensitivity keeps everything learnt.
    expect(stepDetector(FIVE_DAYS.state, local(5, 0), 60, { ...CONFIG, sensitivity: 'high' }).state.n).toBe(
      FIVE_DAYS.state.n + 1,
    );
  });

  it('floors the scale so a flat series scores finitely', () => {
    const flat = Array.from({ length: 2 * 1440 }, (_, i) => ({ t: FIXTURE_START + i * MINUTE, value: 0 }));
    const { state, results } = run(flat, { ...CONFIG, minScale: 1 });
    expect(results.every((r) => r !== null && Number.isFinite(r.score))).toBe(true);
    const t = FIXTURE_START + 2 * DAY;
    expect(probe(state, t, 0.5).score).toBeCloseTo(0.5, 9);
    expect(probe(state, t, 10)).toMatchObject({ score: 10, active: true });
    // Relative floor: 1 % of the expected value.
    const high = run(
      flat.map((p) => ({ ...p, value: 1000 })),
      { ...CONFIG, minScale: 1 },
    );
    expect(probe(high.state, t, 1000 + 50).score).toBeCloseTo(5, 9);
  });

  it('maps a score to the severity of the highest level it reaches', () => {
    const levels = [
      { severity: 'yellow', factor: 1 },
      { severity: 'orange', factor: 2 },
      { severity: 'red', factor: 4 },
    ] as const;
    expect(severityForScore(5.5, 5.5, levels)).toBe('yellow');
    expect(severityForScore(10.9, 5.5, levels)).toBe('yellow');
    expect(severityForScore(11, 5.5, levels)).toBe('orange');
    expect(severityForScore(30, 5.5, levels)).toBe('red');
  });
});

describe('labelled fixtures', () => {
  it('are deterministic per seed, label every point of every event, and start after a clean warm-up', () => {
    expect(trafficSpeedSeries({ seed: 2, days: 5 })).toEqual(trafficSpeedSeries({ seed: 2, days: 5 }));
    expect(pm25Series({ seed: 2, days: 5 }).points).not.toEqual(pm25Series({ seed: 3, days: 5 }).points);
    for (const series of labelledFixtures([1])) {
      expect(series.events.length).toBeGreaterThan(15);
      expect(series.events[0]!.start).toBeGreaterThanOrEqual(series.points[0]!.t + 3 * DAY);
      let e = 0;
      const mislabelled = series.points.filter((p) => {
        while (e < series.events.length && series.events[e]!.end <= p.t) e++;
        const event =
          series.events[e] !== undefined && p.t >= series.events[e]!.start ? series.events[e] : undefined;
        return p.anomaly !== (event !== undefined) || p.eventId !== event?.id;
      });
      expect(mislabelled).toEqual([]);
      expect(series.points.filter((p) => p.anomaly).length).toBeGreaterThan(series.events.length);
      expect(new Set(series.events.map((e) => e.type)).size).toBeGreaterThanOrEqual(3);
    }
    expect(trafficSpeedSeries().intervalSec).toBe(20);
    expect(waterDepthSeries().intervalSec).toBe(60);
  });
});

describe('detection quality', () => {
  const at = (minute: number) => minute * MINUTE;
  const points = (alerting: readonly number[], length = 2000): JudgedPoint[] =>
    Array.from({ length }, (_, i) => ({ t: at(i), alert: alerting.includes(i) }));
  const events = [
    { id: 'a', start: at(100), end: at(130), type: 'levelShift' },
    { id: 'b', start: at(500), end: at(501), type: 'spike' },
    { id: 'c', start: at(900), end: at(960), type: 'drift' },
  ];

  it('groups alerting points into episodes, merging close runs on request', () => {
    const p = points([10, 11, 12, 15, 40]);
    expect(alertEpisodes(p)).toEqual([
      { start: at(10), end: at(12) },
      { start: at(15), end: at(15) },
      { start: at(40), end: at(40) },
    ]);
    expect(alertEpisodes(p, 5 * MINUTE)).toEqual([
      { start: at(10), end: at(15) },
      { start: at(40), end: at(40) },
    ]);
  });

  it('computes event-level precision, recall, delay and false alerts per day', () => {
    // Event a caught after 5 min (twice), b at once, c missed; two false alerts.
    const q = evaluateDetection(points([105, 106, 120, 500, 700, 1400], 1440), events);
    expect(q).toMatchObject({
      events: 3,
      detected: 2,
      recall: 2 / 3,
      episodes: 5,
      trueEpisodes: 3,
      falseEpisodes: 2,
      precision: 3 / 5,
      meanDelayS: 150,
      medianDelayS: 150,
    });
    expect(q.days).toBeCloseTo(1439 / 1440, 9);
    expect(q.falseAlertsPerDay).toBeCloseTo(2 / (1439 / 1440), 9);
    expect(q.perEvent.map((e) => [e.id, e.detected, e.delayS])).toEqual([
      ['a', true, 300],
      ['b', true, 0],
      ['c', false, null],
    ]);
  });

  it('counts an alert just after an event only within the tolerance, and applies a pending time', () => {
    const late = points([965]);
    expect(evaluateDetection(late, events).recall).toBe(0);
    expect(evaluateDetection(late, events, { lateToleranceMs: 10 * MINUTE })).toMatchObject({
      detected: 1,
      precision: 1,
    });
    expect(applyPending(points([1, 2, 3, 7]), 2 * MINUTE).flatMap((p, i) => (p.alert ? [i] : []))).toEqual([
      3,
    ]);
    const q = evaluateDetection(points([100, 101, 102, 103, 500]), events, { pendingMs: 3 * MINUTE });
    expect(q.perEvent.map((e) => e.delayS)).toEqual([180, null, null]);
  });

  it('leaves out events no point could see, and answers 1 when there is nothing to count', () => {
    const sparse = Array.from({ length: 40 }, (_, i) => ({ t: at(i * 60), alert: false }));
    // Readings every hour: b (one minute long) falls between two of them.
    expect(evaluateDetection(sparse, events).perEvent.map((e) => e.id)).toEqual(['a', 'c']);
    expect(evaluateDetection(points([]), [])).toMatchObject({ precision: 1, recall: 1, meanDelayS: null });
    expect(combineQuality([])).toMatchObject({ events: 0, recall: 1, precision: 1 });
  });
});

describe('detector quality on the labelled fixtures (default params, medium)', () => {
  function quality(series: readonly LabelledSeries[], minScale: number): DetectionQuality {
    return combineQuality(
      series.map((s) => {
        const { results } = run(s.points, { ...CONFIG, minScale });
        const judged = s.points.flatMap((p, i) =>
          results[i]?.ready ? [{ t: p.t, alert: results[i].active }] : [],
        );
        return evaluateDetection(judged, s.events, { mergeGapMs: 10 * MINUTE, lateToleranceMs: 10 * MINUTE });
      }),
    );
  }
  const seeds = [1, 2, 3];

  // Measured: traffic recall 0.95, precision 0.88; PM2.5 0.84 / 0.99; water depth 1.00 / 1.00.
  it('traffic speed (20 s): recall ≥ 0.85, precision ≥ 0.75', () => {
    const q = quality(
      seeds.map((seed) => trafficSpeedSeries({ seed })),
      1,
    );
    expect(q.events).toBeGreaterThan(60);
    expect(q.recall).toBeGreaterThanOrEqual(0.85);
    expect(q.precision).toBeGreaterThanOrEqual(0.75);
    expect(q.medianDelayS).toBeLessThanOrEqual(60);
  });

  it('PM2.5 (60 s): recall ≥ 0.75, precision ≥ 0.9', () => {
    const q = quality(
      seeds.map((seed) => pm25Series({ seed })),
      2,
    );
    expect(q.recall).toBeGreaterThanOrEqual(0.75);
    expect(q.precision).toBeGreaterThanOrEqual(0.9);
  });

  it('water depth (flat, 60 s): recall ≥ 0.95, precision ≥ 0.95', () => {
    const q = quality(
      seeds.map((seed) => waterDepthSeries({ seed })),
      1,
    );
    expect(q.recall).toBeGreaterThanOrEqual(0.95);
    expect(q.precision).toBeGreaterThanOrEqual(0.95);
  });
});
