/**
 * `npm run backtest`: replay a series from a CSV file through a rule in virtual time and
 * print the alerts it would have raised.
 *
 *   npm run backtest -- --csv speed.csv                       # the default anomaly detector
 *   npm run backtest -- --csv speed.csv --metric speed --scores scores.csv
 *   npm run backtest -- --csv depth.csv --rule waterlogging.json
 *
 * Options:
 *   --csv FILE         the series: a header with `timestamp` and `value` columns (see backtestCsv.ts)
 *   --rule RULE.json   a rule document (RuleDraft, or a stored rule as GET /api/v1/rules/:id returns
 *                      it); default: the default anomaly detector on the series
 *   --metric NAME      the metric the value column holds (a catalog metric id); default: the rule's
 *                      metric, else `value` (an unnamed series: no unit, so no absolute noise floor)
 *   --scores OUT.csv   write `timestamp,value,score` per replayed row (score empty when the rule
 *                      gives none: not an anomaly rule, or still warming up)
 *   --interval SECONDS the series' expected report interval (no-data rules); default: the median gap
 *
 * Output: one JSON line per alert raised (started firing, not pending) on stdout:
 *   {"ts":"2026-11-04T06:12:00.000Z","level":"orange","score":14.2,"value":83.1,"line":3194,
 *    "maxLevel":"red","resolvedAt":"…"}
 * `ts` is the timestamp of the row that raised it (ISO 8601, UTC), `line` its line in the file
 * (null, and `ts` the virtual time, when the clock raised it: no data), `level` the severity it
 * was raised with, `maxLevel` the worst it reached. A summary goes to stderr. Area rules (area,
 * dataQuality) need many placed sensors and are refused: replay them with the API.
 * Exit 0 after a replay, 1 when the file or the rule is refused, 2 on a usage error.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isMetricId, METRICS, type MetricId } from '@shared/metrics';
import { isDerivedMetric, type Rule, type RuleDraft } from '@shared/schemas/rule.schema';
import { pointInPolygon } from '../src/domain/geometry';
import { inferSensorType } from '../src/domain/sensorInference';
import { countBySeverity, runBacktest } from '../src/domain/rules/backtest';
import { defaultAnomalyParams } from '../src/domain/rules/kinds/anomaly';
import { kindOf, validateRule } from '../src/domain/rules/registry';
import type { SensorInfo } from '../src/domain/rules/ruleKind';
import { CsvError, parseSeriesCsv, type SeriesRow } from './backtestCsv';

const USAGE =
  'usage: npm run backtest -- --csv FILE [--rule RULE.json] [--metric NAME] [--scores OUT.csv] [--interval SECONDS]';

/** The series' own sensor: every rule is scoped to it. */
const SENSOR_ID = 'csv-series';

/** `--metric` of a series that names no metric. */
const UNNAMED = 'value';

/**
 * Rules only read catalog metrics, so an unnamed series is reported to the engine under this
 * one (any would do: the kind's parameters, not the metric, decide the judgement; its default
 * noise floor is replaced below). Never shown in the output.
 */
const UNNAMED_CARRIER: MetricId = 'battery';

/** Smallest noise scale of the default detector on an unnamed series (no unit, so no floor). */
const UNNAMED_MIN_SCALE = 1e-6;

/** Virtual clock tick of the replay. */
const TICK_MS = 10_000;

/** Fields a stored rule carries beyond the draft (accepted so `GET /api/v1/rules/:id` output works). */
const STORED_RULE_FIELDS = ['version', 'updatedAt', 'updatedBy', 'reason'];

class Refusal extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Refusal(
      `cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

function loadRule(file: string): RuleDraft {
  let doc: unknown;
  try {
    doc = JSON.parse(readText(file, 'rule file'));
  } catch (err) {
    if (err instanceof Refusal) throw err;
    throw new Refusal(`${file} is not JSON: ${(err as Error).message}`);
  }
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    const copy: Record<string, unknown> = { ...(doc as Record<string, unknown>) };
    for (const field of STORED_RULE_FIELDS) delete copy[field];
    doc = copy;
  }
  const checked = validateRule(doc);
  if (!checked.ok) {
    const lines = checked.issues.map((i) => `  ${i.path}: ${i.message}`);
    throw new Refusal(`${file} is not a valid rule:\n${lines.join('\n')}`);
  }
  if (kindOf(checked.rule.kind).subject === 'area')
    throw new Refusal(
      `${file}: ${checked.rule.kind} rules judge cells or districts of many sensors, which one series cannot feed; replay it on stored history with POST /api/v1/rules/backtest`,
    );
  return checked.rule;
}

/** The metric the value column holds: `--metric`, else the rule's, else unnamed. */
function resolveMetric(option: string | undefined, rule: RuleDraft | null): string {
  const watched = typeof rule?.params['metric'] === 'string' ? rule.params['metric'] : undefined;
  if (watched !== undefined && isDerivedMetric(watched))
    throw new Refusal(
      `the rule watches ${watched}, which the engine derives from other metrics (AQI from pollutants, traffic indices from speed); a one-column series cannot feed it`,
    );
  const metric = option ?? watched ?? UNNAMED;
  if (metric !== UNNAMED && !isMetricId(metric)) {
    const hint = isDerivedMetric(metric) ? ' (derived by the engine, never reported)' : '';
    throw new Refusal(
      `--metric ${metric} is not a reported metric${hint}; use one of ${Object.keys(METRICS).join(', ')}, or omit it`,
      2,
    );
  }
  if (watched !== undefined && metric !== watched)
    throw new Refusal(`the rule watches ${watched}, but --metric says the value column is ${metric}`, 2);
  return metric;
}

/** Median gap between consecutive rows, whole seconds (at least 1; 60 for a single row). */
function medianGapSec(rows: readonly SeriesRow[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < rows.length; i++) gaps.push(rows[i]!.observedAt - rows[i - 1]!.observedAt);
  if (gaps.length === 0) return 60;
  gaps.sort((a, b) => a - b);
  return Math.max(1, Math.round(gaps[Math.floor((gaps.length - 1) / 2)]! / 1000));
}

/** Rows in time order, one per timestamp (the first, as the store keeps it). */
function orderRows(rows: readonly SeriesRow[]): { rows: SeriesRow[]; moved: number; duplicates: number } {
  let moved = 0;
  for (let i = 1; i < rows.length; i++) if (rows[i]!.observedAt < rows[i - 1]!.observedAt) moved++;
  const sorted = moved > 0 ? [...rows].sort((a, b) => a.observedAt - b.observedAt) : [...rows];
  const kept = sorted.filter((r, i) => i === 0 || r.observedAt !== sorted[i - 1]!.observedAt);
  return { rows: kept, moved, duplicates: sorted.length - kept.length };
}

function formatScore(score: number): string {
  return String(Math.round(score * 1000) / 1000);
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        csv: { type: 'string' },
        rule: { type: 'string' },
        metric: { type: 'string' },
        scores: { type: 'string' },
        interval: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new Refusal(`${(err as Error).message}\n${USAGE}`, 2);
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.csv) throw new Refusal(`--csv FILE is required\n${USAGE}`, 2);
  let intervalSec: number | undefined;
  if (values.interval !== undefined) {
    intervalSec = Number(values.interval);
    if (!Number.isInteger(intervalSec) || intervalSec < 1)
      throw new Refusal(`--interval must be a whole number of seconds ≥ 1, not "${values.interval}"`, 2);
  }

  const draft = values.rule ? loadRule(values.rule) : null;
  const metric = resolveMetric(values.metric, draft);
  const reported: MetricId = metric === UNNAMED ? UNNAMED_CARRIER : (metric as MetricId);

  let parsed;
  try {
    parsed = parseSeriesCsv(readText(values.csv, 'CSV file'));
  } catch (err) {
    if (err instanceof CsvError) throw new Refusal(`${values.csv} ${err.message}`);
    throw err;
  }
  const { rows, moved, duplicates } = orderRows(parsed.rows);
  if (rows.length === 0) throw new Refusal(`${values.csv} has a header but no data rows`);
  const first = rows[0]!.observedAt;
  const last = rows[rows.length - 1]!.observedAt;

  const sensor: SensorInfo = {
    id: SENSOR_ID,
    ...inferSensorType([reported]),
    districtId: null,
    gridCellId: null,
    location: null,
    reportIntervalSec: intervalSec ?? medianGapSec(rows),
  };
  const notes: string[] = [];
  if (moved > 0) notes.push(`${moved} row(s) out of time order: replayed sorted by timestamp`);
  if (duplicates > 0)
    notes.push(`${duplicates} row(s) repeat an earlier timestamp: kept the first, as the store does`);
  if (draft && Object.keys(draft.scope).length > 0)
    notes.push('the rule’s scope is replaced by the series (one sensor)');

  const ruleDraft: RuleDraft = draft ?? {
    id: 'default-anomaly',
    name: { zh: '默认异常检测', en: 'Default anomaly detector' },
    kind: 'anomaly',
    enabled: true,
    scope: {},
    params: {
      ...defaultAnomalyParams(reported),
      ...(metric === UNNAMED ? { minScale: UNNAMED_MIN_SCALE } : {}),
    },
    for: 0,
    keepFiringFor: 0,
    aqiStandard: 'HJ633-2026',
    labels: {},
  };
  const rule: Rule = {
    ...ruleDraft,
    enabled: true,
    scope: { sensorIds: [SENSOR_ID] },
    version: 1,
    updatedAt: first,
    updatedBy: 'backtest',
    reason: 'backtest',
  };

  const result = runBacktest(
    rows.map((r) => ({ sensorId: SENSOR_ID, observedAt: r.observedAt, values: { [reported]: r.value } })),
    {
      rules: [rule],
      sensors: [sensor],
      from: first,
      tickMs: TICK_MS,
      inPolygon: pointInPolygon,
      scores: values.scores !== undefined,
    },
    last,
  );

  for (const alert of result.alerts) {
    const row = alert.readingIndex !== undefined ? rows[alert.readingIndex] : undefined;
    const line = {
      ts: iso(row ? row.observedAt : alert.firingAt),
      level: alert.severity,
      score: alert.score ?? null,
      value: row ? row.value : (alert.value ?? null),
      line: row ? row.line : null,
      maxLevel: alert.maxSeverity,
      resolvedAt: alert.resolvedAt !== undefined ? iso(alert.resolvedAt) : null,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }

  if (values.scores !== undefined) {
    const byRow = new Map(result.scores.map((s) => [s.readingIndex, s.score]));
    const out = ['timestamp,value,score'];
    rows.forEach((r, i) => {
      const score = byRow.get(i);
      out.push(`${iso(r.observedAt)},${r.value},${score === undefined ? '' : formatScore(score)}`);
    });
    try {
      writeFileSync(values.scores, `${out.join('\n')}\n`);
    } catch (err) {
      throw new Refusal(
        `cannot write ${values.scores}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }

  const counts = countBySeverity(result.alerts);
  const levels = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([severity, n]) => `${n} ${severity}`);
  const named = metric === UNNAMED ? 'an unnamed series' : metric;
  const lines = [
    `backtest: ${rows.length} rows of ${named} from ${iso(first)} to ${iso(last)}, report interval ${sensor.reportIntervalSec} s`,
    `rule ${rule.id} (${rule.kind}${draft ? '' : ', default parameters'}): ${result.alerts.length} alert(s) raised${levels.length ? ` (by highest level: ${levels.join(', ')})` : ''}, ${result.cancelled} pending episode(s) cancelled, ${result.alerts.filter((a) => a.resolvedAt === undefined).length} still open at the end`,
    ...notes.map((n) => `note: ${n}`),
  ];
  if (values.scores !== undefined)
    lines.push(`scores: ${result.scores.length} of ${rows.length} rows scored, written to ${values.scores}`);
  console.error(lines.join('\n'));
  return 0;
}

try {
  process.exitCode = await main();
} catch (err) {
  if (!(err instanceof Refusal)) throw err;
  console.error(`backtest: ${err.message}`);
  process.exitCode = err.exitCode;
}
