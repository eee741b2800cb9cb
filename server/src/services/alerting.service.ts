import { randomUUID } from 'node:crypto';
import type { Alert, AlertState, AlertStatsRow } from '@shared/schemas/alert.schema';
import type { AuditActor } from '@shared/schemas/audit.schema';
import type { Rule } from '@shared/schemas/rule.schema';
import type { Sensor } from '@shared/schemas/sensor.schema';
import type { Reading } from '@shared/schemas/reading.schema';
import {
  createEngine,
  dropSensors,
  lastSeenAt,
  restore,
  setRules,
  snapshot,
  step,
  sensorSnapshot,
  upsertSensor,
  type AlertOutcome,
  type EngineState,
  type Outcome,
} from '../domain/rules/engine';
import type { PolygonTest, SensorInfo } from '../domain/rules/ruleKind';
import { kindOf } from '../domain/rules/registry';
import {
  buildInhibitionIndex,
  matchesLabels,
  sameSuppression,
  suppressionOf,
  type InhibitionIndex,
} from '../domain/alerts/suppression';
import type { IncidentService } from './incidents.service';
import type { SuppressionService } from './suppression.service';
import type { AuditService } from './audit.service';
import type { CatalogService } from './catalog.service';
import type { DomainEvents } from './events';
import {
  AlertChangedError,
  type AlertEventRecord,
  type AlertFilter,
  type AlertRepository,
  type AlertStatsFilter,
  type ReadingStore,
  type RuleStateRepository,
  type SensorEngineState,
} from './ports';

/** A failed operator action on an alert, with an HTTP-friendly code. */
export class AlertActionError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict',
    message: string,
    /** Why, for callers that act on it: `linked` = the alert is already linked to another case. */
    readonly reason: 'refused' | 'linked' = 'refused',
  ) {
    super(message);
    this.name = 'AlertActionError';
  }
}

export interface AlertingSettings {
  /** How often the engine's clock-driven rules run, ms (0: never by itself — the caller ticks, as in virtual time). */
  tickMs: number;
  /** How often changed engine state is written to the store, ms (0: only on stop). */
  persistMs: number;
  /** Default escalation time of red alerts not acknowledged, seconds. */
  escalateRedAfterS: number;
}

/**
 * Which part of the rules an AlertingService runs in a cluster (docs/DEPLOYMENT.md): the sensor
 * rules of the sensors whose partitions this node holds, or — on the leader — the area rules.
 * Absent on a single node: every rule for every sensor.
 */
export type AlertingRole =
  { kind: 'sensors'; owns: (sensorId: string) => boolean } | { kind: 'areas'; active: () => boolean };

export interface AlertingDeps {
  alerts: AlertRepository;
  /** In a cluster: the part this instance runs; readings then come from the cluster router, not the event bus. */
  role?: AlertingRole;
  /** Stored readings, judged again on start where the saved engine state had not seen them. */
  readings?: Pick<ReadingStore, 'scanRaw'>;
  ruleState: RuleStateRepository;
  catalog: CatalogService;
  events: DomainEvents;
  audit: AuditService;
  /** Silences and inhibition rules: muted alerts are stored and shown as muted, never escalated. */
  suppression: SuppressionService;
  /** Correlation of firing alerts into incidents. */
  incidents: IncidentService;
  clock: () => number;
  inPolygon: PolygonTest;
  settings: AlertingSettings;
  onError: (message: string, err: unknown) => void;
}

export function sensorInfoOf(sensor: Sensor): SensorInfo {
  return {
    id: sensor.id,
    kind: sensor.kind,
    subtype: sensor.subtype,
    districtId: sensor.districtId,
    gridCellId: sensor.gridCellId,
    location: sensor.location,
    reportIntervalSec: sensor.reportIntervalSec,
    ...(sensor.road && { freeFlowKmh: sensor.road.freeFlowKmh, roadClass: sensor.road.class }),
  };
}

const SYSTEM: AuditActor = { type: 'system', id: 'alerting' };
/** Times a write lost to another node's change of the same alert is tried again. */
const CHANGED_RETRIES = 3;

/** Run `work` again (it reads the alert afresh) while its write loses a compare-and-set. */
async function retryChanged<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof AlertChangedError) || attempt >= CHANGED_RETRIES) throw err;
    }
  }
}
/** How far before the newest saved `lastSeen` stored readings are judged again on start, beyond `persistMs`. */
const CATCH_UP_MARGIN_MS = 60_000;
/** Most stored readings judged again on start (a save every 5 s leaves far fewer behind). */
const CATCH_UP_MAX_READINGS = 2_000_000;

/** An alert event of the engine or a timer (not of a user). */
const systemEvent = (
  alertId: string,
  at: number,
  type: string,
  data?: Record<string, unknown>,
): AlertEventRecord => ({ alertId, at, type, actor: 'system', ...(data && { data }) });

/**
 * 告警 — runs the rule engine over accepted readings and clock ticks, and turns its
 * outcomes into stored alerts with a lifecycle: pending → firing → acknowledged →
 * resolved → closed. One open alert per (rule, subject) is guaranteed by the store.
 *
 * Outcomes are applied strictly in order through one promise chain, so alert writes
 * never race each other inside a node. Engine state (timers, baselines) is written
 * behind every `persistMs` and on close, and restored on start.
 */
export class AlertingService {
  private engine: EngineState | null = null;
  private rules = new Map<string, Rule>();
  /** Open alerts by id, mirrored from the store (escalation scans these). */
  private readonly open = new Map<string, Alert>();
  private chain: Promise<void> = Promise.resolve();
  /** Open source alerts of the inhibition rules; rebuilt when one of them changes. */
  private inhibitionIndex: InhibitionIndex | null = null;
  private resuppressing = false;
  private held = false;
  private resuppressQueued = false;
  private timers: NodeJS.Timeout[] = [];
  /** The last save failed: the next one writes every state (the failed one had marked them saved). */
  private saveAll = false;
  private readonly unsubscribe: Array<() => void> = [];
  /** Sensors of partitions being taken up (cluster): their alerts are tracked though not judged live yet. */
  private readonly takingIds = new Set<string>();
  /** Open inhibition-source alerts judged on other nodes (see followSource). */
  private readonly otherSources = new Map<string, Alert>();
  /** The area engine is being restored (activate): no ticks on a half-restored state. */
  private activating = false;

  constructor(private readonly deps: AlertingDeps) {}

  /**
   * Build the engine from the rules, restore saved state, judge the readings stored since it was
   * saved, start listening and ticking. Resolves to how many stored readings were judged again.
   */
  async start(rules: readonly Rule[]): Promise<{ replayed: number }> {
    const now = this.deps.clock();
    for (const r of rules) this.rules.set(r.id, r);
    this.engine = this.newEngine(now);
    const role = this.deps.role;
    // In a cluster nothing is owned yet: partitions (and leadership) bring their state with them.
    const replayed = role ? 0 : await this.restoreAndCatchUp(null, now);

    if (!role) {
      this.unsubscribe.push(this.deps.events.on('readings.accepted', (e) => this.onReadings(e.readings)));
    }
    this.unsubscribe.push(
      this.deps.events.on(
        'sensor.registered',
        (e) => {
          if (this.engine) upsertSensor(this.engine, sensorInfoOf(e.sensor));
        },
        { remote: true },
      ),
      // Another node changed an alert (an operator's acknowledgement): keep the mirror current.
      this.deps.events.on('alert.updated', (e) => this.refresh(e.alert), { remoteOnly: true }),
      this.deps.events.on('alert.raised', (e) => this.followSource(e.alert), { remoteOnly: true }),
    );
    this.deps.suppression.onChange(() => {
      this.inhibitionIndex = null;
      this.chain = this.chain
        .then(() => this.resuppress(this.deps.clock()))
        .catch((err) => this.deps.onError('applying silences failed', err));
    });
    const { tickMs, persistMs } = this.deps.settings;
    if (tickMs > 0) this.timers.push(setInterval(() => this.tick(), tickMs));
    if (persistMs > 0) this.timers.push(setInterval(() => void this.persist(), persistMs));
    for (const t of this.timers) t.unref();
    return { replayed };
  }

  /** The rules this instance runs: all of them, or those of its role's kind of subject. */
  private ownRules(rules: Iterable<Rule>): Rule[] {
    const role = this.deps.role;
    const list = [...rules];
    if (!role) return list;
    const subject = role.kind === 'sensors' ? 'sensor' : 'area';
    return list.filter((r) => kindOf(r.kind).subject === subject);
  }

  private newEngine(now: number): EngineState {
    const role = this.deps.role;
    return createEngine(
      this.ownRules(this.rules.values()),
      this.deps.catalog.listSensors().map(sensorInfoOf),
      now,
      {
        inPolygon: this.deps.inPolygon,
        ...(role?.kind === 'sensors' && { judgesSensor: role.owns }),
      },
    );
  }

  /** Whether this instance keeps `alert` (escalates it, mirrors it): always on one node. */
  private ownsAlert(alert: Alert): boolean {
    const role = this.deps.role;
    if (!role) return true;
    if (role.kind === 'sensors')
      return (
        alert.subject.type === 'sensor' &&
        (role.owns(alert.subject.id) || this.takingIds.has(alert.subject.id))
      );
    return alert.subject.type !== 'sensor' && (role.active() || this.activating);
  }

  /**
   * Restore saved engine state — of `sensorIds` only, or everything (null) — load the open
   * alerts that come with it, and judge the stored readings the saved state had not seen.
   */
  private async restoreAndCatchUp(sensorIds: ReadonlySet<string> | null, now: number): Promise<number> {
    const engine = this.engine!;
    const ids = sensorIds ? [...sensorIds] : undefined;
    const [subjects, sensorStates] = await Promise.all([
      this.deps.ruleState.loadSubjects(ids),
      this.deps.ruleState.loadSensors(ids),
    ]);
    // The store filtered a partition's rows; the area engine takes the area subjects only.
    const mine =
      this.deps.role?.kind === 'areas' ? subjects.filter((s) => s.subject.type !== 'sensor') : subjects;
    restore(
      engine,
      mine,
      sensorStates.flatMap((s) => (s.derived ? [{ sensorId: s.sensorId, derived: s.derived }] : [])),
      sensorStates.flatMap((s) => (s.lastSeen !== null ? [{ sensorId: s.sensorId, at: s.lastSeen }] : [])),
    );
    for (const alert of await this.deps.alerts.listOpen()) {
      const taken = sensorIds
        ? alert.subject.type === 'sensor' && sensorIds.has(alert.subject.id)
        : this.ownsAlert(alert);
      if (taken) {
        this.open.set(alert.id, alert);
        this.otherSources.delete(alert.id);
      } else if (this.deps.role && !this.open.has(alert.id)) this.followSource(alert);
    }
    return this.catchUp(sensorStates, now, ids ?? this.deps.catalog.listSensors().map((s) => s.id));
  }

  /**
   * Start judging the sensors of a partition this node now holds (cluster): their saved state
   * and open alerts are loaded and the readings stored since the state was saved are judged.
   * Resolves to how many stored readings were judged again.
   */
  async take(sensorIds: ReadonlySet<string>): Promise<number> {
    for (const id of sensorIds) this.takingIds.add(id);
    try {
      return await this.restoreAndCatchUp(sensorIds, this.deps.clock());
    } finally {
      for (const id of sensorIds) this.takingIds.delete(id);
    }
  }

  /** Forget a partition's sensors without saving anything (a take that failed or was cancelled). */
  async forget(sensorIds: ReadonlySet<string>): Promise<void> {
    await this.chain;
    if (this.engine) dropSensors(this.engine, sensorIds);
    for (const [id, alert] of this.open)
      if (alert.subject.type === 'sensor' && sensorIds.has(alert.subject.id)) this.open.delete(id);
  }

  /**
   * Stop judging a partition's sensors (cluster): their state is saved for the next owner and
   * then forgotten here, with their open alerts.
   */
  async release(sensorIds: ReadonlySet<string>): Promise<void> {
    await this.chain;
    await this.persist(sensorIds);
    await this.forget(sensorIds);
  }

  /** Become the area engine (the leader): restore area states and open area alerts, catch up. */
  async activate(): Promise<number> {
    this.activating = true;
    try {
      await this.chain;
      const now = this.deps.clock();
      this.engine = this.newEngine(now);
      this.open.clear();
      return await this.restoreAndCatchUp(null, now);
    } finally {
      this.activating = false;
    }
  }

  /** No longer the leader: save area states and stop. */
  async deactivate(): Promise<void> {
    await this.chain;
    await this.persist(null, true);
    this.engine = this.newEngine(this.deps.clock());
    this.open.clear();
  }

  /** Feed readings the engine has not judged yet (newer than its last-seen time of their sensor). */
  feedNewer(readings: readonly Reading[]): void {
    const engine = this.engine;
    if (!engine) return;
    this.judge(readings.filter((r) => r.observedAt > (lastSeenAt(engine, r.sensorId) ?? -Infinity)));
  }

  /**
   * Open alerts that can mute others (inhibition sources) judged on other nodes: a feeder's
   * outage in one partition mutes offline alerts in others (cluster only; empty on one node).
   */
  private followSource(alert: Alert): void {
    if (this.open.has(alert.id) || !this.isInhibitionSource(alert)) return;
    const open = alert.state === 'pending' || alert.state === 'firing' || alert.state === 'acknowledged';
    if (open) this.otherSources.set(alert.id, alert);
    else if (!this.otherSources.delete(alert.id)) return;
    this.inhibitionIndex = null;
    if (!this.resuppressing) this.resuppressLater();
  }

  /** Every open alert that may be an inhibition source: this node's and the others'. */
  private *sources(): Iterable<Alert> {
    yield* this.open.values();
    yield* this.otherSources.values();
  }

  /** An alert changed on another node: the mirror takes the stored version. */
  private refresh(alert: Alert): void {
    this.followSource(alert);
    const held = this.open.get(alert.id);
    if (!held && !this.ownsAlert(alert)) return;
    if (held && held.updatedAt > alert.updatedAt) return;
    this.track(alert);
  }

  /**
   * Judge again the readings stored after the engine state was last saved: a `kill -9` loses up
   * to `persistMs` of engine progress, and a breach acknowledged in that time would otherwise
   * never be raised. Readings newer than a sensor's saved `lastSeen`, observed from
   * `persistMs` + 1 min before the newest saved `lastSeen` on, are fed to the restored engine in
   * time order; an alert it raises again for a breach already stored (same rule, subject and
   * start) is not inserted twice, and an open one is found by the store's unique index.
   */
  private async catchUp(
    saved: readonly SensorEngineState[],
    now: number,
    sensorIds: readonly string[],
  ): Promise<number> {
    const store = this.deps.readings;
    const seen = new Map<string, number>();
    for (const s of saved) if (s.lastSeen !== null) seen.set(s.sensorId, s.lastSeen);
    if (!store || seen.size === 0) return 0;
    let newest = Number.NEGATIVE_INFINITY;
    for (const at of seen.values()) if (at > newest) newest = at;
    let fed = 0;
    for await (const page of store.scanRaw({
      sensorIds,
      from: newest - this.deps.settings.persistMs - CATCH_UP_MARGIN_MS,
      to: now + CATCH_UP_MARGIN_MS,
      maxReadings: CATCH_UP_MAX_READINGS,
    })) {
      const unseen = page.readings.filter((r) => r.observedAt > (seen.get(r.sensorId) ?? -Infinity));
      // Judged again: a breach whose alert is stored is not raised twice.
      this.judge(unseen, true);
      fed += unseen.length;
      if (page.truncatedAt !== undefined) {
        this.deps.onError(
          'judging stored readings again stopped early',
          new Error(`more than ${CATCH_UP_MAX_READINGS} readings; the rest from ${page.truncatedAt} on`),
        );
      }
    }
    await this.chain;
    return fed;
  }

  /** Stop timers, wait for pending writes and save engine state. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const u of this.unsubscribe.splice(0)) u();
    await this.chain;
    await this.persist();
  }

  /** Waits until every outcome produced so far is stored and announced. */
  async settled(): Promise<void> {
    await this.chain;
  }

  /** Replace the rule set live (unchanged rules keep their state). */
  applyRules(rules: readonly Rule[]): void {
    if (!this.engine) return;
    this.rules = new Map(rules.map((r) => [r.id, r]));
    const { outcomes } = setRules(this.engine, this.ownRules(rules), this.deps.clock());
    this.enqueue(outcomes);
  }

  /**
   * Feed readings (the 'readings.accepted' listener on one node, the cluster router in a
   * cluster; also used by tests). In a cluster only those this instance judges are kept.
   */
  onReadings(readings: readonly Reading[]): void {
    const role = this.deps.role;
    if (!role) return this.judge(readings);
    if (role.kind === 'sensors') return this.judge(readings.filter((r) => role.owns(r.sensorId)));
    if (role.active()) this.judge(readings);
  }

  private judge(readings: readonly Reading[], replay = false): void {
    const engine = this.engine;
    if (!engine || readings.length === 0) return;
    const outcomes: Outcome[] = [];
    const now = this.deps.clock();
    for (const r of readings) {
      const out = step(
        engine,
        { type: 'reading', sensorId: r.sensorId, observedAt: r.observedAt, values: r.values },
        now,
      ).outcomes;
      for (const o of out) outcomes.push(o);
    }
    this.enqueue(outcomes, replay);
  }

  /**
   * Skip clock-driven work until `until` settles: while a feed replays the past faster than
   * real time (the demo's backfill), every sensor's newest reading is old by the wall clock,
   * and no-data and completeness rules would call the whole city offline for a few seconds.
   */
  holdTicks(until: Promise<unknown>): void {
    this.held = true;
    void until.finally(() => {
      this.held = false;
    });
  }

  /** Clock-driven work: no-data and completeness rules, hysteresis timers, escalation. */
  tick(): void {
    const engine = this.engine;
    if (!engine || this.held) return;
    const role = this.deps.role;
    if (role?.kind === 'areas' && (!role.active() || this.activating)) return;
    const now = this.deps.clock();
    this.enqueue(step(engine, { type: 'tick' }, now).outcomes);
    this.chain = this.chain
      .then(() => this.resuppress(now))
      .then(() => this.escalate(now))
      .catch((err) => this.deps.onError('escalation failed', err));
  }

  /** Apply outcomes in order; `replay`: they come from stored readings judged again (see apply). */
  private enqueue(outcomes: readonly Outcome[], replay = false): void {
    if (outcomes.length === 0) return;
    this.chain = this.chain
      .then(async () => {
        for (const o of outcomes) if (o.type === 'alert') await this.apply(o, replay);
      })
      .catch((err) => this.deps.onError('applying rule outcomes failed', err));
  }

  /**
   * Write changed engine state (timers, baselines, rolling means). In a cluster only what this
   * instance owns is written — plus `releasing`, the sensors of a partition being handed over —
   * so a node never saves stale state over another node's. `force` writes even when inactive.
   */
  async persist(releasing: ReadonlySet<string> | null = null, force = false): Promise<void> {
    const engine = this.engine;
    if (!engine) return;
    const role = this.deps.role;
    if (role?.kind === 'areas' && !role.active() && !force) return;
    const all = this.saveAll;
    // What this instance saves; the rest stays dirty (another instance's, or not ours yet). A
    // partition handed over (`releasing`) leaves its whole state behind, not only what changed.
    const released = (id: string) => releasing?.has(id) ?? false;
    const keepSensor = !role
      ? () => true
      : role.kind === 'sensors'
        ? (id: string) => role.owns(id) && !released(id)
        : () => false; // per-sensor state belongs to the partitions' owners
    const keepSubject = (subject: { type: string; id: string }) =>
      subject.type === 'sensor' ? keepSensor(subject.id) : role?.kind !== 'sensors';
    try {
      const subjects = snapshot(engine, all, keepSubject);
      const sensors = sensorSnapshot(engine, all, keepSensor);
      if (releasing) {
        subjects.push(...snapshot(engine, true, (x) => x.type === 'sensor' && released(x.id)));
        sensors.push(...sensorSnapshot(engine, true, released));
      }
      this.saveAll = false;
      if (subjects.length || sensors.length)
        await this.deps.ruleState.save(subjects, sensors, this.deps.clock());
    } catch (err) {
      // Taking the snapshot marked the states clean: save them all next time (database busy, disk full).
      this.saveAll = true;
      this.deps.onError('saving rule engine state failed', err);
    }
  }

  // -------------------------------------------------------------------------
  // Outcomes → alerts

  private titleOf(o: AlertOutcome): Alert['title'] {
    const rule = this.rules.get(o.ruleId);
    const name = rule?.name ?? { zh: o.ruleId, en: o.ruleId };
    const subject = this.subjectName(o);
    return { zh: `${name.zh} · ${subject.zh}`, en: `${name.en} · ${subject.en}` };
  }

  private subjectName(o: AlertOutcome): { zh: string; en: string } {
    const { type, id } = o.subject;
    if (type === 'sensor') return this.deps.catalog.sensor(id)?.name ?? { zh: id, en: id };
    if (type === 'cell') return this.deps.catalog.gridCell(id)?.name ?? { zh: id, en: id };
    if (type === 'district') return this.deps.catalog.district(id)?.name ?? { zh: id, en: id };
    return o.area?.name ?? { zh: id, en: id };
  }

  private labelsOf(o: AlertOutcome, districtId?: string, gridCellId?: string): Record<string, string> {
    const rule = this.rules.get(o.ruleId);
    return {
      ...(rule?.labels ?? {}),
      ruleId: o.ruleId,
      ruleKind: o.ruleKind,
      severity: o.severity,
      subjectType: o.subject.type,
      subjectId: o.subject.id,
      ...(o.metric && { metric: o.metric }),
      ...(o.sensor && { sensorId: o.sensor.id, sensorKind: o.sensor.kind, subtype: o.sensor.subtype }),
      ...(districtId && { districtId }),
      ...(gridCellId && { gridCellId }),
    };
  }

  private newAlert(o: AlertOutcome, state: AlertState, now: number): Alert {
    const districtId =
      o.sensor?.districtId ??
      (o.subject.type === 'district'
        ? o.subject.id
        : o.subject.type === 'cell'
          ? this.deps.catalog.gridCell(o.subject.id)?.districtId
          : undefined);
    const gridCellId = o.sensor?.gridCellId ?? (o.subject.type === 'cell' ? o.subject.id : undefined);
    const location =
      o.sensor?.location ??
      (o.subject.type === 'cell' ? this.deps.catalog.gridCell(o.subject.id)?.centroid : undefined) ??
      (o.subject.type === 'district' ? this.deps.catalog.district(o.subject.id)?.centroid : undefined);
    return {
      id: randomUUID(),
      ruleId: o.ruleId,
      ruleVersion: o.ruleVersion,
      ruleKind: o.ruleKind,
      subject: o.subject,
      severity: o.severity,
      state,
      title: this.titleOf(o),
      ...(o.metric !== undefined && { metric: o.metric.startsWith('aqi') ? 'aqi' : o.metric }),
      ...(o.value !== undefined && { value: o.value }),
      ...(o.score !== undefined && { score: o.score }),
      ...(location && { location }),
      ...(districtId && { districtId }),
      ...(gridCellId && { gridCellId }),
      startsAt: o.startsAt,
      ...(state === 'firing' && { firingAt: o.at }),
      updatedAt: now,
      flapping: o.flapping,
      labels: this.labelsOf(o, districtId, gridCellId),
      ...(o.detail && { detail: { ...o.detail } }),
    };
  }

  /** Apply one outcome; if another node changed the alert meanwhile, read it again and re-apply. */
  private apply(o: AlertOutcome, replay: boolean): Promise<void> {
    return retryChanged(() => this.applyOnce(o, replay));
  }

  private async applyOnce(o: AlertOutcome, replay: boolean): Promise<void> {
    const now = this.deps.clock();
    const existing = await this.deps.alerts.findOpen(o.ruleId, o.subject.type, o.subject.id);
    if (!existing) {
      if (
        o.change !== 'pending' &&
        o.change !== 'firing' &&
        o.change !== 'severity' &&
        o.change !== 'flapping'
      )
        return;
      // Judging stored readings again after a restart: this breach's alert is stored already.
      if (replay && (await this.deps.alerts.hasStarted(o.ruleId, o.subject.type, o.subject.id, o.startsAt)))
        return;
      // A severity or flapping change with no open alert: the engine kept firing across a
      // restart or rule change while the alert was closed; open a fresh one.
      const state: AlertState = o.change === 'pending' ? 'pending' : 'firing';
      const fresh = this.newAlert(o, state, now);
      const suppressed = this.suppressionFor(fresh, now);
      const muted = suppressed ? { ...fresh, suppressed } : fresh;
      const { alert, inserted } = await this.deps.alerts.insertOpen(muted, [
        systemEvent(fresh.id, now, state, { severity: o.severity, value: o.value }),
        ...(suppressed ? [systemEvent(fresh.id, now, 'suppressed', { ...suppressed })] : []),
      ]);
      if (inserted) {
        // Grouping needs the alert stored first: a lost race must not leave an incident behind.
        await this.save(alert, null, now, alert, 'alert.raised');
        return;
      }
      // Another writer opened it first: apply this change to theirs.
      return this.change(alert, o, now);
    }
    return this.change(existing, o, now);
  }

  private async change(alert: Alert, o: AlertOutcome, now: number): Promise<void> {
    let next: Alert;
    switch (o.change) {
      case 'pending':
        return; // already open
      case 'firing':
        next = {
          ...alert,
          state: alert.state === 'pending' ? 'firing' : alert.state,
          firingAt: alert.firingAt ?? o.at,
          severity: o.severity,
          ruleVersion: o.ruleVersion,
          flapping: o.flapping,
        };
        break;
      case 'severity':
        next = { ...alert, severity: o.severity, labels: { ...(alert.labels ?? {}), severity: o.severity } };
        break;
      case 'flapping':
        next = { ...alert, flapping: o.flapping };
        break;
      case 'resolved':
        next = { ...alert, state: 'resolved', resolvedAt: o.at, flapping: false };
        break;
      case 'cancelled':
        next = { ...alert, state: 'closed', closed: { at: now, by: 'system', reason: 'cancelled' } };
        break;
    }
    next = {
      ...next,
      updatedAt: now,
      ...(o.value !== undefined && { value: o.value }),
      ...(o.score !== undefined && { score: o.score }),
      ...(o.detail && { detail: { ...o.detail } }),
    };
    await this.save(
      next,
      systemEvent(alert.id, now, o.change, {
        severity: next.severity,
        ...(o.value !== undefined && { value: o.value }),
      }),
      now,
      alert,
    );
  }

  /**
   * Store a changed alert with its event, after deciding whether it is muted and which
   * incident it belongs to (each recorded as an event of its own); keep the open-alert
   * mirror, announce it.
   */
  private async save(
    changed: Alert,
    event: AlertEventRecord | null,
    now: number,
    /** The stored copy `changed` was made from: the write happens only if it is still stored. */
    previous: Alert,
    announce: 'alert.raised' | 'alert.updated' = 'alert.updated',
  ): Promise<Alert> {
    const events = event ? [event] : [];
    let next = changed;
    const suppressed = this.suppressionFor(next, now);
    if (!sameSuppression(suppressed, next.suppressed)) {
      events.push(
        systemEvent(next.id, now, suppressed ? 'suppressed' : 'unsuppressed', {
          ...(suppressed ?? next.suppressed),
        }),
      );
      if (suppressed) next = { ...next, suppressed };
      else {
        const { suppressed: _dropped, ...rest } = next;
        next = rest;
      }
    }
    const grouped = await this.deps.incidents.track(next, (id) => this.open.get(id), now);
    if (grouped.incidentId !== next.incidentId)
      events.push(systemEvent(next.id, now, 'correlated', { incidentId: grouped.incidentId }));
    next = grouped;
    // Nothing new to store (a fresh alert neither muted again nor grouped): no write.
    if (events.length > 0) await this.deps.alerts.update(next, events, previous);
    this.track(next);
    this.deps.events.emit(announce, { alert: next });
    return next;
  }

  private track(alert: Alert): void {
    const before = this.open.get(alert.id);
    // In a cluster a node mirrors only the alerts it judges (it escalates them); an operator's
    // change on another node's alert reaches the owner as a remote alert.updated.
    if (!before && !this.ownsAlert(alert)) return;
    if (alert.state === 'pending' || alert.state === 'firing' || alert.state === 'acknowledged')
      this.open.set(alert.id, alert);
    else this.open.delete(alert.id);
    if (this.isInhibitionSource(alert) || (before && this.isInhibitionSource(before))) {
      // A source fired, changed or ended: targets may be muted or announced now.
      this.inhibitionIndex = null;
      if (!this.resuppressing) this.resuppressLater();
    }
  }

  private isInhibitionSource(alert: Alert): boolean {
    const labels = alert.labels ?? {};
    return this.deps.suppression.listInhibitions().some((r) => r.enabled && matchesLabels(r.source, labels));
  }

  /**
   * Mute or announce open alerts right after the current write (outside it: no recursion),
   * once however many inhibiting alerts changed meanwhile.
   */
  private resuppressLater(): void {
    if (this.resuppressQueued) return;
    this.resuppressQueued = true;
    this.chain = this.chain
      .then(() => {
        this.resuppressQueued = false;
        return this.resuppress(this.deps.clock());
      })
      .catch((err) => this.deps.onError('applying inhibition failed', err));
  }

  /** Why an open alert is muted at `now`, or undefined. */
  private suppressionFor(alert: Alert, now: number) {
    this.inhibitionIndex ??= buildInhibitionIndex(this.deps.suppression.listInhibitions(), this.sources());
    return suppressionOf(alert, this.deps.suppression.activeSilences(now), this.inhibitionIndex);
  }

  /**
   * Re-decide muting of every open alert: silence windows open and close with time,
   * inhibiting alerts fire and resolve, silences and inhibition rules change.
   */
  private async resuppress(now: number): Promise<void> {
    if (this.resuppressing) return;
    this.resuppressing = true;
    try {
      this.inhibitionIndex = null;
      const silences = this.deps.suppression.activeSilences(now);
      for (const alert of [...this.open.values()]) {
        this.inhibitionIndex ??= buildInhibitionIndex(
          this.deps.suppression.listInhibitions(),
          this.sources(),
        );
        const current = this.open.get(alert.id);
        if (!current) continue;
        const suppressed = suppressionOf(current, silences, this.inhibitionIndex);
        if (sameSuppression(suppressed, current.suppressed)) continue;
        // save() decides again and writes the suppressed / unsuppressed event with the reason.
        try {
          await this.save({ ...current, updatedAt: now }, null, now, current);
        } catch (err) {
          if (!(err instanceof AlertChangedError)) throw err;
          // Changed on another node: take the stored copy; the next pass decides again.
          const fresh = await this.deps.alerts.find(current.id);
          if (fresh) this.track(fresh);
        }
      }
    } finally {
      this.resuppressing = false;
    }
  }

  /** Red alerts not acknowledged within their rule's escalation time escalate (once). */
  private async escalate(now: number): Promise<void> {
    for (const alert of [...this.open.values()]) {
      if (alert.severity !== 'red' || alert.state !== 'firing' || alert.escalatedAt !== undefined) continue;
      if (alert.suppressed) continue; // muted on purpose: nobody is expected to acknowledge it
      const after = this.rules.get(alert.ruleId)?.escalateAfter ?? this.deps.settings.escalateRedAfterS;
      if (now - (alert.firingAt ?? alert.startsAt) < after * 1000) continue;
      // The stored alert decides (an operator may have acknowledged it on another node).
      const fresh = await this.deps.alerts.find(alert.id);
      if (!fresh || fresh.state !== 'firing' || fresh.escalatedAt !== undefined) {
        if (fresh) this.track(fresh);
        continue;
      }
      try {
        await this.save(
          { ...fresh, escalatedAt: now, updatedAt: now },
          systemEvent(alert.id, now, 'escalated', { afterSeconds: after }),
          now,
          fresh,
        );
      } catch (err) {
        if (!(err instanceof AlertChangedError)) throw err;
        continue; // changed meanwhile (acknowledged?): the next tick looks again
      }
      await this.deps.audit.record({
        actor: SYSTEM,
        action: 'alert.escalate',
        target: { type: 'alert', id: alert.id },
        after: { severity: alert.severity, afterSeconds: after },
        origin: { via: 'system' },
      });
    }
  }

  // -------------------------------------------------------------------------
  // Operator actions (serialised with the engine's writes)

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * One operator action: load the alert, refuse it when `refusal` says why, store the
   * changed alert with its event, announce it.
   */
  private operate(
    id: string,
    actor: string,
    event: { type: string; data: Record<string, unknown> },
    refusal: (alert: Alert) => string | null,
    change: (alert: Alert, now: number) => Alert,
    /** The alert already is as the change would leave it: answered as is, nothing written or told. */
    done: (alert: Alert) => boolean = () => false,
  ): Promise<Alert> {
    return this.serial(() =>
      retryChanged(async () => {
        const alert = await this.deps.alerts.find(id);
        if (!alert) throw new AlertActionError('not_found', `alert ${id} not found`);
        const refused = refusal(alert);
        if (refused) throw new AlertActionError('conflict', `alert ${id} ${refused}`);
        if (done(alert)) return alert;
        const now = this.deps.clock();
        const next = { ...change(alert, now), updatedAt: now };
        return this.save(next, { alertId: id, at: now, actor, ...event }, now, alert);
      }),
    );
  }

  /** 确认 — acknowledge a firing alert, with a comment. */
  acknowledge(id: string, by: { id: string; name: string }, comment: string): Promise<Alert> {
    return this.operate(
      id,
      by.id,
      { type: 'acknowledged', data: { comment } },
      (a) => (a.state === 'firing' ? null : `is ${a.state}; only a firing alert can be acknowledged`),
      (a, now) => ({
        ...a,
        state: 'acknowledged',
        acknowledged: { at: now, by: by.id, byName: by.name, comment },
      }),
    );
  }

  /** 关闭 — close a resolved alert (an open one must resolve first, or be silenced). */
  close(id: string, by: { id: string }, comment: string): Promise<Alert> {
    return this.operate(
      id,
      by.id,
      { type: 'closed', data: { comment } },
      (a) => (a.state === 'resolved' ? null : `is ${a.state}; only a resolved alert can be closed`),
      (a, now) => ({ ...a, state: 'closed', closed: { at: now, by: by.id, reason: 'operator', comment } }),
    );
  }

  /** 派单 — link the alert to the work order dispatched for it. */
  /**
   * Link the alert to the work order handling it. An alert already linked to another case keeps
   * that link (conflict, reason `linked`) unless `replaces` says the other case may be replaced
   * (it is closed or cancelled): two dispatches of one alert at once never both win. Linking it
   * again to the same case changes nothing.
   */
  linkWorkOrder(
    id: string,
    workOrderId: string,
    by: { id: string },
    replaces: (currentWorkOrderId: string) => boolean = () => false,
  ): Promise<Alert> {
    return this.operate(
      id,
      by.id,
      { type: 'linked', data: { workOrderId } },
      (a) => {
        if (a.state === 'closed') return 'is closed';
        if (a.workOrderId && a.workOrderId !== workOrderId && !replaces(a.workOrderId))
          throw new AlertActionError(
            'conflict',
            `alert ${id} is already linked to work order ${a.workOrderId}`,
            'linked',
          );
        return null;
      },
      (a) => ({ ...a, workOrderId }),
      // Linked to this case already (a repeated request, two nodes repairing at once): no new event.
      (a) => a.workOrderId === workOrderId,
    );
  }

  /**
   * 结案 — the work order dispatched for the alert was verified and closed: the alert closes
   * with it, even if its condition still holds (the verifier was shown that it did).
   */
  closeByWorkOrder(id: string, workOrderId: string, by: { id: string }): Promise<Alert> {
    return this.operate(
      id,
      by.id,
      { type: 'closed', data: { workOrderId, reason: 'work-order' } },
      (a) => (a.state === 'closed' ? 'is closed' : null),
      (a, now) => ({
        ...a,
        state: 'closed',
        closed: { at: now, by: by.id, reason: 'work-order', comment: `work order ${workOrderId} closed` },
      }),
    );
  }

  find(id: string): Promise<Alert | null> {
    return this.deps.alerts.find(id);
  }

  query(filter: AlertFilter): Promise<{ items: Alert[]; total: number }> {
    return this.deps.alerts.query(filter);
  }

  history(id: string): Promise<AlertEventRecord[]> {
    return this.deps.alerts.events(id);
  }

  periodStats(filter: AlertStatsFilter): Promise<AlertStatsRow[]> {
    return this.deps.alerts.stats(filter);
  }
}
