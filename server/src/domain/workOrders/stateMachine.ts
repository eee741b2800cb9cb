import type { Role } from '@shared/access';
import { caseCategory, type Urgency } from '@shared/domain/caseCategories';
import { OPEN_WORK_ORDER_STATES } from '@shared/schemas/workOrder.schema';
import type {
  Fix,
  TimelineEntry,
  WorkOrder,
  WorkOrderAction,
  WorkOrderCommand,
  WorkOrderPolicy,
  WorkOrderSource,
  WorkOrderState,
} from '@shared/schemas/workOrder.schema';
import type { LngLat } from '@shared/schemas/common.schema';
import { distanceM } from '../geometry';
import { clockFor, deadlineOf } from './sla';

/**
 * The 案卷 state machine (GB/T 30428 workflow): which action moves a case from which
 * state to which, who may take it, and what it records. Pure: the case, the command,
 * the actor and the time in; the changed case and its timeline entry, or a refusal
 * naming the reason, out. Every state change bumps `version` and appends one entry.
 */

/**
 * Who acts: a signed-in user (with their worker id for grid workers) or the system itself.
 * Cases name workers by roster id only (never by name: names are personal data, masked by
 * clearance where the roster is served), so a case can be pushed to any screen as it is.
 */
export interface Actor {
  id: string;
  name: string;
  role: Role | 'system';
  /** The roster entry of a grid worker; null for everyone else. */
  workerId: string | null;
}

export const SYSTEM_ACTOR: Actor = { id: 'system', name: '系统', role: 'system', workerId: null };

/** Who may take an action: dispatchers (operator, supervisor, admin), the assigned worker, or the system. */
export type ActorKind = 'operator' | 'assignee' | 'system';

export interface ActionRule {
  from: readonly WorkOrderState[];
  /** The state after the action (`verify` decides by its result; `note`/`overdue` keep the state). */
  to: WorkOrderState | 'same' | 'by-result';
  who: readonly ActorKind[];
}

const OPEN_STATES = OPEN_WORK_ORDER_STATES;

/** The whole machine as data: the tests walk every (action, state, actor) combination from it. */
export const ACTION_RULES: Record<Exclude<WorkOrderAction, 'register'>, ActionRule> = {
  dispatch: { from: ['registered', 'returned'], to: 'dispatched', who: ['operator', 'system'] },
  reassign: {
    from: ['dispatched', 'accepted', 'handling', 'escalated'],
    to: 'dispatched',
    who: ['operator'],
  },
  accept: { from: ['dispatched'], to: 'accepted', who: ['assignee'] },
  return: { from: ['dispatched', 'accepted'], to: 'returned', who: ['assignee'] },
  checkIn: { from: ['accepted'], to: 'handling', who: ['assignee'] },
  // A worker reports their handling; an operator records a department's answer to an escalated case.
  report: { from: ['handling', 'escalated'], to: 'reported', who: ['assignee', 'operator'] },
  verify: { from: ['reported'], to: 'by-result', who: ['operator'] },
  evaluate: { from: ['closed'], to: 'evaluated', who: ['operator'] },
  escalate: {
    from: ['registered', 'dispatched', 'accepted', 'handling', 'returned'],
    to: 'escalated',
    who: ['operator'],
  },
  cancel: { from: OPEN_STATES, to: 'cancelled', who: ['operator'] },
  note: {
    from: [...OPEN_STATES, 'closed', 'evaluated', 'cancelled'],
    to: 'same',
    who: ['operator', 'assignee'],
  },
  overdue: { from: OPEN_STATES, to: 'same', who: ['system'] },
};

const DISPATCHER_ROLES: ReadonlySet<string> = new Set(['admin', 'supervisor', 'operator']);

/** The kinds an actor is, for a given case. */
export function actorKinds(actor: Actor, order: Pick<WorkOrder, 'assigneeId'>): ActorKind[] {
  const kinds: ActorKind[] = [];
  if (actor.role === 'system') kinds.push('system');
  if (DISPATCHER_ROLES.has(actor.role)) kinds.push('operator');
  if (actor.role === 'worker' && actor.workerId !== null && actor.workerId === order.assigneeId)
    kinds.push('assignee');
  return kinds;
}

/** Why a command was refused: an API error code, a machine-readable reason and words. */
export interface Refusal {
  code: 'forbidden' | 'conflict' | 'invalid_request';
  /** role, not-assignee, reassigned, state, version, photo-required, too-far, inaccurate, wrong-code, same-assignee, unknown-worker, no-site-code, too-old */
  reason: string;
  message: string;
  /** Field of the command the refusal is about. */
  path?: string;
}

export type Decision = { ok: true; order: WorkOrder; entry: TimelineEntry } | { ok: false; refusal: Refusal };

export interface CommandContext {
  now: number;
  policy: WorkOrderPolicy;
  /** Whether the roster has this worker. */
  workerExists: (workerId: string) => boolean;
  /** The case's alert is still open (its sensor still breaching) — recorded when the case is verified. */
  alertStillOpen?: boolean;
}

const refuse = (code: Refusal['code'], reason: string, message: string, path?: string): Decision => ({
  ok: false,
  refusal: { code, reason, message, ...(path ? { path } : {}) },
});

function effectiveAt(entry: TimelineEntry): number {
  return entry.doneAt ?? entry.at;
}

/** How long an action may wait in a phone's offline queue: an older `doneAt` is not believed. */
export const MAX_OFFLINE_AGE_MS = 7 * 86_400_000;

/** A worker's offline registration dated more than MAX_OFFLINE_AGE_MS before now is refused (400, `doneAt`). */
export function offlineAgeRefusal(doneAt: number | undefined, actor: Actor, now: number): Refusal | null {
  if (doneAt === undefined || actor.role !== 'worker' || doneAt >= now - MAX_OFFLINE_AGE_MS) return null;
  return {
    code: 'invalid_request',
    reason: 'too-old',
    message: `doneAt ${new Date(doneAt).toISOString()} is more than 7 days ago; an offline action keeps at most 7 days`,
    path: 'doneAt',
  };
}

/**
 * When the worker did it: the queued time from an offline phone, clamped between the case's
 * last change of state (notes and overdue flags do not move the floor: the worker may well have
 * acted before them) and now, and never more than MAX_OFFLINE_AGE_MS ago (a phone's clock is not
 * trusted beyond that).
 */
function doneAtOf(
  order: WorkOrder,
  actor: Actor,
  doneAt: number | undefined,
  now: number,
): number | undefined {
  if (doneAt === undefined || actor.role !== 'worker') return undefined;
  const last = order.timeline.findLast((e) => e.from !== e.to);
  const floor = Math.max(last ? effectiveAt(last) : order.createdAt, now - MAX_OFFLINE_AGE_MS);
  const clamped = Math.min(Math.max(doneAt, floor), now);
  return clamped === now ? undefined : clamped;
}

/** The last time the case was handed to someone else than `workerId`, for explaining a conflict. */
function handedAway(order: WorkOrder, workerId: string): TimelineEntry | undefined {
  const wasTheirs = order.timeline.some((e) => e.assigneeId === workerId);
  if (!wasTheirs) return undefined;
  return [...order.timeline]
    .reverse()
    .find((e) => (e.action === 'reassign' || e.action === 'dispatch') && e.assigneeId !== workerId);
}

/** Does a scanned QR code name this case's site? The code is the sensor id, or `cityops:site:{sensor or case id}`. */
export function siteCodeMatches(order: Pick<WorkOrder, 'id' | 'sensorId'>, code: string): boolean {
  const text = code.trim();
  const id = text.startsWith('cityops:site:') ? text.slice('cityops:site:'.length) : text;
  return id === order.id || (order.sensorId !== undefined && id === order.sensorId);
}

/** Check a proximity check-in: the fix must be accurate enough and within the radius (allowing for its accuracy). */
export function proximityCheck(
  site: LngLat,
  fix: Fix,
  radiusM: number,
): { ok: true; distanceM: number } | { ok: false; reason: 'too-far' | 'inaccurate'; distanceM: number } {
  const d = Math.round(distanceM(site, fix.location));
  const accuracy = fix.accuracyM ?? 0;
  if (accuracy > radiusM) return { ok: false, reason: 'inaccurate', distanceM: d };
  if (d - accuracy > radiusM) return { ok: false, reason: 'too-far', distanceM: d };
  return { ok: true, distanceM: d };
}

/** Apply one command to a case. */
export function decide(
  order: WorkOrder,
  command: WorkOrderCommand,
  actor: Actor,
  ctx: CommandContext,
): Decision {
  const rule = ACTION_RULES[command.action];
  const kinds = actorKinds(actor, order);
  if (!rule.who.some((k) => kinds.includes(k))) {
    if (actor.role === 'worker' && rule.who.includes('assignee')) {
      const away = actor.workerId ? handedAway(order, actor.workerId) : undefined;
      if (away)
        return refuse(
          'conflict',
          'reassigned',
          `case ${order.id} was ${away.action === 'reassign' ? 'reassigned' : 'dispatched'} to ` +
            `worker ${away.assigneeId} by ${away.byName} at ` +
            `${new Date(away.at).toISOString()}${away.note ? ` (${away.note})` : ''}`,
        );
      return refuse('forbidden', 'not-assignee', `case ${order.id} is not assigned to you`);
    }
    return refuse('forbidden', 'role', `a ${actor.role} may not ${command.action} a case`);
  }
  if (command.expectedVersion !== undefined && command.expectedVersion !== order.version) {
    const since = order.timeline.slice(command.expectedVersion).map((e) => e.action);
    return refuse(
      'conflict',
      'version',
      `case ${order.id} changed since version ${command.expectedVersion} (now ${order.version}: ${since.join(', ')})`,
      'expectedVersion',
    );
  }
  if (!rule.from.includes(order.state))
    return refuse(
      'conflict',
      'state',
      `case ${order.id} is ${order.state}; ${command.action} needs ${rule.from.join(' or ')}`,
    );
  // An escalated case's answer comes from the department, recorded by an operator, not the old assignee.
  if (command.action === 'report' && order.state === 'escalated' && !kinds.includes('operator'))
    return refuse(
      'forbidden',
      'role',
      `case ${order.id} is with ${order.department}; an operator records its answer`,
    );
  if (command.action === 'report' && order.state === 'handling' && !kinds.includes('assignee'))
    return refuse('forbidden', 'not-assignee', `case ${order.id} is reported by its assigned worker`);

  const now = ctx.now;
  let to: WorkOrderState = rule.to === 'same' ? order.state : rule.to === 'by-result' ? order.state : rule.to;
  let next: WorkOrder = { ...order };
  let assigneeId: string | undefined;
  let note: string | undefined;
  let data: Record<string, unknown> | undefined;

  switch (command.action) {
    case 'dispatch':
    case 'reassign': {
      if (!ctx.workerExists(command.assigneeId))
        return refuse('invalid_request', 'unknown-worker', `no worker ${command.assigneeId}`, 'assigneeId');
      if (command.action === 'reassign' && command.assigneeId === order.assigneeId)
        return refuse(
          'invalid_request',
          'same-assignee',
          `case ${order.id} is already with ${command.assigneeId}`,
          'assigneeId',
        );
      assigneeId = command.assigneeId;
      next.assigneeId = command.assigneeId;
      note = command.action === 'reassign' ? command.reason : command.note;
      data = order.assigneeId ? { previousAssigneeId: order.assigneeId } : undefined;
      break;
    }
    case 'return':
      note = command.note || undefined;
      data = { reason: command.reason };
      break;
    case 'checkIn': {
      if (command.method === 'qr') {
        const code = command.code ?? '';
        if (!siteCodeMatches(order, code))
          return refuse('invalid_request', 'wrong-code', `QR code "${code}" is not this case's site`, 'code');
        data = { method: 'qr', code };
      } else {
        const fix = command.fix as Fix;
        const check = proximityCheck(order.location, fix, ctx.policy.checkInRadiusM);
        if (!check.ok)
          return refuse(
            'invalid_request',
            check.reason,
            check.reason === 'inaccurate'
              ? `position accuracy ${fix.accuracyM} m is worse than the ${ctx.policy.checkInRadiusM} m check-in radius`
              : `${check.distanceM} m from the site; check in within ${ctx.policy.checkInRadiusM} m`,
            'fix',
          );
        data = {
          method: 'proximity',
          distanceM: check.distanceM,
          location: fix.location,
          accuracyM: fix.accuracyM,
        };
      }
      break;
    }
    case 'report': {
      const photos = command.photoIds;
      if (
        order.state === 'handling' &&
        ctx.policy.reportNeedsPhoto &&
        // 处置后照片: each report shows the result, so earlier photos (the problem, a rework's first try) do not count.
        photos.length === 0
      )
        return refuse(
          'invalid_request',
          'photo-required',
          'a report needs at least one photo of the result',
          'photoIds',
        );
      note = command.note;
      next.photoIds = [...order.photoIds, ...photos.filter((p) => !order.photoIds.includes(p))];
      data = { photoIds: photos, ...(order.state === 'escalated' ? { department: order.department } : {}) };
      break;
    }
    case 'verify':
      to = command.result === 'pass' ? 'closed' : 'handling';
      note = command.comment || undefined;
      data = { result: command.result, ...(ctx.alertStillOpen ? { stillBreaching: true } : {}) };
      if (command.result === 'fail') next.reworkCount = order.reworkCount + 1;
      // The flag describes the latest verification: a rework that fixed the sensor clears it.
      if (ctx.alertStillOpen) next.stillBreaching = true;
      else delete next.stillBreaching;
      break;
    case 'evaluate':
      note = command.comment || undefined;
      data = { stars: command.stars, by: command.by };
      next.rating = { stars: command.stars, by: command.by, comment: command.comment };
      break;
    case 'escalate':
      note = command.reason;
      data = { department: command.department };
      next.department = command.department;
      break;
    case 'cancel':
      note = command.note || undefined;
      data = { reason: command.reason };
      break;
    case 'note':
      note = command.note;
      break;
    case 'accept':
      break;
  }

  const doneAt = doneAtOf(order, actor, command.doneAt, now);
  const entry: TimelineEntry = {
    seq: order.timeline.length + 1,
    at: now,
    ...(doneAt !== undefined ? { doneAt } : {}),
    action: command.action,
    by: actor.id,
    byName: actor.name,
    from: order.state,
    to,
    ...(assigneeId ? { assigneeId } : {}),
    ...(note ? { note } : {}),
    ...(data ? { data } : {}),
    ...(command.actionId ? { actionId: command.actionId } : {}),
  };
  next = {
    ...next,
    state: to,
    version: order.version + 1,
    updatedAt: now,
    // A stage's clock restarts on a state change (a rework starts a fresh handling limit); a note keeps it.
    ...(to !== order.state || command.action === 'verify'
      ? clockFor(ctx.policy, order, to, doneAt ?? now)
      : {}),
    timeline: [...order.timeline, entry],
  };
  return { ok: true, order: next, entry };
}

/** A stage's limit ran out: flag the case (once per stage entry). Null when it is not overdue. */
export function markOverdue(
  order: WorkOrder,
  now: number,
): { order: WorkOrder; entry: TimelineEntry } | null {
  if (order.dueAt === null || order.overdueAt !== null || now < order.dueAt || order.stage === null)
    return null;
  const entry: TimelineEntry = {
    seq: order.timeline.length + 1,
    at: now,
    action: 'overdue',
    by: SYSTEM_ACTOR.id,
    byName: SYSTEM_ACTOR.name,
    from: order.state,
    to: order.state,
    ...(order.assigneeId ? { assigneeId: order.assigneeId } : {}),
    data: { stage: order.stage, dueAt: order.dueAt },
  };
  return {
    order: {
      ...order,
      version: order.version + 1,
      updatedAt: now,
      overdueAt: now,
      timeline: [...order.timeline, entry],
    },
    entry,
  };
}

/** What a new case is made of (立案). */
export interface NewCase {
  id: string;
  source: WorkOrderSource;
  sourceRef?: string;
  category: string;
  urgency?: Urgency;
  title: string;
  description?: string;
  address?: string;
  location: LngLat;
  gridCellId: string;
  districtId: string;
  sensorId?: string;
  alertId?: string;
  incidentId?: string;
  photoIds?: readonly string[];
  actionId?: string;
  doneAt?: number;
  note?: string;
}

/** 立案 — a new case in `registered`, its deadline fixed by the policy for its category and urgency. */
export function registerCase(
  input: NewCase,
  actor: Actor,
  ctx: Pick<CommandContext, 'now' | 'policy'>,
): WorkOrder {
  const category = caseCategory(input.category);
  const urgency = input.urgency ?? category?.urgency ?? 'normal';
  const at = ctx.now;
  // The service refuses an older one (offlineAgeRefusal); the clamp keeps this function total.
  const doneAt =
    actor.role === 'worker' && input.doneAt !== undefined && input.doneAt < at
      ? Math.max(input.doneAt, at - MAX_OFFLINE_AGE_MS)
      : undefined;
  const start = doneAt ?? at;
  const entry: TimelineEntry = {
    seq: 1,
    at,
    ...(doneAt !== undefined ? { doneAt } : {}),
    action: 'register',
    by: actor.id,
    byName: actor.name,
    from: null,
    to: 'registered',
    ...(input.note ? { note: input.note } : {}),
    data: { source: input.source, ...(input.sourceRef ? { sourceRef: input.sourceRef } : {}) },
    ...(input.actionId ? { actionId: input.actionId } : {}),
  };
  return {
    id: input.id,
    version: 1,
    source: input.source,
    ...(input.sourceRef ? { sourceRef: input.sourceRef } : {}),
    category: input.category as WorkOrder['category'],
    urgency,
    state: 'registered',
    title: input.title,
    ...(input.description ? { description: input.description } : {}),
    ...(input.address ? { address: input.address } : {}),
    location: input.location,
    gridCellId: input.gridCellId,
    districtId: input.districtId,
    ...(input.sensorId ? { sensorId: input.sensorId } : {}),
    ...(input.alertId ? { alertId: input.alertId } : {}),
    ...(input.incidentId ? { incidentId: input.incidentId } : {}),
    createdAt: start,
    updatedAt: at,
    ...clockFor(ctx.policy, { category: input.category, urgency }, 'registered', start),
    deadlineAt: deadlineOf(ctx.policy, input.category, urgency, start),
    reworkCount: 0,
    photoIds: [...(input.photoIds ?? [])],
    timeline: [entry],
  };
}

/** The entry an earlier attempt of the same client action produced, if any (offline replays are idempotent). */
export function replayedEntry(
  order: WorkOrder,
  actorId: string,
  actionId: string | undefined,
): TimelineEntry | undefined {
  if (!actionId) return undefined;
  return order.timeline.find((e) => e.actionId === actionId && e.by === actorId);
}
