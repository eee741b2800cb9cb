import type { ErrorDetail } from '@shared/schemas/errors.schema';
import type { Rule, RuleBacktestBody, RuleBacktestResult } from '@shared/schemas/rule.schema';
import { reachesSensor, type Reach } from '../domain/access';
import { countBySeverity, createBacktest, ruleScopeTest } from '../domain/rules/backtest';
import { validateRule } from '../domain/rules/registry';
import type { PolygonTest, SensorInfo } from '../domain/rules/ruleKind';
import { sensorInfoOf } from './alerting.service';
import type { CatalogService } from './catalog.service';
import type { ReadingStore } from './ports';
import type { RulesService } from './rules.service';

/** A refused backtest, with an HTTP-friendly code and the fields at fault. */
export class BacktestError extends Error {
  constructor(
    readonly code: 'invalid_request' | 'not_found' | 'forbidden' | 'overloaded',
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'BacktestError';
  }
}

export interface BacktestSettings {
  /** How long raw readings are kept (RAW_RETENTION_DAYS), ms: nothing older can be replayed. */
  rawRetentionMs: number;
  /** Finest virtual clock tick, ms; longer ranges tick coarser (see `maxTicks`). */
  tickMs: number;
  /** Most clock ticks one replay feeds: a long range ticks every range ÷ maxTicks. */
  maxTicks: number;
  /** Most readings one replay reads; beyond, it stops and says where. */
  maxReadings: number;
  /** Wall time one replay may take, ms; beyond, it stops and says where. */
  timeBudgetMs: number;
  /** Replays running at once; more are refused as overloaded. */
  maxConcurrent: number;
  /** Alerts listed in an answer (all are counted). */
  maxListedAlerts: number;
}

export const DEFAULT_BACKTEST_SETTINGS: Omit<BacktestSettings, 'rawRetentionMs'> = {
  tickMs: 10_000,
  maxTicks: 50_000,
  maxReadings: 2_000_000,
  timeBudgetMs: 30_000,
  maxConcurrent: 2,
  maxListedAlerts: 10_000,
};

const iso = (ms: number) => new Date(ms).toISOString();
const DAY_MS = 86_400_000;

/** Let other requests and ingest run between pages of a replay. */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * 回放 — what would a rule have raised on stored history? Replays the raw readings of the
 * sensors in the rule's scope (narrowed to the caller's area) through the pure engine in
 * virtual time (domain/rules/backtest.ts), before the rule is enabled. Bounded three ways:
 * the range (31 days, checked by the body schema), the readings read, and wall time; the
 * store is read a page at a time with the event loop free in between.
 */
export class BacktestService {
  private running = 0;
  private readonly settings: BacktestSettings;

  constructor(
    private readonly deps: {
      catalog: CatalogService;
      store: ReadingStore;
      rules: Pick<RulesService, 'get'>;
      clock: () => number;
      inPolygon: PolygonTest;
      settings: Partial<BacktestSettings> & Pick<BacktestSettings, 'rawRetentionMs'>;
    },
  ) {
    this.settings = { ...DEFAULT_BACKTEST_SETTINGS, ...deps.settings };
  }

  async run(body: RuleBacktestBody, reach: Reach): Promise<RuleBacktestResult> {
    const { clock, store } = this.deps;
    const settings = this.settings;
    const started = clock();
    const rule = this.ruleOf(body);
    const warnings: string[] = [];
    const sensors = this.sensorsOf(rule, body.sensorIds, reach, warnings);

    const now = clock();
    const horizon = now - settings.rawRetentionMs;
    const replayedFrom = Math.max(body.from, horizon);
    const end = Math.min(body.to, now);
    if (body.from >= now) throw invalid('from', '"from" is in the future: there is nothing to replay yet');
    const kept = `raw readings are kept for ${settings.rawRetentionMs / DAY_MS} days (RAW_RETENTION_DAYS)`;
    if (replayedFrom >= end)
      throw invalid(
        'from',
        `${kept}: nothing before ${iso(horizon)} is left to replay; choose a later range`,
      );
    if (replayedFrom > body.from)
      warnings.push(
        `${kept}: readings before ${iso(horizon)} are gone, so the replay starts there, not at ${iso(body.from)}`,
      );
    if (rule.kind === 'anomaly')
      warnings.push(
        `anomaly detectors start empty at ${iso(replayedFrom)} and judge nothing during their warm-up`,
      );

    if (this.running >= settings.maxConcurrent)
      throw new BacktestError(
        'overloaded',
        `${settings.maxConcurrent} backtests are running; try again when one has finished`,
      );
    this.running++;
    try {
      const tickMs = Math.max(
        settings.tickMs,
        Math.ceil((end - replayedFrom) / settings.maxTicks / 1000) * 1000,
      );
      const backtest = createBacktest({
        rules: [rule],
        sensors,
        from: replayedFrom,
        tickMs,
        inPolygon: this.deps.inPolygon,
      });
      let stoppedAt: number | undefined;
      const scan = store.scanRaw({
        sensorIds: sensors.map((s) => s.id),
        from: replayedFrom,
        to: end,
        maxReadings: settings.maxReadings,
      });
      for await (const page of scan) {
        if (clock() - started > settings.timeBudgetMs && page.readings.length > 0) {
          // Pages are contiguous in time: everything before this page's first reading was fed.
          stoppedAt = page.readings[0]!.observedAt;
          warnings.push(
            `the replay took longer than ${settings.timeBudgetMs / 1000} s and stopped at ${iso(stoppedAt)}; narrow the range or the sensors (sensorIds) for the rest`,
          );
          break;
        }
        for (const reading of page.readings) backtest.reading(reading);
        if (page.truncatedAt !== undefined) {
          stoppedAt = page.truncatedAt;
          warnings.push(
            `more than ${settings.maxReadings.toLocaleString('en')} readings in the range: replayed up to ${iso(stoppedAt)}; narrow the range or the sensors (sensorIds) for the rest`,
          );
          break;
        }
        await breathe();
      }
      const result = backtest.finish(stoppedAt ?? end);
      return {
        rule: { id: rule.id, ...(body.ruleId !== undefined ? { version: rule.version } : {}) },
        from: body.from,
        to: body.to,
        replayedFrom,
        replayedTo: stoppedAt ?? end,
        readings: result.readings,
        sensors: sensors.length,
        truncated: stoppedAt !== undefined,
        tickMs,
        alerts: result.alerts
          .slice(0, settings.maxListedAlerts)
          .map(({ ruleId: _rule, readingIndex: _reading, ...alert }) => alert),
        alertsTotal: result.alerts.length,
        bySeverity: countBySeverity(result.alerts),
        cancelled: result.cancelled,
        warnings,
        durationMs: clock() - started,
      };
    } finally {
      this.running--;
    }
  }

  /** The rule to replay, enabled: a stored rule's current version, or a checked document. */
  private ruleOf(body: RuleBacktestBody): Rule {
    if (body.ruleId !== undefined) {
      const stored = this.deps.rules.get(body.ruleId);
      if (!stored)
        throw new BacktestError('not_found', `rule ${body.ruleId} not found`, [
          { path: 'ruleId', message: 'no such rule' },
        ]);
      return { ...stored, enabled: true };
    }
    const checked = validateRule(body.rule);
    if (!checked.ok) {
      const first = checked.issues[0]!;
      throw new BacktestError(
        'invalid_request',
        `invalid rule: ${first.path}: ${first.message}`,
        checked.issues.map((i) => ({ path: `rule.${i.path}`, message: i.message })),
      );
    }
    return {
      ...checked.rule,
      enabled: true,
      version: 1,
      updatedAt: this.deps.clock(),
      updatedBy: 'backtest',
      reason: 'backtest',
    };
  }

  /** Sensors to replay: in the rule's scope, in the narrowing, in the caller's area. */
  private sensorsOf(
    rule: Rule,
    narrowing: readonly string[] | undefined,
    reach: Reach,
    warnings: string[],
  ): SensorInfo[] {
    const { catalog, inPolygon } = this.deps;
    const inScope = ruleScopeTest(rule.scope, inPolygon);
    if (narrowing) {
      const details: ErrorDetail[] = [];
      narrowing.forEach((id, i) => {
        if (!catalog.sensor(id)) details.push({ path: `sensorIds.${i}`, message: `no sensor ${id}` });
      });
      if (details.length > 0)
        throw new BacktestError('invalid_request', `unknown sensor: ${details[0]!.message}`, details);
      const hidden = narrowing.find((id) => !reachesSensor(reach, catalog.sensor(id)!));
      if (hidden) throw new BacktestError('forbidden', `sensor ${hidden} is outside your assigned area`);
      const chosen = [...new Set(narrowing)].map((id) => sensorInfoOf(catalog.sensor(id)!));
      const sensors = chosen.filter(inScope);
      if (sensors.length === 0)
        throw invalid('sensorIds', `none of these sensors is in the scope of rule ${rule.id}`);
      if (sensors.length < chosen.length)
        warnings.push(
          `${chosen.length - sensors.length} of the sensorIds are not in the rule's scope and were left out`,
        );
      return sensors;
    }
    const all = catalog.listSensors();
    const scoped = all.filter((s) => inScope(sensorInfoOf(s)));
    const reached = scoped.filter((s) => reachesSensor(reach, s));
    if (reached.length < scoped.length)
      warnings.push(
        `${scoped.length - reached.length} sensors in the rule's scope are outside your assigned area and were left out`,
      );
    if (scoped.length === 0) warnings.push(`no sensor is in the scope of rule ${rule.id}`);
    return reached.map(sensorInfoOf);
  }
}

function invalid(path: string, message: string): BacktestError {
  return new BacktestError('invalid_request', message, [{ path, message }]);
}
