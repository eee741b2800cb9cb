import { categoryForAlert } from '@shared/domain/caseCategories';
import type { AuditOrigin } from '@shared/schemas/audit.schema';
import type { LngLat } from '@shared/schemas/common.schema';
import type { WorkOrder } from '@shared/schemas/workOrder.schema';
import type { CompiledScenario } from '../../../simulators/src/scenario/generate';
import { reportKey } from '../../../simulators/src/scenario/model';
import type { DispatchSettings } from '../../../simulators/src/scenario/scenario.schema';
import { postCitizenReport } from '../../../simulators/src/scenario/sinks';
import { tinyJpeg } from '../../../simulators/src/scenario/tinyJpeg';
import { nextSimAction, type SimAction } from '../../../simulators/src/scenario/workers';
import type { Actor } from '../domain/workOrders/stateMachine';
import type { CityOpsHandle } from '../main';
import { WorkOrderError } from '../services/workOrders.service';

const ORIGIN: AuditOrigin = { via: 'cli' };
/** Name of the Open311 key the simulated 12345 app submits with. */
const SIMULATED_APP = 'scenario 12345';
/** The simulated dispatcher (调度员), who also verifies (核实) the workers' reports. */
export const SCENARIO_DISPATCHER: Actor = {
  id: 'scenario-dispatcher',
  name: '模拟调度',
  role: 'operator',
  workerId: null,
};
/** Transitions one case may take in one step (accept → check in at once when the worker is on site). */
const MAX_ACTIONS_PER_STEP = 8;

/** A simulated grid worker acts as themselves: a worker account named after the roster entry. */
export const simWorker = (workerId: string): Actor => ({
  id: `sim-${workerId}`,
  name: workerId,
  role: 'worker',
  workerId,
});

/** What the loop needs of a running server: its URL (Open311 goes over HTTP) and its services. */
export type LoopServer = Pick<CityOpsHandle, 'url' | 'services'>;

/** What the dispatch loop did over a run (for the report). */
export interface DispatchLoopStats {
  /** Citizens' reports sent through the server's Open311 endpoint, and those it refused. */
  reports: number;
  reportsRefused: number;
  /** Alerts the simulated dispatcher dispatched. */
  alertsDispatched: number;
  /** Commands the simulated workers and verifier gave, and commands the server refused. */
  actions: number;
  refused: number;
  /** The first few refusals, in words. */
  problems: string[];
}

/**
 * The dispatch loop of a scenario run in virtual time: citizens' reports go in through Open311,
 * a simulated dispatcher dispatches the matching firing alerts, and simulated workers (and a
 * verifier) work every dispatched case as `simulators/src/scenario/workers.ts` decides — all
 * through the server's own services, so the state machine, time limits, photos and the linked
 * alerts behave as in production. `step(now)` runs after every engine tick of the runner.
 */
export class ScenarioDispatchLoop {
  /** The case each citizen's report registered: `incident#index` → case id. */
  readonly byReport = new Map<string, string>();
  private readonly stats: DispatchLoopStats;
  private nextReport = 0;
  /** Where each case's worker set off from, fixed when they accepted. */
  private readonly origins = new Map<string, LngLat | null>();
  private readonly bases: Map<string, LngLat>;

  /** Scenario time of the last step (a looping day starts its reports again when it wraps). */
  private lastSimNow = -Infinity;

  private constructor(
    private readonly server: LoopServer,
    private readonly cs: CompiledScenario,
    private readonly settings: DispatchSettings | undefined,
    private readonly open311Key: string,
    private readonly humanWorkers: ReadonlySet<string>,
  ) {
    this.stats = {
      reports: 0,
      reportsRefused: 0,
      alertsDispatched: 0,
      actions: 0,
      refused: 0,
      problems: [],
    };
    this.bases = new Map(cs.world.pack.workers.map((w) => [w.id, w.location]));
  }

  /** Set the scenario's dispatch policy and issue the Open311 API key the simulated 12345 app submits with. */
  static async start(
    server: LoopServer,
    cs: CompiledScenario,
    options: { humanWorkerIds?: readonly string[] } = {},
  ): Promise<ScenarioDispatchLoop> {
    const { workOrders } = server.services;
    const settings = cs.scenario.dispatch;
    if (settings)
      await workOrders.setPolicy(
        { ...workOrders.currentPolicy(), autoDispatch: settings.autoDispatch },
        SCENARIO_DISPATCHER,
        ORIGIN,
      );
    const { open311 } = server.services;
    const actor = { type: 'system', id: 'scenario' } as const;
    // One live key for the simulated 12345 app: the previous run's (a demo restarted on the same
    // database) is revoked, not left valid with a secret nobody knows.
    for (const key of await open311.listKeys())
      if (key.name === SIMULATED_APP && key.revokedAt === null)
        await open311.revokeKey(key.id, actor, ORIGIN);
    const { secret } = await open311.issueKey(SIMULATED_APP, actor, ORIGIN);
    return new ScenarioDispatchLoop(server, cs, settings, secret, new Set(options.humanWorkerIds ?? []));
  }

  summary(): DispatchLoopStats {
    return { ...this.stats, problems: [...this.stats.problems] };
  }

  private problem(text: string): void {
    if (this.stats.problems.length < 10) this.stats.problems.push(text);
  }

  /**
   * One step at time `now`: reports that came, the dispatcher, the workers, the overdue timer.
   * `simNow` is the scenario's own time when it differs (the demo plays a day shifted to today,
   * looping): reports are due by scenario time, everything else by `now`.
   */
  async step(now: number, simNow = now): Promise<void> {
    if (simNow < this.lastSimNow) this.nextReport = 0;
    this.lastSimNow = simNow;
    await this.submitReports(simNow);
    if (this.settings?.dispatchAlerts) await this.dispatchAlerts(this.settings.dispatchAlerts);
    if (this.settings) await this.work(now, this.settings);
    await this.server.services.workOrders.tick();
  }

  private async submitReports(now: number): Promise<void> {
    const { reports } = this.cs;
    for (; this.nextReport < reports.length && reports[this.nextReport]!.t <= now; this.nextReport++) {
      const r = reports[this.nextReport]!;
      // The real path: a 12345 app posting the form to the in-process server.
      const answer = await postCitizenReport(this.server.url, this.open311Key, r);
      if (answer.ok) {
        this.byReport.set(reportKey(r), answer.caseId);
        this.stats.reports++;
      } else {
        this.stats.reportsRefused++;
        this.problem(`report ${reportKey(r)} refused by Open311 (${answer.status}): ${answer.message}`);
      }
    }
  }

  /**
   * 一键派单 for every firing, unmuted alert of the severities (and categories) asked that no case
   * handles yet. When the server finds no worker it may dispatch to on its own (the best suggestion
   * does not cover the cell, is off duty or lacks the skill), the dispatcher picks as a person
   * would: the best suggestion on duty with the skill, else the best one.
   */
  private async dispatchAlerts(rule: NonNullable<DispatchSettings['dispatchAlerts']>): Promise<void> {
    const { alerts, workOrders } = this.server.services;
    const open = (await alerts.listOpen())
      .filter(
        (a) =>
          a.state === 'firing' && !a.workOrderId && !a.suppressed && rule.severities.includes(a.severity),
      )
      .sort((a, b) => (a.firingAt ?? a.startsAt) - (b.firingAt ?? b.startsAt) || a.id.localeCompare(b.id));
    for (const alert of open) {
      const sensor = alert.subject.type === 'sensor' ? this.cs.world.byId.get(alert.subject.id) : undefined;
      const category = categoryForAlert(sensor?.sensor.subtype, alert.metric).id;
      if (rule.categories && !rule.categories.includes(category)) continue;
      try {
        let order = await workOrders.dispatchAlert(alert.id, {}, SCENARIO_DISPATCHER, ORIGIN);
        if (order.state === 'registered') {
          const ranked = workOrders.suggestFor(order, 50);
          const pick = ranked.find((s) => s.onDuty && s.hasSkill) ?? ranked[0];
          if (pick)
            order = await workOrders.command(
              order.id,
              {
                action: 'dispatch',
                assigneeId: pick.workerId,
                note: '模拟调度员选派 · simulated dispatcher',
              },
              SCENARIO_DISPATCHER,
              ORIGIN,
            );
        }
        this.stats.alertsDispatched++;
      } catch (err) {
        if (err instanceof WorkOrderError) {
          this.stats.refused++;
          this.problem(`dispatch of alert ${alert.id} refused: ${err.reason}: ${err.message}`);
        } else throw err;
      }
    }
  }

  /** Every assigned open case takes the simulated steps that are due, in case-id order. */
  private async work(now: number, settings: DispatchSettings): Promise<void> {
    const { workOrders } = this.server.services;
    const cases = workOrders
      .openOrders()
      // A person plays some workers (the demo's grid-worker account): their cases wait for them.
      .filter((o) => o.assigneeId && !this.humanWorkers.has(o.assigneeId))
      .sort((a, b) => a.id.localeCompare(b.id));
    for (const initial of cases) {
      let order: WorkOrder = initial;
      for (let n = 0; n < MAX_ACTIONS_PER_STEP; n++) {
        const next = nextSimAction(order, {
          from: this.originOf(order),
          settings: settings.workers,
          seed: this.cs.seed,
        });
        if (!next || next.at > now) break;
        try {
          order = await this.act(order, next, now);
          this.stats.actions++;
        } catch (err) {
          if (!(err instanceof WorkOrderError)) throw err;
          this.stats.refused++;
          this.problem(`${next.action} on ${order.id} refused: ${err.reason}: ${err.message}`);
          break;
        }
      }
    }
  }

  /** Where the assigned worker sets off from: fixed at the accept (their live position then, else their base). */
  private originOf(order: WorkOrder): LngLat | null {
    if (order.state !== 'accepted') return null;
    const known = this.origins.get(order.id);
    if (known !== undefined) return known;
    const workerId = order.assigneeId ?? '';
    const live = this.server.services.workOrders.listPositions().find((p) => p.workerId === workerId);
    const from = live?.location ?? this.bases.get(workerId) ?? null;
    this.origins.set(order.id, from);
    return from;
  }

  private async act(order: WorkOrder, next: SimAction, now: number): Promise<WorkOrder> {
    const { workOrders } = this.server.services;
    const workerId = order.assigneeId ?? '';
    const worker = simWorker(workerId);
    switch (next.action) {
      case 'accept':
        return workOrders.command(order.id, { action: 'accept' }, worker, ORIGIN);
      case 'checkIn': {
        const done = await workOrders.command(
          order.id,
          { action: 'checkIn', method: 'qr', code: next.code },
          worker,
          ORIGIN,
        );
        this.origins.delete(order.id);
        // On site now: the dispatcher's map (and the next trip) starts here. Off duty it stays private.
        await workOrders.reportPosition(workerId, { location: order.location }).catch((err: unknown) => {
          if (!(err instanceof WorkOrderError)) throw err;
        });
        return done;
      }
      case 'report': {
        const photo = await workOrders.uploadPhoto(tinyJpeg(), 'image/jpeg', worker, {
          fix: { location: order.location },
          takenAt: now,
        });
        return workOrders.command(
          order.id,
          { action: 'report', note: '已处置（模拟）· handled (simulated)', photoIds: [photo.id] },
          worker,
          ORIGIN,
        );
      }
      case 'verify':
        return workOrders.command(
          order.id,
          {
            action: 'verify',
            result: next.result,
            comment: next.result === 'pass' ? '核实通过（模拟）' : '处置不到位，返工（模拟）',
          },
          SCENARIO_DISPATCHER,
          ORIGIN,
        );
    }
  }
}
