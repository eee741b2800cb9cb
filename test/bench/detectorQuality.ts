/**
 * Anomaly detector quality and throughput (a section of `npm run bench`, no server needed):
 * the default anomaly rule, at each named sensitivity, over the labelled fixtures
 * (test/fixtures/labelledSeries.ts: traffic speed every 20 s, PM2.5 and water depth every
 * 60 s, three seeds each, 14 days, anomalies from day 3 on). Event-level precision, recall,
 * detection delay and false alerts per day as server/src/domain/rules/anomaly/quality.ts
 * defines them, alert runs closer than MERGE_GAP_MS counted as one alert (what a rule's
 * `keepFiringFor: 10m` makes of them). One more row per series shows the default with
 * `for: 1m`. Throughput is the rule kind's onSample on one core.
 */
import type { Rule } from '../../shared/schemas/rule.schema';
import {
  SENSITIVITIES,
  thresholdOf,
  type SensitivityName,
} from '../../server/src/domain/rules/anomaly/detector';
import {
  combineQuality,
  evaluateDetection,
  type DetectionQuality,
} from '../../server/src/domain/rules/anomaly/quality';
import {
  anomalyKind,
  defaultAnomalyParams,
  type AnomalyParams,
} from '../../server/src/domain/rules/kinds/anomaly';
import type { SensorInfo } from '../../server/src/domain/rules/ruleKind';
import { labelledFixtures, type LabelledSeries } from '../fixtures/labelledSeries';
import { markdownTable, num } from './table';

export interface DetectorQualityRow {
  /** Series type (all seeds together). */
  series: string;
  sensitivity: SensitivityName;
  threshold: number;
  /** The rule's `for` (pending time) the alerts were counted with, seconds. */
  forS: number;
  events: number;
  detected: number;
  alerts: number;
  precision: number;
  recall: number;
  /** Mean and median delay from event start to first alert, seconds (null: nothing detected). */
  meanDelayS: number | null;
  medianDelayS: number | null;
  falseAlertsPerDay: number;
  /** Samples through the anomaly kind's onSample per second, one core. */
  readingsPerSec: number;
}

export interface DetectorQualityOptions {
  seeds?: readonly number[];
  days?: number;
  sensitivities?: readonly SensitivityName[];
  /** Timed runs per series; the fastest counts (the machine may be busy). Default 3. */
  repeats?: number;
}

/** Alert runs this close are one alert. */
export const MERGE_GAP_MS = 10 * 60_000;
/** An alert this soon after an event's end still belongs to it (the value snapping back). */
export const LATE_TOLERANCE_MS = 10 * 60_000;

const SENSOR: SensorInfo = {
  id: 'bench-sensor',
  kind: 'traffic',
  subtype: 'loop-detector',
  districtId: null,
  gridCellId: null,
  location: null,
  reportIntervalSec: 60,
};

function ruleOf(params: AnomalyParams): Rule {
  return {
    id: 'bench-anomaly',
    name: { zh: '异常', en: 'Anomaly' },
    kind: 'anomaly',
    enabled: true,
    scope: {},
    params: { ...params },
    for: 0,
    keepFiringFor: 0,
    aqiStandard: 'HJ633-2026',
    labels: {},
    version: 1,
    updatedAt: 0,
    updatedBy: 'bench',
    reason: 'bench',
  };
}

/** Runs the anomaly kind over one series; returns which points alerted (-1: no verdict) and the time spent. */
export function runSeries(series: LabelledSeries, params: AnomalyParams): { alerts: Int8Array; ms: number } {
  const ctx = { params, rule: ruleOf(params) };
  const points = series.points;
  const alerts = new Int8Array(points.length);
  let state = anomalyKind.init(ctx, SENSOR, points[0]?.t ?? 0);
  const started = performance.now();
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const judged = anomalyKind.onSample(
      state,
      { sensorId: SENSOR.id, metric: series.metric, value: p.value, at: p.t },
      ctx,
      SENSOR,
    );
    state = judged.state;
    alerts[i] = judged.verdict === null ? -1 : judged.verdict.active ? 1 : 0;
  }
  return { alerts, ms: performance.now() - started };
}

/** Quality of one run: only points with a verdict (past the warm-up) are judged. */
export function qualityOf(series: LabelledSeries, alerts: Int8Array, forS = 0): DetectionQuality {
  const judged = series.points.flatMap((p, i) =>
    alerts[i] === -1 ? [] : [{ t: p.t, alert: alerts[i] === 1 }],
  );
  return evaluateDetection(judged, series.events, {
    mergeGapMs: MERGE_GAP_MS,
    lateToleranceMs: LATE_TOLERANCE_MS,
    pendingMs: forS * 1000,
  });
}

export function runDetectorQuality(options: DetectorQualityOptions = {}): DetectorQualityRow[] {
  const fixtures = labelledFixtures(options.seeds ?? [1, 2, 3], { days: options.days ?? 14 });
  const typeOf = (s: LabelledSeries) => s.name.replace(/-\d+$/, '');
  const repeats = Math.max(1, options.repeats ?? 3);
  // Warm the JIT up so the first row's throughput is not the interpreter's.
  for (const series of fixtures) runSeries(series, defaultAnomalyParams(series.metric));

  const variants = [
    ...(options.sensitivities ?? SENSITIVITIES).map((sensitivity) => ({ sensitivity, forS: 0 })),
    { sensitivity: 'medium' as const, forS: 60 },
  ];
  const rows: DetectorQualityRow[] = [];
  for (const type of [...new Set(fixtures.map(typeOf))]) {
    const ofType = fixtures.filter((s) => typeOf(s) === type);
    for (const { sensitivity, forS } of variants) {
      const parts: DetectionQuality[] = [];
      let ms = 0;
      let readings = 0;
      for (const series of ofType) {
        const params: AnomalyParams = { ...defaultAnomalyParams(series.metric), sensitivity };
        const run = runSeries(series, params);
        let fastest = run.ms;
        for (let i = 1; i < repeats; i++) fastest = Math.min(fastest, runSeries(series, params).ms);
        ms += fastest;
        readings += series.points.length;
        parts.push(qualityOf(series, run.alerts, forS));
      }
      const q = combineQuality(parts);
      rows.push({
        series: type,
        sensitivity,
        threshold: thresholdOf(sensitivity),
        forS,
        events: q.events,
        detected: q.detected,
        alerts: q.episodes,
        precision: q.precision,
        recall: q.recall,
        meanDelayS: q.meanDelayS,
        medianDelayS: q.medianDelayS,
        falseAlertsPerDay: q.falseAlertsPerDay,
        readingsPerSec: readings / (ms / 1000),
      });
    }
  }
  return rows;
}

const delayText = (s: number | null) =>
  s === null ? '–' : s < 600 ? `${num(s)} s` : `${num(s / 60, 1)} min`;

/** The rows as a Markdown table. */
export function detectorQualityTable(rows: readonly DetectorQualityRow[]): string {
  return markdownTable(
    [
      'Series',
      'Sensitivity (score ≥)',
      'Events',
      'Alerts',
      'Precision',
      'Recall',
      'Delay mean / median',
      'False alerts / day',
      'Readings/s',
    ],
    rows.map((r) => [
      r.series,
      `${r.sensitivity} (${num(r.threshold, 1)})${r.forS > 0 ? `, for ${num(r.forS)} s` : ''}`,
      num(r.events),
      num(r.alerts),
      num(r.precision, 2),
      num(r.recall, 2),
      `${delayText(r.meanDelayS)} / ${delayText(r.medianDelayS)}`,
      num(r.falseAlertsPerDay, 2),
      num(r.readingsPerSec),
    ]),
  );
}
