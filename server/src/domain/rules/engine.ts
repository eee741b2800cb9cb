import type { AqiStandard } from '@shared/domain/aqi';
import type { AlertSubject, Severity } from '@shared/schemas/alert.schema';
import { isDerivedMetric, type Rule } from '@shared/schemas/rule.schema';
import { aqiKey, deriveSamples, type DerivedState, type DerivedWanted } from './derived';
import {
  applyVerdict,
  INITIAL_LIFECYCLE,
  lifecycleState,
  needsTick,
  tick as tickLifecycle,
  type LifecycleChange,
  type LifecycleSettings,
  type LifecycleState,
} from './lifecycle';
import { kindOf } from './registry';
import type { AnyRuleKind, AreaRef, KindContext, PolygonTest, Sample, SensorInfo, Verdict } from './ruleKind';

/**
 * The rule engine: pure (no I/O, no clock, no framework). Time enters as arguments:
 * readings carry their observation time, ticks carry `now`.
 *
 *     step(state, input, now) → { state, outcomes }
 *
 * State is per (rule, subject): the kind's own state plus the shared lifecycle
 * (lifecycle.ts). For speed the engine owns its state and updates it in place — a
 * reading costs O(rules that can match it), never O(all rules) or O(all state) — and
 * returns the same object; callers treat it as consumed. `snapshot`/`restore` turn it
 * into JSON and back (restart persistence).
 *
 * Indexing: rules are filed by the metric they read (`aqi:<standard>` for derived AQI,
 * `*` for every reading) and by the narrowest scope they name (sensor ids, grid cells,
 * districts, or none). The rules that apply to one (sensor, metric) pair are resolved
 * once and cached on the sensor's entry, each with its (rule, sensor) state, until rules
 * or the catalog change. So a reading costs one lookup of its sensor, and per metric one
 * array read and the rules that match; metrics no rule reads cost a lookup in a small map.
 * An all-clear sample of a rule that is not alerting changes no state object: it costs the
 * sample and the kind's verdict, nothing else.
 */

export type EngineInput =
  | { type: 'reading'; sensorId: string; observedAt: number; values: Readonly<Record<string, number>> }
  | { type: 'tick' };

/** An alert lifecycle change of one (rule, subject). */
export interface AlertOutcome {
  type: 'alert';
  change: LifecycleChange;
  ruleId: string;
  ruleVersion: number;
  ruleKind: Rule['kind'];
  subject: AlertSubject;
  /** The sensor, for sensor subjects. */
  sensor?: SensorInfo;
  /** The area, for area subjects. */
  area?: AreaRef;
  severity: Severity;
  /** Metric the rule watches (derived AQI as `aqi`), when it watches one. */
  metric?: string;
  value?: number;
  score?: number;
  flapping: boolean;
  /** When the condition episode began, epoch ms. */
  startsAt: number;
  /** When this change happened (event time), epoch ms. */
  at: number;
  detail?: Readonly<Record<string, unknown>>;
}

/** An anomaly score of one sample (only with `emitScores`). */
export interface ScoreOutcome {
  type: 'score';
  ruleId: string;
  sensorId: string;
  metric: string;
  at: number;
  value: number;
  score: number;
  detail?: Readonly<Record<string, unknown>>;
}

export type Outcome = AlertOutcome | ScoreOutcome;

export interface EngineOptions {
  inPolygon: PolygonTest;
  /** Emit a ScoreOutcome for every scored sample (backtests, score charts). */
  emitScores?: boolean;
  /**
   * Which sensors this engine judges on the clock (no-data, completeness of a sensor) — in a
   * cluster, those of the partitions this node holds (docs/DEPLOYMENT.md). Default: all.
   */
  judgesSensor?: (sensorId: string) => boolean;
}

/** What the engine keeps per sensor id. */
interface SensorEntry {
  id: string;
  /** Catalog facts; undefined for a sensor known only from restored state. */
  info: SensorInfo | undefined;
  /** Latest observation time (any metric), epoch ms; NEVER before the first. */
  lastSeen: number;
  /** Derived state (air stations' rolling means). */
  derived: DerivedState | undefined;
  /** Listed in `dirtySensors`. */
  dirty: boolean;
  /** Per sample key (by its number in `keyIds`): the rules that read it here (cache over `index`). */
  resolved: Array<Binding[] | undefined>;
}

/**
 * A rule as the samples of one sensor meet it. For a sensor rule it is the (rule, sensor)
 * record itself (judging a sample then visits one object less); for an area rule, a plain
 * binding.
 */
interface Binding {
  compiled: CompiledRule;
}

interface SubjectRecord extends Binding {
  ruleId: string;
  key: string;
  subject: AlertSubject;
  sensorId?: string;
  area?: AreaRef;
  kindState: unknown;
  life: LifecycleState;
  /** `life.phase` is inactive: read on every sample without a visit to `life` (see setLife). */
  inactive: boolean;
  /** Changed since the last snapshot. */
  dirty: boolean;
}

interface CompiledRule {
  rule: Rule;
  /** When the engine started applying this version (engine start or rule change), epoch ms. */
  since: number;
  kind: AnyRuleKind;
  ctx: KindContext<unknown>;
  settings: LifecycleSettings;
  /** Index keys of the samples it reads. */
  keys: string[];
  /** The metric it watches, as shown on alerts. */
  metric?: string;
  inScope: (sensor: SensorInfo) => boolean;
  subjects: Map<string, SubjectRecord>;
  /** Area rules: which areas each sensor belongs to (cache). */
  areasBySensor: Map<string, readonly AreaRef[]>;
  /** Area rules: every area in scope has a subject (cleared when sensors change). */
  areasComplete: boolean;
}

export interface EngineState {
  options: EngineOptions;
  rules: Map<string, CompiledRule>;
  /** Per sensor id: catalog facts, last seen, derived state and resolved rules. */
  sensors: Map<string, SensorEntry>;
  wanted: DerivedWanted;
  /** Rule lists by index key: scoped to sensor ids, cells, districts, or unscoped. */
  index: {
    bySensor: Map<string, Map<string, CompiledRule[]>>;
    byCell: Map<string, Map<string, CompiledRule[]>>;
    byDistrict: Map<string, Map<string, CompiledRule[]>>;
    general: Map<string, CompiledRule[]>;
  };
  /** A number per sample key some rule reads (its place in `SensorEntry.resolved`); other keys are skipped. */
  keyIds: Map<string, number>;
  /** The same without derived metrics: those are ours to compute, not a device's to claim. */
  reportedKeyIds: Map<string, number>;
  /** Subjects whose lifecycle needs the clock (recovering). */
  timed: Set<SubjectRecord>;
  /** Readings of sensors the engine does not know. */
  unknownSensorReadings: number;
  /** Sensors whose last-seen time or derived state changed since the last `sensorSnapshot`. */
  dirtySensors: SensorEntry[];
}

export interface EngineStep {
  state: EngineState;
  outcomes: Outcome[];
}

/** Key under which a rule's samples are filed: the metric, or `aqi:<standard>` for AQI. */
function sampleKeyOf(metric: string, standard: AqiStandard): string {
  return metric === 'aqi' ? aqiKey(standard) : metric;
}

/** Whether a sensor is in a rule's scope (every named scope field must match). */
export function compileScope(s: Rule['scope'], inPolygon: PolygonTest): (sensor: SensorInfo) => boolean {
  const ids = s.sensorIds && new Set(s.sensorIds);
  const kinds = s.kinds && new Set<string>(s.kinds);
  const subtypes = s.subtypes && new Set<string>(s.subtypes);
  const districts = s.districtIds && new Set(s.districtIds);
  const cells = s.gridCellIds && new Set(s.gridCellIds);
  const polygon = s.polygon;
  return (sensor) =>
    (!ids || ids.has(sensor.id)) &&
    (!kinds || kinds.has(sensor.kind)) &&
    (!subtypes || subtypes.has(sensor.subtype)) &&
    (!districts || (sensor.districtId !== null && districts.has(sensor.districtId))) &&
    (!cells || (sensor.gridCellId !== null && cells.has(sensor.gridCellId))) &&
    (!polygon || (sensor.location !== null && inPolygon(sensor.location, polygon)));
}

function compileRule(rule: Rule, options: EngineOptions, since: number): CompiledRule {
  const kind = kindOf(rule.kind);
  // Rules reach the engine validated; parse again so defaults and units are always applied.
  const params = kind.paramsSchema.parse(rule.params);
  const metrics = kind.metrics(params);
  const flap = rule.flap ? { windowSec: rule.flap.window, transitions: rule.flap.transitions } : undefined;
  const watched = metrics.find((m) => m !== '*');
  return {
    rule,
    since,
    kind,
    ctx: { params, rule },
    settings: { forSec: rule.for, keepFiringForSec: rule.keepFiringFor, flap },
    keys: metrics.map((m) => sampleKeyOf(m, rule.aqiStandard)),
    metric: watched,
    inScope: compileScope(rule.scope, options.inPolygon),
    subjects: new Map(),
    areasBySensor: new Map(),
    areasComplete: false,
  };
}

function file(
  map: Map<string, Map<string, CompiledRule[]>>,
  at: string,
  key: string,
  rule: CompiledRule,
): void {
  let byKey = map.get(at);
  if (!byKey) map.set(at, (byKey = new Map()));
  let list = byKey.get(key);
  if (!list) byKey.set(key, (list = []));
  list.push(rule);
}

function rebuildIndex(state: EngineState): void {
  const index: EngineState['index'] = {
    bySensor: new Map(),
    byCell: new Map(),
    byDistrict: new Map(),
    general: new Map(),
  };
  const aqiStandards = new Set<AqiStandard>();
  const keyIds = new Map<string, number>();
  let traffic = false;
  for (const compiled of state.rules.values()) {
    const scope = compiled.rule.scope;
    for (const key of compiled.keys) {
      if (!keyIds.has(key)) keyIds.set(key, keyIds.size);
      if (key.startsWith('aqi:')) aqiStandards.add(compiled.rule.aqiStandard);
      if (key === 'tti' || key === 'tpi' || key === 'congestion') traffic = true;
      if (scope.sensorIds) for (const id of scope.sensorIds) file(index.bySensor, id, key, compiled);
      else if (scope.gridCellIds) for (const id of scope.gridCellIds) file(index.byCell, id, key, compiled);
      else if (scope.districtIds)
        for (const id of scope.districtIds) file(index.byDistrict, id, key, compiled);
      else {
        let list = index.general.get(key);
        if (!list) index.general.set(key, (list = []));
        list.push(compiled);
      }
    }
  }
  state.index = index;
  state.wanted = { aqiStandards, traffic };
  state.keyIds = keyIds;
  state.reportedKeyIds = new Map([...keyIds].filter(([key]) => !isDerivedMetric(key)));
  forgetResolved(state);
  for (const compiled of state.rules.values()) {
    compiled.areasBySensor.clear();
    compiled.areasComplete = false;
  }
}

/** Drops every sensor's resolved rules (rules, keys or subject records changed). */
function forgetResolved(state: EngineState): void {
  for (const entry of state.sensors.values()) entry.resolved = [];
}

/**
 * The rules that read `key` samples of `sensor` (numbered `keyId`), resolved once per sensor
 * and key; sensor rules by their (rule, sensor) records, created here by the first sample (`at`).
 */
function bindingsFor(
  state: EngineState,
  entry: SensorEntry,
  sensor: SensorInfo,
  key: string,
  keyId: number,
  at: number,
): readonly Binding[] {
  const cached = entry.resolved[keyId];
  if (cached) return cached;
  const { bySensor, byCell, byDistrict, general } = state.index;
  const candidates = [
    ...(bySensor.get(sensor.id)?.get(key) ?? []),
    ...((sensor.gridCellId && byCell.get(sensor.gridCellId)?.get(key)) || []),
    ...((sensor.districtId && byDistrict.get(sensor.districtId)?.get(key)) || []),
    ...(general.get(key) ?? []),
  ];
  // A scope may name the same sensor or cell twice: judge each rule once per sample.
  const list = [...new Set(candidates)]
    .filter((c) => c.rule.enabled && c.inScope(sensor))
    .map((compiled): Binding =>
      compiled.kind.subject === 'sensor' ? sensorSubject(compiled, sensor, at) : { compiled },
    );
  entry.resolved[keyId] = list;
  return list;
}

/** `lastSeen` of a sensor never heard from (a number, so the field stays a plain double). */
const NEVER = Number.NEGATIVE_INFINITY;

function newEntry(id: string, info: SensorInfo | undefined): SensorEntry {
  return { id, info, lastSeen: NEVER, derived: undefined, dirty: false, resolved: [] };
}

function lastSeenOf(entry: SensorEntry): number | undefined {
  return entry.lastSeen === NEVER ? undefined : entry.lastSeen;
}

/** The entry of `sensorId`, created (without catalog facts) for state restored before the catalog knows it. */
function entryOf(state: EngineState, sensorId: string): SensorEntry {
  let entry = state.sensors.get(sensorId);
  if (!entry) state.sensors.set(sensorId, (entry = newEntry(sensorId, undefined)));
  return entry;
}

export function createEngine(
  rules: readonly Rule[],
  sensors: readonly SensorInfo[],
  now: number,
  options: EngineOptions,
): EngineState {
  const state: EngineState = {
    options,
    rules: new Map(),
    sensors: new Map(sensors.map((s) => [s.id, newEntry(s.id, s)])),
    wanted: { aqiStandards: new Set(), traffic: false },
    index: { bySensor: new Map(), byCell: new Map(), byDistrict: new Map(), general: new Map() },
    keyIds: new Map(),
    reportedKeyIds: new Map(),
    timed: new Set(),
    unknownSensorReadings: 0,
    dirtySensors: [],
  };
  for (const rule of rules) if (rule.enabled) state.rules.set(rule.id, compileRule(rule, options, now));
  rebuildIndex(state);
  return state;
}

/**
 * Replaces the rule set live. Rules whose id and version are unchanged keep their state;
 * a changed rule of the same kind keeps its state too (a new sensitivity must not throw
 * away a learnt baseline), re-judged from the next sample. Rules removed, disabled or
 * changed to another kind resolve their open alerts (outcomes returned), and so do the
 * sensors a changed rule's scope no longer covers.
 */
export function setRules(state: EngineState, rules: readonly Rule[], now: number): EngineStep {
  const outcomes: Outcome[] = [];
  const next = new Map<string, CompiledRule>();
  for (const rule of rules) {
    if (!rule.enabled) continue;
    const old = state.rules.get(rule.id);
    if (old && old.rule.version === rule.version) {
      next.set(rule.id, old);
      continue;
    }
    const compiled = compileRule(rule, state.options, now);
    if (old && old.rule.kind === rule.kind) {
      for (const [key, rec] of old.subjects) {
        // A sensor the changed rule no longer covers leaves it: its alert ends now.
        const info = rec.subject.type === 'sensor' ? state.sensors.get(rec.subject.id)?.info : undefined;
        if (rec.subject.type === 'sensor' && (!info || !compiled.inScope(info))) {
          if (rec.life.phase !== 'inactive') {
            const change = rec.life.phase === 'pending' ? 'cancelled' : 'resolved';
            outcomes.push(outcomeOf(state, compiled, rec, rec.life, change, now, { reason: 'out-of-scope' }));
          }
          continue;
        }
        compiled.subjects.set(
          key,
          record(compiled, key, rec.subject, rec.area, rec.kindState, rec.life, true),
        );
      }
    }
    next.set(rule.id, compiled);
  }
  for (const [id, old] of state.rules) {
    const kept = next.get(id);
    if (kept && kept.rule.kind === old.rule.kind) continue;
    for (const rec of old.subjects.values()) {
      state.timed.delete(rec);
      if (rec.life.phase !== 'inactive') {
        const change = rec.life.phase === 'pending' ? 'cancelled' : 'resolved';
        outcomes.push(outcomeOf(state, old, rec, rec.life, change, now));
      }
    }
  }
  // Timed records of kept rules were copied: re-register the copies.
  state.timed.clear();
  for (const compiled of next.values()) {
    for (const rec of compiled.subjects.values()) if (needsTick(rec.life)) state.timed.add(rec);
  }
  state.rules = next;
  rebuildIndex(state);
  return { state, outcomes };
}

/** Adds or replaces a sensor (registration, move). Rule resolution for it is recomputed. */
export function upsertSensor(state: EngineState, sensor: SensorInfo): void {
  const entry = entryOf(state, sensor.id);
  entry.info = sensor;
  entry.resolved = [];
  for (const compiled of state.rules.values()) {
    compiled.areasBySensor.delete(sensor.id);
    compiled.areasComplete = false;
  }
}

function outcomeOf(
  state: EngineState,
  compiled: CompiledRule,
  rec: SubjectRecord,
  life: LifecycleState,
  change: LifecycleChange,
  at: number,
  detail?: Readonly<Record<string, unknown>>,
): AlertOutcome {
  return {
    type: 'alert',
    change,
    ruleId: compiled.rule.id,
    ruleVersion: compiled.rule.version,
    ruleKind: compiled.rule.kind,
    subject: rec.subject,
    sensor: rec.sensorId !== undefined ? state.sensors.get(rec.sensorId)?.info : undefined,
    area: rec.area,
    severity: life.severity,
    metric: compiled.metric,
    value: life.value,
    score: life.score,
    flapping: life.flapping,
    startsAt: life.activeSince,
    at,
    detail,
  };
}

function judge(
  state: EngineState,
  compiled: CompiledRule,
  rec: SubjectRecord,
  verdict: Verdict | null,
  at: number,
  outcomes: Outcome[],
): void {
  if (verdict === null) return;
  // The hot path: all clear while nothing is or was wrong changes nothing (lifecycle.ts).
  if (!verdict.active && rec.inactive) return;
  const { state: life, changes } = applyVerdict(rec.life, verdict, at, compiled.settings);
  if (life === rec.life) return;
  setLife(rec, life);
  rec.dirty = true;
  if (needsTick(life)) state.timed.add(rec);
  else state.timed.delete(rec);
  for (const change of changes)
    outcomes.push(outcomeOf(state, compiled, rec, life, change, at, verdict.detail));
}

function sensorSubject(compiled: CompiledRule, sensor: SensorInfo, at: number): SubjectRecord {
  let rec = compiled.subjects.get(sensor.id);
  if (!rec) {
    const kind = compiled.kind;
    if (kind.subject !== 'sensor') throw new Error(`Rule ${compiled.rule.id} is not a sensor rule`);
    const subject: AlertSubject = { type: 'sensor', id: sensor.id };
    rec = record(
      compiled,
      sensor.id,
      subject,
      undefined,
      kind.init(compiled.ctx, sensor, at),
      INITIAL_LIFECYCLE,
      true,
    );
    compiled.subjects.set(sensor.id, rec);
  }
  return rec;
}

/** A (rule, subject) record; built in this one place so every record has the same shape. */
function record(
  compiled: CompiledRule,
  key: string,
  subject: AlertSubject,
  area: AreaRef | undefined,
  kindState: unknown,
  life: LifecycleState,
  dirty: boolean,
): SubjectRecord {
  return {
    compiled,
    ruleId: compiled.rule.id,
    key,
    subject,
    sensorId: subject.type === 'sensor' ? subject.id : undefined,
    area,
    kindState,
    life,
    inactive: life.phase === 'inactive',
    dirty,
  };
}

function setLife(rec: SubjectRecord, life: LifecycleState): void {
  rec.life = life;
  rec.inactive = life.phase === 'inactive';
}

function areaKey(area: AreaRef): string {
  return `${area.type}:${area.id}`;
}

function areaSubject(state: EngineState, compiled: CompiledRule, area: AreaRef, at: number): SubjectRecord {
  const rec = compiled.subjects.get(areaKey(area));
  if (rec) return rec;
  ensureAreas(state, compiled, at);
  return compiled.subjects.get(areaKey(area))!;
}

/** Creates a subject for every area in the rule's scope that has none, in one pass over the sensors. */
function ensureAreas(state: EngineState, compiled: CompiledRule, at: number): void {
  if (compiled.areasComplete) return;
  const kind = compiled.kind;
  if (kind.subject !== 'area') throw new Error(`Rule ${compiled.rule.id} is not an area rule`);
  const members = new Map<string, { area: AreaRef; sensors: SensorInfo[] }>();
  for (const { info: sensor } of state.sensors.values()) {
    if (!sensor || !compiled.inScope(sensor)) continue;
    for (const area of areasOf(state, compiled, sensor)) {
      const key = areaKey(area);
      let entry = members.get(key);
      if (!entry) members.set(key, (entry = { area, sensors: [] }));
      entry.sensors.push(sensor);
    }
  }
  for (const [key, { area, sensors }] of members) {
    if (compiled.subjects.has(key)) continue;
    const subject: AlertSubject = { type: area.type, id: area.id };
    const kindState: unknown = kind.init(compiled.ctx, area, sensors, at);
    compiled.subjects.set(key, record(compiled, key, subject, area, kindState, INITIAL_LIFECYCLE, true));
  }
  compiled.areasComplete = true;
}

function areasOf(state: EngineState, compiled: CompiledRule, sensor: SensorInfo): readonly AreaRef[] {
  let areas = compiled.areasBySensor.get(sensor.id);
  if (!areas) {
    const kind = compiled.kind;
    areas = kind.subject === 'area' ? kind.areasOf(compiled.ctx, sensor, state.options.inPolygon) : [];
    compiled.areasBySensor.set(sensor.id, areas);
  }
  return areas;
}

/** Judges one sample by the rules that read it (`bindings`, not empty). */
function applySample(
  state: EngineState,
  sensor: SensorInfo,
  bindings: readonly Binding[],
  sample: Sample,
  outcomes: Outcome[],
): void {
  for (let i = 0; i < bindings.length; i++) {
    const binding = bindings[i]!;
    const compiled = binding.compiled;
    const kind = compiled.kind;
    if (kind.subject === 'sensor') {
      const rec = binding as SubjectRecord; // see bindingsFor
      const judged = kind.onSample(rec.kindState, sample, compiled.ctx, sensor);
      if (judged.state !== rec.kindState || judged.changed === true) {
        rec.kindState = judged.state;
        rec.dirty = true;
      }
      const verdict = judged.verdict;
      if (state.options.emitScores && verdict?.score !== undefined) {
        outcomes.push({
          type: 'score',
          ruleId: compiled.rule.id,
          sensorId: sensor.id,
          metric: sample.metric,
          at: sample.at,
          value: sample.value,
          score: verdict.score,
          detail: verdict.detail,
        });
      }
      judge(state, compiled, rec, verdict, sample.at, outcomes);
    } else {
      for (const area of areasOf(state, compiled, sensor)) {
        const rec = areaSubject(state, compiled, area, sample.at);
        const judged = kind.onSample(rec.kindState, sample, compiled.ctx, sensor);
        rec.kindState = judged.state;
        rec.dirty = true;
        judge(state, compiled, rec, judged.verdict, sample.at, outcomes);
      }
    }
  }
}

function onReading(
  state: EngineState,
  input: Extract<EngineInput, { type: 'reading' }>,
  outcomes: Outcome[],
): void {
  const entry = state.sensors.get(input.sensorId);
  const sensor = entry?.info;
  if (!entry || !sensor) {
    state.unknownSensorReadings++;
    return;
  }
  const at = input.observedAt;
  if (at > entry.lastSeen) entry.lastSeen = at;
  if (!entry.dirty) {
    entry.dirty = true;
    state.dirtySensors.push(entry);
  }
  const keyIds = state.keyIds;
  const reported = state.reportedKeyIds;
  const values = input.values;
  for (const metric in values) {
    const keyId = reported.get(metric);
    if (keyId === undefined) continue; // no rule reads it
    const bindings = bindingsFor(state, entry, sensor, metric, keyId, at);
    if (bindings.length === 0) continue;
    applySample(
      state,
      sensor,
      bindings,
      { sensorId: entry.id, metric, value: values[metric]!, at },
      outcomes,
    );
  }
  if (state.wanted.aqiStandards.size > 0 || state.wanted.traffic) {
    // Only air stations keep derived state (rolling means); traffic indices are per reading.
    if (!entry.derived && sensor.kind === 'air') entry.derived = {};
    for (const sample of deriveSamples(entry.derived, sensor, values, at, state.wanted)) {
      const keyId = keyIds.get(sample.metric);
      if (keyId === undefined) continue;
      const bindings = bindingsFor(state, entry, sensor, sample.metric, keyId, at);
      if (bindings.length > 0) applySample(state, sensor, bindings, sample, outcomes);
    }
  }
  const everyReading = keyIds.get('*');
  if (everyReading !== undefined) {
    const bindings = bindingsFor(state, entry, sensor, '*', everyReading, at);
    if (bindings.length > 0) {
      applySample(
        state,
        sensor,
        bindings,
        { sensorId: entry.id, metric: '*', value: Number.NaN, at },
        outcomes,
      );
    }
  }
}

function onTick(state: EngineState, now: number, outcomes: Outcome[]): void {
  for (const compiled of state.rules.values()) {
    const kind = compiled.kind;
    if (!kind.onTick) continue;
    if (kind.subject === 'sensor') {
      const judges = state.options.judgesSensor;
      for (const entry of state.sensors.values()) {
        const sensor = entry.info;
        if (!sensor || !compiled.inScope(sensor)) continue;
        if (judges && !judges(entry.id)) continue;
        // A sensor never heard from is silent since the rule started watching, not since this tick.
        const rec = sensorSubject(compiled, sensor, compiled.since);
        const judged = kind.onTick(rec.kindState, now, compiled.ctx, sensor, lastSeenOf(entry));
        rec.kindState = judged.state;
        judge(state, compiled, rec, judged.verdict, now, outcomes);
      }
    } else {
      ensureAreas(state, compiled, now);
      for (const rec of compiled.subjects.values()) {
        const judged = kind.onTick(rec.kindState, now, compiled.ctx);
        rec.kindState = judged.state;
        rec.dirty = true;
        judge(state, compiled, rec, judged.verdict, now, outcomes);
      }
    }
  }
  const judgesTimed = state.options.judgesSensor;
  for (const rec of [...state.timed]) {
    const compiled = state.rules.get(rec.ruleId);
    if (!compiled || compiled.subjects.get(rec.key) !== rec) {
      state.timed.delete(rec);
      continue;
    }
    // A restored timer of a sensor this engine does not judge (yet) waits: until its partition
    // has caught up, or for the node that holds it.
    if (judgesTimed && rec.subject.type === 'sensor' && !judgesTimed(rec.subject.id)) continue;
    const { state: life, changes } = tickLifecycle(rec.life, now, compiled.settings);
    if (life === rec.life) continue;
    setLife(rec, life);
    rec.dirty = true;
    if (!needsTick(life)) state.timed.delete(rec);
    for (const change of changes) outcomes.push(outcomeOf(state, compiled, rec, life, change, now));
  }
}

/**
 * Feeds one input. Readings are judged at their observation time; ticks at `now`
 * (no-data, completeness, area windows, hysteresis timers).
 */
export function step(state: EngineState, input: EngineInput, now: number): EngineStep {
  const outcomes: Outcome[] = [];
  if (input.type === 'reading') onReading(state, input, outcomes);
  else onTick(state, now, outcomes);
  return { state, outcomes };
}

// ---------------------------------------------------------------------------
// Persistence: state of (rule, subject) pairs as JSON rows.

/** One (rule, subject) state, JSON-serialisable. */
export interface SubjectSnapshot {
  ruleId: string;
  ruleVersion: number;
  /** Kind that wrote `kindState` (absent in states saved before it was recorded). */
  ruleKind?: Rule['kind'];
  subjectKey: string;
  subject: AlertSubject;
  area?: AreaRef;
  kindState: unknown;
  life: LifecycleState;
}

/**
 * States changed since the last call (all of them with `all`), and marks them clean.
 * Derived rolling means are included per sensor under the pseudo-rule id `#derived`.
 */
export function snapshot(
  state: EngineState,
  all = false,
  keep: (subject: AlertSubject) => boolean = () => true,
): SubjectSnapshot[] {
  const out: SubjectSnapshot[] = [];
  for (const compiled of state.rules.values()) {
    for (const rec of compiled.subjects.values()) {
      if (!all && !rec.dirty) continue;
      // Not this caller's to save (a cluster node saves only what it judges): left dirty.
      if (!keep(rec.subject)) continue;
      rec.dirty = false;
      out.push({
        ruleId: compiled.rule.id,
        ruleVersion: compiled.rule.version,
        ruleKind: compiled.rule.kind,
        subjectKey: rec.key,
        subject: rec.subject,
        area: rec.area,
        kindState: rec.kindState,
        life: rec.life,
      });
    }
  }
  return out;
}

/** Per-sensor state (last seen, derived rolling means) changed since the last call; marks it clean. */
export function sensorSnapshot(
  state: EngineState,
  all = false,
  keep: (sensorId: string) => boolean = () => true,
): Array<{ sensorId: string; lastSeen: number | null; derived: DerivedState | null }> {
  const entries = (
    all
      ? [...state.sensors.values()].filter((e) => e.lastSeen !== NEVER || e.derived !== undefined)
      : state.dirtySensors
  ).filter((e) => keep(e.id));
  const out = entries.map((e) => ({
    sensorId: e.id,
    lastSeen: lastSeenOf(e) ?? null,
    derived: e.derived ?? null,
  }));
  // Sensors not kept stay dirty for whoever saves them.
  const left: SensorEntry[] = [];
  for (const e of state.dirtySensors) {
    if (keep(e.id)) e.dirty = false;
    else left.push(e);
  }
  state.dirtySensors = left;
  return out;
}

/**
 * Restores states saved by `snapshot` (after a restart). States of rules that no longer
 * exist or changed kind are skipped; a state saved under an older version of the same
 * rule is adopted like a live rule change would.
 */
export function restore(
  state: EngineState,
  subjects: readonly SubjectSnapshot[],
  derived: ReadonlyArray<{ sensorId: string; derived: DerivedState }> = [],
  lastSeen: ReadonlyArray<{ sensorId: string; at: number }> = [],
): { restored: number; skipped: number } {
  let restored = 0;
  let skipped = 0;
  for (const snap of subjects) {
    const compiled = state.rules.get(snap.ruleId);
    if (!compiled || (snap.ruleKind !== undefined && snap.ruleKind !== compiled.rule.kind)) {
      skipped++;
      continue;
    }
    const rec = record(
      compiled,
      snap.subjectKey,
      snap.subject,
      snap.area,
      snap.kindState,
      lifecycleState(snap.life),
      false,
    );
    compiled.subjects.set(rec.key, rec);
    if (needsTick(rec.life)) state.timed.add(rec);
    restored++;
  }
  // Resolved rules hold the subject records they saw: let them find the restored ones.
  forgetResolved(state);
  for (const d of derived) entryOf(state, d.sensorId).derived = d.derived;
  for (const s of lastSeen) entryOf(state, s.sensorId).lastSeen = s.at;
  return { restored, skipped };
}

/**
 * Forget what the engine holds about some sensors: their subjects of sensor rules (timers,
 * baselines) and their last-seen time and derived means. In a cluster, a node that hands a
 * partition over drops it (the new owner restores it from the store), so that stale state is
 * never saved over the new owner's, nor judged again should the partition come back.
 */
export function dropSensors(state: EngineState, sensorIds: ReadonlySet<string>): void {
  for (const compiled of state.rules.values()) {
    if (compiled.kind.subject !== 'sensor') continue;
    for (const [key, rec] of compiled.subjects) {
      if (rec.subject.type !== 'sensor' || !sensorIds.has(rec.subject.id)) continue;
      compiled.subjects.delete(key);
      state.timed.delete(rec);
    }
  }
  forgetResolved(state);
  for (const id of sensorIds) {
    const entry = state.sensors.get(id);
    if (!entry) continue;
    entry.lastSeen = NEVER;
    entry.derived = undefined;
  }
  state.dirtySensors = state.dirtySensors.filter((e) => !sensorIds.has(e.id));
  for (const id of sensorIds) {
    const entry = state.sensors.get(id);
    if (entry) entry.dirty = false;
  }
}

/** The newest observation time the engine has judged for a sensor, if any. */
export function lastSeenAt(state: EngineState, sensorId: string): number | undefined {
  const entry = state.sensors.get(sensorId);
  return entry ? lastSeenOf(entry) : undefined;
}

/** Open (non-inactive) subjects of every rule, for inspection (tests, diagnostics). */
export function activeSubjects(
  state: EngineState,
): Array<{ ruleId: string; subject: AlertSubject; phase: string }> {
  const out: Array<{ ruleId: string; subject: AlertSubject; phase: string }> = [];
  for (const compiled of state.rules.values()) {
    for (const rec of compiled.subjects.values()) {
      if (rec.life.phase !== 'inactive')
        out.push({ ruleId: compiled.rule.id, subject: rec.subject, phase: rec.life.phase });
    }
  }
  return out;
}
