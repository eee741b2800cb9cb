import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { LngLat } from '@shared/schemas/common.schema';
import {
  OPEN_WORK_ORDER_STATES,
  WORK_ORDER_STATES,
  WorkOrderCommandSchemas,
  type TimelineEntry,
  type WorkOrder,
  type WorkOrderCommand,
  type WorkOrderCommandName,
  type WorkOrderPolicy,
  type WorkOrderState,
} from '@shared/schemas/workOrder.schema';
import {
  ACTION_RULES,
  MAX_OFFLINE_AGE_MS,
  SYSTEM_ACTOR,
  actorKinds,
  decide,
  markOverdue,
  offlineAgeRefusal,
  proximityCheck,
  registerCase,
  replayedEntry,
  siteCodeMatches,
  type Actor,
  type ActorKind,
  type CommandContext,
  type NewCase,
  type Refusal,
} from '../../../../server/src/domain/workOrders/stateMachine';
import {
  DEFAULT_POLICY,
  clockFor,
  deadlineOf,
  stageLimitMs,
  stageOf,
} from '../../../../server/src/domain/workOrders/sla';

const MIN = 60_000;
/** 10:00 on 21 Nov 2026 in Shanghai (UTC+8); tests run with TZ=UTC. */
const T0 = Date.UTC(2026, 10, 21, 2, 0);
const at = (minutes: number): number => T0 + minutes * MIN;

const SITE: LngLat = [120.15, 30.27];
/** A point `m` metres north of the site (a degree of latitude is 111,195 m on turf's sphere). */
const north = (m: number): LngLat => [SITE[0], SITE[1] + m / 111_195.08];
const SENSOR = 'mh-0042';
const MANHOLE = 'component.public-facility.manhole'; // emergency by default
const STREETLIGHT = 'component.public-facility.streetlight'; // normal by default
const WATER = '市水务局';

const user = (id: string, name: string, role: Actor['role'], workerId: string | null = null): Actor => ({
  id,
  name,
  role,
  workerId,
});
const ADMIN = user('u-admin', '管理员', 'admin');
const SUPERVISOR = user('u-sup', '值班长', 'supervisor');
const OPERATOR = user('u-op', '值班员甲', 'operator');
const WORKER_1 = user('u-w1', '网格员一', 'worker', 'w-1');
const WORKER_2 = user('u-w2', '网格员二', 'worker', 'w-2');
const OUTSIDER = user('u-w9', '网格员九', 'worker', 'w-9');
const ENGINEER = user('u-eng', '工程师', 'engineer');
const VIEWER = user('u-view', '大屏', 'viewer');
const ROSTER = new Set(['w-1', 'w-2', 'w-9']);

function ctx(now: number, over: Partial<CommandContext> = {}): CommandContext {
  return { now, policy: DEFAULT_POLICY, workerExists: (id) => ROSTER.has(id), ...over };
}

/** A command as the API would hand it over: the body parsed by its schema, defaults applied. */
function cmd<K extends WorkOrderCommandName>(
  action: K,
  body: z.input<(typeof WorkOrderCommandSchemas)[K]>,
): WorkOrderCommand {
  return { action, ...WorkOrderCommandSchemas[action].parse(body) } as WorkOrderCommand;
}

/** A manhole case (emergency) about sensor mh-0042, registered by the operator at `now`. */
function newCase(over: Partial<NewCase> = {}, now = T0, policy = DEFAULT_POLICY): WorkOrder {
  return registerCase(
    {
      id: 'wo-1',
      source: 'alert',
      sourceRef: 'al-1',
      category: MANHOLE,
      title: '井盖倾斜',
      location: SITE,
      gridCellId: '330106001001001',
      districtId: '330106',
      sensorId: SENSOR,
      alertId: 'al-1',
      ...over,
    },
    OPERATOR,
    { now, policy },
  );
}

/** A case put straight into `state` (with worker w-1 assigned unless registered): the matrix needs every state. */
function caseIn(state: WorkOrderState): WorkOrder {
  const order = newCase();
  return {
    ...order,
    state,
    ...(state === 'registered' ? {} : { assigneeId: 'w-1' }),
    ...(state === 'escalated' ? { department: WATER } : {}),
    ...clockFor(DEFAULT_POLICY, order, state, T0),
  };
}

/** Apply a command that must be taken; a refusal fails the test with its message. */
function apply(
  order: WorkOrder,
  command: WorkOrderCommand,
  actor: Actor,
  now: number,
  over: Partial<CommandContext> = {},
): { order: WorkOrder; entry: TimelineEntry } {
  const decision = decide(order, command, actor, ctx(now, over));
  if (!decision.ok)
    throw new Error(`${command.action} refused: ${decision.refusal.reason}: ${decision.refusal.message}`);
  return decision;
}

/** Apply a command that must be refused, and return the refusal. */
function refuse(
  order: WorkOrder,
  command: WorkOrderCommand,
  actor: Actor,
  now: number,
  over: Partial<CommandContext> = {},
): Refusal {
  const decision = decide(order, command, actor, ctx(now, over));
  if (decision.ok) throw new Error(`${command.action} was taken from ${order.state}`);
  return decision.refusal;
}

const photo = (id = 'p-1') => cmd('report', { note: '井盖已复位', photoIds: [id] });

/** The case dispatched to w-1 at +2 min and accepted at +5 min. */
function acceptedCase(): WorkOrder {
  let order = newCase();
  order = apply(order, cmd('dispatch', { assigneeId: 'w-1' }), OPERATOR, at(2)).order;
  return apply(order, cmd('accept', {}), WORKER_1, at(5)).order;
}

// ---------------------------------------------------------------------------------------------------------

type MatrixAction = Exclude<keyof typeof ACTION_RULES, 'overdue'>;
const MATRIX_ACTIONS = Object.keys(ACTION_RULES).filter((a) => a !== 'overdue') as MatrixAction[];

/** A command each action would take when the state and actor allow it (the case is with w-1). */
const VALID: Record<MatrixAction, WorkOrderCommand> = {
  dispatch: cmd('dispatch', { assigneeId: 'w-2' }),
  reassign: cmd('reassign', { assigneeId: 'w-2', reason: '网格员一请假' }),
  accept: cmd('accept', {}),
  return: cmd('return', { reason: 'not-our-responsibility' }),
  checkIn: cmd('checkIn', { method: 'qr', code: SENSOR }),
  report: photo(),
  verify: cmd('verify', { result: 'pass' }),
  evaluate: cmd('evaluate', { stars: 5, by: 'citizen' }),
  escalate: cmd('escalate', { department: WATER, reason: '地下管网属水务' }),
  cancel: cmd('cancel', { reason: 'false-alarm' }),
  note: cmd('note', { note: '已电话联系' }),
};

/** Every actor of the matrix, with the kinds it is by hand (the assignee only once the case has one). */
const MATRIX_ACTORS: { name: string; actor: Actor; kinds: (order: WorkOrder) => ActorKind[] }[] = [
  { name: 'admin', actor: ADMIN, kinds: () => ['operator'] },
  { name: 'supervisor', actor: SUPERVISOR, kinds: () => ['operator'] },
  { name: 'operator', actor: OPERATOR, kinds: () => ['operator'] },
  { name: 'assignee', actor: WORKER_1, kinds: (o) => (o.assigneeId === 'w-1' ? ['assignee'] : []) },
  { name: 'other worker', actor: OUTSIDER, kinds: () => [] },
  { name: 'engineer', actor: ENGINEER, kinds: () => [] },
  { name: 'viewer', actor: VIEWER, kinds: () => [] },
  { name: 'system', actor: SYSTEM_ACTOR, kinds: () => ['system'] },
];

/** What the rules say should happen: `ok → {state}` or `{code}:{reason}`. */
function expectedOutcome(action: MatrixAction, order: WorkOrder, actor: Actor, kinds: ActorKind[]): string {
  const rule = ACTION_RULES[action];
  if (!rule.who.some((k) => kinds.includes(k)))
    return actor.role === 'worker' && rule.who.includes('assignee')
      ? 'forbidden:not-assignee'
      : 'forbidden:role';
  if (!rule.from.includes(order.state)) return 'conflict:state';
  if (action === 'report' && order.state === 'escalated' && !kinds.includes('operator'))
    return 'forbidden:role';
  if (action === 'report' && order.state === 'handling' && !kinds.includes('assignee'))
    return 'forbidden:not-assignee';
  const to = rule.to === 'same' ? order.state : rule.to === 'by-result' ? 'closed' : rule.to;
  return `ok → ${to}`;
}

function actualOutcome(action: MatrixAction, order: WorkOrder, actor: Actor): string {
  const decision = decide(order, VALID[action], actor, ctx(at(1)));
  if (!decision.ok) return `${decision.refusal.code}:${decision.refusal.reason}`;
  expect(decision.entry.from).toBe(order.state);
  expect(decision.order.version).toBe(order.version + 1);
  return `ok → ${decision.entry.to}`;
}

describe('the transition matrix', () => {
  describe.each(MATRIX_ACTIONS)('%s', (action) => {
    it.each([...WORK_ORDER_STATES])(
      'from %s: is taken exactly by the kinds of actor its rule names, refused with the right code otherwise',
      (state) => {
        const order = caseIn(state);
        const byActor = (outcome: (a: (typeof MATRIX_ACTORS)[number]) => string) =>
          Object.fromEntries(MATRIX_ACTORS.map((a) => [a.name, outcome(a)]));
        expect(byActor((a) => actualOutcome(action, order, a.actor))).toEqual(
          byActor((a) => expectedOutcome(action, order, a.actor, a.kinds(order))),
        );
      },
    );
  });

  const allowed = (action: MatrixAction): number =>
    WORK_ORDER_STATES.flatMap((state) =>
      MATRIX_ACTORS.filter((a) => decide(caseIn(state), VALID[action], a.actor, ctx(at(1))).ok),
    ).length;

  it.each<[MatrixAction, number]>([
    ['dispatch', 8], // registered|returned × 3 dispatchers + system
    ['reassign', 12], // 4 states × 3 dispatchers
    ['accept', 1],
    ['return', 2],
    ['checkIn', 1],
    ['report', 4], // handling × assignee + escalated × 3 dispatchers
    ['verify', 3],
    ['evaluate', 3],
    ['escalate', 15], // 5 states × 3 dispatchers
    ['cancel', 21], // 7 open states × 3 dispatchers
    ['note', 39], // 10 states × 3 dispatchers + 9 states with an assignee
  ])('allows %s in %i (state, actor) combinations', (action, count) => {
    expect(allowed(action)).toBe(count);
  });

  it('allows 109 of the 880 combinations in all', () => {
    expect(MATRIX_ACTIONS).toHaveLength(11);
    expect(MATRIX_ACTIONS.reduce((n, a) => n + allowed(a), 0)).toBe(109);
  });
});

describe('actorKinds', () => {
  it('makes admins, supervisors and operators dispatchers, and only the assigned worker the assignee', () => {
    const order = { assigneeId: 'w-1' };
    expect(actorKinds(ADMIN, order)).toEqual(['operator']);
    expect(actorKinds(SUPERVISOR, order)).toEqual(['operator']);
    expect(actorKinds(OPERATOR, order)).toEqual(['operator']);
    expect(actorKinds(WORKER_1, order)).toEqual(['assignee']);
    expect(actorKinds(WORKER_2, order)).toEqual([]);
    expect(actorKinds(WORKER_1, {})).toEqual([]);
    expect(actorKinds(ENGINEER, order)).toEqual([]);
    expect(actorKinds(VIEWER, order)).toEqual([]);
    expect(actorKinds(SYSTEM_ACTOR, order)).toEqual(['system']);
  });

  it('does not make a non-worker the assignee even when its id matches', () => {
    expect(actorKinds({ ...ENGINEER, workerId: 'w-1' }, { assigneeId: 'w-1' })).toEqual([]);
  });
});

describe('the main line', () => {
  it('takes a case from registration to evaluation, recording every step', () => {
    const steps: { order: WorkOrder; entry: TimelineEntry }[] = [];
    let order = newCase();
    const step = (command: WorkOrderCommand, actor: Actor, now: number, over?: Partial<CommandContext>) => {
      const done = apply(order, command, actor, now, over);
      expect(done.order.version).toBe(order.version + 1);
      expect(done.entry).toEqual(done.order.timeline.at(-1));
      order = done.order;
      steps.push(done);
      return done;
    };

    expect(order).toMatchObject({ state: 'registered', version: 1, createdAt: T0, stage: 'dispatch' });
    expect(order.dueAt).toBe(at(5));

    const dispatched = step(cmd('dispatch', { assigneeId: 'w-1', note: '就近派遣' }), OPERATOR, at(2));
    expect(dispatched.order).toMatchObject({ assigneeId: 'w-1', stage: 'response', dueAt: at(2 + 15) });
    expect(dispatched.entry).toEqual({
      seq: 2,
      at: at(2),
      action: 'dispatch',
      by: 'u-op',
      byName: '值班员甲',
      from: 'registered',
      to: 'dispatched',
      assigneeId: 'w-1',
      note: '就近派遣',
    });

    const accepted = step(cmd('accept', {}), WORKER_1, at(5));
    expect(accepted.order).toMatchObject({ stage: 'arrival', dueAt: at(5 + 30) });
    expect(accepted.entry).toMatchObject({ by: 'u-w1', byName: '网格员一' });
    expect(accepted.entry.assigneeId).toBeUndefined();

    const checkedIn = step(cmd('checkIn', { method: 'qr', code: SENSOR }), WORKER_1, at(20));
    expect(checkedIn.order).toMatchObject({ state: 'handling', stage: 'handling', dueAt: at(20 + 120) });
    expect(checkedIn.entry.data).toEqual({ method: 'qr', code: SENSOR });

    const reported = step(photo('p-1'), WORKER_1, at(60));
    expect(reported.order).toMatchObject({ photoIds: ['p-1'], stage: 'verification', dueAt: at(60 + 60) });
    expect(reported.entry).toMatchObject({ note: '井盖已复位', data: { photoIds: ['p-1'] } });

    const failed = step(cmd('verify', { result: 'fail', comment: '仍有倾斜' }), OPERATOR, at(70));
    expect(failed.order).toMatchObject({ state: 'handling', reworkCount: 1, stage: 'handling' });
    expect(failed.order.dueAt).toBe(at(70 + 120)); // a fresh handling limit, not the first one's
    expect(failed.entry).toMatchObject({ note: '仍有倾斜', data: { result: 'fail' } });

    step(photo('p-2'), WORKER_1, at(100));
    expect(order.photoIds).toEqual(['p-1', 'p-2']);

    const passed = step(cmd('verify', { result: 'pass' }), SUPERVISOR, at(110));
    expect(passed.order).toMatchObject({ state: 'closed', stage: null, dueAt: null, overdueAt: null });
    expect(passed.order.reworkCount).toBe(1);
    expect(passed.entry.note).toBeUndefined(); // the default empty comment leaves no note
    expect(passed.entry.data).toEqual({ result: 'pass' });

    const evaluated = step(
      cmd('evaluate', { stars: 4, by: 'citizen', comment: '处理及时' }),
      OPERATOR,
      at(1440),
    );
    expect(evaluated.order.rating).toEqual({ stars: 4, by: 'citizen', comment: '处理及时' });
    expect(evaluated.entry).toMatchObject({ note: '处理及时', data: { stars: 4, by: 'citizen' } });

    expect(order).toMatchObject({ state: 'evaluated', version: 9, updatedAt: at(1440), deadlineAt: at(170) });
    expect(order.timeline.map((e) => [e.seq, e.action, e.from, e.to])).toEqual([
      [1, 'register', null, 'registered'],
      [2, 'dispatch', 'registered', 'dispatched'],
      [3, 'accept', 'dispatched', 'accepted'],
      [4, 'checkIn', 'accepted', 'handling'],
      [5, 'report', 'handling', 'reported'],
      [6, 'verify', 'reported', 'handling'],
      [7, 'report', 'handling', 'reported'],
      [8, 'verify', 'reported', 'closed'],
      [9, 'evaluate', 'closed', 'evaluated'],
    ]);
    expect(steps.map((s) => s.order.version)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('checks in with a cityops:site: code naming the sensor or, for a case without one, the case', () => {
    expect(
      apply(
        acceptedCase(),
        cmd('checkIn', { method: 'qr', code: ` cityops:site:${SENSOR} ` }),
        WORKER_1,
        at(9),
      ).order.state,
    ).toBe('handling');

    let noSensor = newCase({ sensorId: undefined });
    noSensor = apply(noSensor, cmd('dispatch', { assigneeId: 'w-1' }), OPERATOR, at(2)).order;
    noSensor = apply(noSensor, cmd('accept', {}), WORKER_1, at(5)).order;
    expect(
      apply(noSensor, cmd('checkIn', { method: 'qr', code: 'cityops:site:wo-1' }), WORKER_1, at(9)).order
        .state,
    ).toBe('handling');
    expect(refuse(noSensor, cmd('checkIn', { method: 'qr', code: SENSOR }), WORKER_1, at(9)).reason).toBe(
      'wrong-code',
    );
  });

  it('refuses a QR code of another site', () => {
    expect(
      refuse(acceptedCase(), cmd('checkIn', { method: 'qr', code: 'cityops:site:mh-0043' }), WORKER_1, at(9)),
    ).toMatchObject({ code: 'invalid_request', reason: 'wrong-code', path: 'code' });
  });

  it('matches site codes on the sensor id, the case id, with or without the cityops:site: prefix', () => {
    const order = { id: 'wo-1', sensorId: SENSOR };
    expect(siteCodeMatches(order, SENSOR)).toBe(true);
    expect(siteCodeMatches(order, `cityops:site:${SENSOR}`)).toBe(true);
    expect(siteCodeMatches(order, 'cityops:site:wo-1')).toBe(true);
    expect(siteCodeMatches(order, 'cityops:site:mh-0043')).toBe(false);
    expect(siteCodeMatches(order, 'cityops:sensor:mh-0042')).toBe(false);
    expect(siteCodeMatches({ id: 'wo-1' }, 'cityops:site:')).toBe(false);
  });

  it('refuses a report without a photo under the default policy, and takes it when the policy allows', () => {
    const handling = apply(acceptedCase(), VALID.checkIn, WORKER_1, at(9)).order;
    const bare = cmd('report', { note: '已处理' });
    expect(refuse(handling, bare, WORKER_1, at(30))).toMatchObject({
      code: 'invalid_request',
      reason: 'photo-required',
      path: 'photoIds',
    });
    const policy: WorkOrderPolicy = { ...DEFAULT_POLICY, reportNeedsPhoto: false };
    expect(apply(handling, bare, WORKER_1, at(30), { policy }).order.state).toBe('reported');
  });
});

describe('clocks', () => {
  it('maps each state to the stage whose clock runs in it', () => {
    expect(Object.fromEntries(WORK_ORDER_STATES.map((s) => [s, stageOf(s)]))).toEqual({
      registered: 'dispatch',
      dispatched: 'response',
      accepted: 'arrival',
      handling: 'handling',
      reported: 'verification',
      closed: null,
      evaluated: null,
      returned: 'redispatch',
      escalated: 'department',
      cancelled: null,
    });
  });

  it('gives an emergency 15 minutes to respond and a normal case 30, from the default policy', () => {
    expect(stageLimitMs(DEFAULT_POLICY, MANHOLE, 'emergency', 'response')).toBe(15 * MIN);
    expect(stageLimitMs(DEFAULT_POLICY, STREETLIGHT, 'normal', 'response')).toBe(30 * MIN);
    const emergency = apply(newCase(), cmd('dispatch', { assigneeId: 'w-1' }), OPERATOR, at(1)).order;
    expect(emergency).toMatchObject({ urgency: 'emergency', stage: 'response', dueAt: at(1 + 15) });
    const normal = newCase({ category: STREETLIGHT });
    expect(normal).toMatchObject({ urgency: 'normal', stage: 'dispatch', dueAt: at(30) });
    const dispatched = apply(normal, cmd('dispatch', { assigneeId: 'w-1' }), OPERATOR, at(1)).order;
    expect(dispatched.dueAt).toBe(at(1 + 30));
  });

  it('fixes the deadline at registration as the sum of the dispatch, response, arrival and handling limits', () => {
    expect(newCase().deadlineAt).toBe(at(5 + 15 + 30 + 120));
    expect(newCase({ category: STREETLIGHT }).deadlineAt).toBe(at(30 + 30 + 120 + 480));
    expect(newCase({ category: STREETLIGHT, urgency: 'urgent' })).toMatchObject({
      urgency: 'urgent',
      deadlineAt: at(15 + 30 + 60 + 240),
    });
    expect(deadlineOf(DEFAULT_POLICY, MANHOLE, 'emergency', 0)).toBe(170 * MIN);
  });

  it('uses a category override for its urgency and stage only', () => {
    const policy: WorkOrderPolicy = {
      ...DEFAULT_POLICY,
      categoryLimits: {
        [STREETLIGHT]: { emergency: {}, urgent: {}, normal: { dispatch: 10, handling: 60 } },
      },
    };
    expect(stageLimitMs(policy, STREETLIGHT, 'normal', 'handling')).toBe(60 * MIN);
    expect(stageLimitMs(policy, STREETLIGHT, 'normal', 'arrival')).toBe(120 * MIN);
    expect(stageLimitMs(policy, STREETLIGHT, 'urgent', 'handling')).toBe(240 * MIN);
    expect(stageLimitMs(policy, MANHOLE, 'emergency', 'handling')).toBe(120 * MIN);
    const order = newCase({ category: STREETLIGHT }, T0, policy);
    expect(order).toMatchObject({ dueAt: at(10), deadlineAt: at(10 + 30 + 120 + 60) });
    expect(deadlineOf(policy, STREETLIGHT, 'normal', T0)).toBe(at(220));
    expect(clockFor(policy, order, 'handling', at(100))).toEqual({
      stage: 'handling',
      dueAt: at(160),
      overdueAt: null,
    });
  });

  it('dates a case a worker registered offline from when they saw it', () => {
    const input = { id: 'wo-2', source: 'worker' as const, category: STREETLIGHT, title: '路灯不亮' };
    const place = { location: SITE, gridCellId: '330106001001001', districtId: '330106' };
    const order = registerCase({ ...input, ...place, doneAt: at(-20) }, WORKER_1, {
      now: T0,
      policy: DEFAULT_POLICY,
    });
    expect(order).toMatchObject({ createdAt: at(-20), updatedAt: T0, dueAt: at(-20 + 30) });
    expect(order.timeline[0]).toMatchObject({ at: T0, doneAt: at(-20), by: 'u-w1' });
    const byOperator = registerCase({ ...input, ...place, doneAt: at(-20) }, OPERATOR, {
      now: T0,
      policy: DEFAULT_POLICY,
    });
    expect(byOperator.createdAt).toBe(T0);
  });

  it('keeps the clock running through a note', () => {
    const order = acceptedCase();
    const noted = apply(order, VALID.note, OPERATOR, at(20)).order;
    expect(noted).toMatchObject({ state: 'accepted', stage: 'arrival', dueAt: order.dueAt });
  });
});

describe('reassign', () => {
  const reassigned = () =>
    apply(acceptedCase(), cmd('reassign', { assigneeId: 'w-2', reason: '网格员一请假' }), OPERATOR, at(10));

  it('hands the case to another worker, keeping who had it', () => {
    const { order, entry } = reassigned();
    expect(order).toMatchObject({
      state: 'dispatched',
      assigneeId: 'w-2',
      stage: 'response',
      dueAt: at(10 + 15),
    });
    expect(entry).toMatchObject({
      action: 'reassign',
      from: 'accepted',
      to: 'dispatched',
      assigneeId: 'w-2',
      note: '网格员一请假',
      data: { previousAssigneeId: 'w-1' },
    });
    expect(order.timeline.filter((e) => e.assigneeId).map((e) => [e.action, e.assigneeId])).toEqual([
      ['dispatch', 'w-1'],
      ['reassign', 'w-2'],
    ]);
    expect(apply(order, VALID.accept, WORKER_2, at(12)).order.state).toBe('accepted');
  });

  it('tells the old assignee who took the case from them and to whom it went', () => {
    const refusal = refuse(reassigned().order, VALID.accept, WORKER_1, at(11));
    expect(refusal).toMatchObject({ code: 'conflict', reason: 'reassigned' });
    expect(refusal.message).toContain('reassigned to worker w-2');
    expect(refusal.message).toContain('值班员甲');
    expect(refusal.message).toContain('网格员一请假');
  });

  it('refuses a worker who never had the case as not the assignee', () => {
    expect(refuse(reassigned().order, VALID.accept, OUTSIDER, at(11))).toMatchObject({
      code: 'forbidden',
      reason: 'not-assignee',
    });
  });

  it('refuses to reassign to the same worker or to a worker not on the roster', () => {
    const order = acceptedCase();
    expect(
      refuse(order, cmd('reassign', { assigneeId: 'w-1', reason: '重派' }), OPERATOR, at(10)),
    ).toMatchObject({
      code: 'invalid_request',
      reason: 'same-assignee',
      path: 'assigneeId',
    });
    expect(
      refuse(order, cmd('reassign', { assigneeId: 'w-404', reason: '重派' }), OPERATOR, at(10)),
    ).toMatchObject({ code: 'invalid_request', reason: 'unknown-worker', path: 'assigneeId' });
    expect(refuse(newCase(), cmd('dispatch', { assigneeId: 'w-404' }), SYSTEM_ACTOR, at(1))).toMatchObject({
      code: 'invalid_request',
      reason: 'unknown-worker',
    });
  });
});

describe('return', () => {
  it('sends a case back with the re-dispatch clock running, to be dispatched again', () => {
    let order = apply(newCase(), cmd('dispatch', { assigneeId: 'w-1' }), OPERATOR, at(2)).order;
    const returned = apply(
      order,
      cmd('return', { reason: 'not-our-responsibility', note: '属燃气井' }),
      WORKER_1,
      at(4),
    );
    expect(returned.order).toMatchObject({ state: 'returned', stage: 'redispatch', dueAt: at(4 + 10) });
    expect(returned.entry).toMatchObject({ note: '属燃气井', data: { reason: 'not-our-responsibility' } });

    order = apply(returned.order, cmd('dispatch', { assigneeId: 'w-2' }), OPERATOR, at(6)).order;
    expect(order).toMatchObject({
      state: 'dispatched',
      assigneeId: 'w-2',
      stage: 'response',
      dueAt: at(6 + 15),
    });
    expect(order.timeline.at(-1)?.data).toEqual({ previousAssigneeId: 'w-1' });

    const late = refuse(order, VALID.accept, WORKER_1, at(7));
    expect(late).toMatchObject({ code: 'conflict', reason: 'reassigned' });
    expect(late.message).toContain('dispatched to worker w-2');
  });

  it('records no note when the worker gives none', () => {
    const { entry } = apply(acceptedCase(), VALID.return, WORKER_1, at(6));
    expect(entry.note).toBeUndefined();
    expect(entry.from).toBe('accepted');
  });
});

describe('escalate', () => {
  it('hands a case to a department, whose answer an operator records as the report', () => {
    const handling = apply(acceptedCase(), VALID.checkIn, WORKER_1, at(9)).order;
    const escalated = apply(handling, VALID.escalate, SUPERVISOR, at(15));
    expect(escalated.order).toMatchObject({
      state: 'escalated',
      department: WATER,
      stage: 'department',
      dueAt: at(15 + 240),
    });
    expect(escalated.entry).toMatchObject({ note: '地下管网属水务', data: { department: WATER } });

    const fromWorker = refuse(escalated.order, photo(), WORKER_1, at(20));
    expect(fromWorker).toMatchObject({ code: 'forbidden', reason: 'role' });
    expect(fromWorker.message).toContain(WATER);

    const answered = apply(escalated.order, cmd('report', { note: '水务局已抽排' }), OPERATOR, at(200));
    expect(answered.order).toMatchObject({ state: 'reported', stage: 'verification' });
    expect(answered.entry).toMatchObject({ note: '水务局已抽排', data: { photoIds: [], department: WATER } });
  });
});

describe('cancel', () => {
  it.each([...OPEN_WORK_ORDER_STATES])(
    'cancels a %s case as a false alarm, after which only notes are taken',
    (state) => {
      const { order, entry } = apply(
        caseIn(state),
        cmd('cancel', { reason: 'false-alarm', note: '传感器误报' }),
        OPERATOR,
        at(3),
      );
      expect(order).toMatchObject({ state: 'cancelled', stage: null, dueAt: null, version: 2 });
      expect(entry).toMatchObject({
        from: state,
        to: 'cancelled',
        note: '传感器误报',
        data: { reason: 'false-alarm' },
      });
      for (const action of MATRIX_ACTIONS.filter((a) => a !== 'note'))
        expect(decide(order, VALID[action], OPERATOR, ctx(at(4))).ok, action).toBe(false);
      const noted = apply(order, VALID.note, OPERATOR, at(4));
      expect(noted.entry).toMatchObject({ from: 'cancelled', to: 'cancelled', note: '已电话联系' });
    },
  );
});

describe('expectedVersion', () => {
  it('refuses a command made on an older version, naming the actions since', () => {
    const order = acceptedCase();
    const stale = cmd('checkIn', { method: 'qr', code: SENSOR, expectedVersion: 1 });
    const refusal = refuse(order, stale, WORKER_1, at(9));
    expect(refusal).toMatchObject({ code: 'conflict', reason: 'version', path: 'expectedVersion' });
    expect(refusal.message).toContain('now 3: dispatch, accept');
    const current = cmd('checkIn', { method: 'qr', code: SENSOR, expectedVersion: 3 });
    expect(apply(order, current, WORKER_1, at(9)).order.version).toBe(4);
  });
});

describe('proximity check-in', () => {
  const checkIn = (m: number, accuracyM?: number) =>
    cmd('checkIn', { method: 'proximity', fix: { location: north(m), ...(accuracyM ? { accuracyM } : {}) } });

  it('takes a fix within the radius and records the distance', () => {
    const { order, entry } = apply(acceptedCase(), checkIn(120, 15), WORKER_1, at(9));
    expect(order.state).toBe('handling');
    expect(entry.data).toEqual({ method: 'proximity', distanceM: 120, location: north(120), accuracyM: 15 });
  });

  it('refuses a fix too far from the site, allowing for its accuracy', () => {
    const order = acceptedCase();
    const far = refuse(order, checkIn(500, 10), WORKER_1, at(9));
    expect(far).toMatchObject({ code: 'invalid_request', reason: 'too-far', path: 'fix' });
    expect(far.message).toContain('500 m');
    expect(refuse(order, checkIn(250), WORKER_1, at(9)).reason).toBe('too-far');
    expect(apply(order, checkIn(250, 60), WORKER_1, at(9)).entry.data).toMatchObject({ distanceM: 250 });
  });

  it('refuses a fix less accurate than the radius, however close', () => {
    expect(refuse(acceptedCase(), checkIn(20, 300), WORKER_1, at(9))).toMatchObject({
      code: 'invalid_request',
      reason: 'inaccurate',
      path: 'fix',
    });
  });

  it('uses the radius of the policy', () => {
    const policy: WorkOrderPolicy = { ...DEFAULT_POLICY, checkInRadiusM: 50 };
    expect(refuse(acceptedCase(), checkIn(120, 15), WORKER_1, at(9), { policy }).reason).toBe('too-far');
    expect(proximityCheck(SITE, { location: north(120) }, 50)).toEqual({
      ok: false,
      reason: 'too-far',
      distanceM: 120,
    });
    expect(proximityCheck(SITE, { location: north(40), accuracyM: 60 }, 50)).toEqual({
      ok: false,
      reason: 'inaccurate',
      distanceM: 40,
    });
    expect(proximityCheck(SITE, { location: north(40) }, 50)).toEqual({ ok: true, distanceM: 40 });
  });
});

describe('doneAt from an offline worker', () => {
  const dispatched = () => apply(newCase(), cmd('dispatch', { assigneeId: 'w-1' }), OPERATOR, at(2)).order;
  const accept = (doneAt: string | number) => cmd('accept', { doneAt });

  it('keeps the time the worker acted when it falls between the previous entry and now', () => {
    const { order, entry } = apply(dispatched(), accept(new Date(at(3)).toISOString()), WORKER_1, at(10));
    expect(entry).toMatchObject({ at: at(10), doneAt: at(3) });
    expect(order).toMatchObject({ updatedAt: at(10), dueAt: at(3 + 30) }); // the arrival clock runs from then
  });

  it('clamps a time before the previous entry to it, and drops one after now', () => {
    expect(apply(dispatched(), accept(at(1)), WORKER_1, at(10)).entry.doneAt).toBe(at(2));
    const future = apply(dispatched(), accept(at(20)), WORKER_1, at(10));
    expect(future.entry.doneAt).toBeUndefined();
    expect(future.order.dueAt).toBe(at(10 + 30));
  });

  it('ignores doneAt from an operator', () => {
    const { order, entry } = apply(
      newCase(),
      cmd('dispatch', { assigneeId: 'w-1', doneAt: at(1) }),
      OPERATOR,
      at(2),
    );
    expect(entry.doneAt).toBeUndefined();
    expect(order.dueAt).toBe(at(2 + 15));
  });

  it('floors the time at the last change of state, not at a later overdue flag or note', () => {
    // Dispatched at +2 (emergency: 15 min to respond), flagged overdue at +20, noted at +21.
    const flagged = markOverdue(dispatched(), at(20))!.order;
    const noted = apply(flagged, cmd('note', { note: '已电话催办' }), OPERATOR, at(21)).order;
    const { order, entry } = apply(noted, accept(at(10)), WORKER_1, at(30));
    expect(entry).toMatchObject({ at: at(30), doneAt: at(10) });
    expect(order.dueAt).toBe(at(10 + 30));
    expect(apply(noted, accept(at(1)), WORKER_1, at(30)).entry.doneAt).toBe(at(2));
  });

  it('never dates an action more than 7 days back, whatever the previous entry', () => {
    const now = at(2) + 10 * 24 * 60 * MIN;
    const { entry } = apply(dispatched(), accept(at(3)), WORKER_1, now);
    expect(entry.doneAt).toBe(now - MAX_OFFLINE_AGE_MS);
  });
});

describe('offline registrations', () => {
  const input = {
    id: 'wo-3',
    source: 'worker' as const,
    category: STREETLIGHT,
    title: '路灯不亮',
    location: SITE,
    gridCellId: '330106001001001',
    districtId: '330106',
  };

  it('refuses a worker registration dated more than 7 days ago, naming doneAt', () => {
    expect(offlineAgeRefusal(T0 - MAX_OFFLINE_AGE_MS - 1, WORKER_1, T0)).toMatchObject({
      code: 'invalid_request',
      reason: 'too-old',
      path: 'doneAt',
      message: expect.stringContaining('more than 7 days ago'),
    });
    expect(offlineAgeRefusal(0, WORKER_1, T0)?.reason).toBe('too-old');
  });

  it('takes a registration exactly 7 days old, one without doneAt, and any from an operator', () => {
    expect(offlineAgeRefusal(T0 - MAX_OFFLINE_AGE_MS, WORKER_1, T0)).toBeNull();
    expect(offlineAgeRefusal(undefined, WORKER_1, T0)).toBeNull();
    expect(offlineAgeRefusal(0, OPERATOR, T0)).toBeNull();
  });

  it('dates a registration at most 7 days back even when asked for an older time', () => {
    const order = registerCase({ ...input, doneAt: 0 }, WORKER_1, { now: T0, policy: DEFAULT_POLICY });
    expect(order.createdAt).toBe(T0 - MAX_OFFLINE_AGE_MS);
    expect(order.timeline[0]?.doneAt).toBe(T0 - MAX_OFFLINE_AGE_MS);
  });
});

describe('markOverdue', () => {
  it('flags a case once when its stage limit runs out, and again after a state change starts a new clock', () => {
    const order = newCase(); // dispatch stage, due at +5 min
    expect(markOverdue(order, at(4))).toBeNull();

    const flagged = markOverdue(order, at(6));
    expect(flagged?.order).toMatchObject({
      state: 'registered',
      version: 2,
      updatedAt: at(6),
      overdueAt: at(6),
    });
    expect(flagged?.entry).toEqual({
      seq: 2,
      at: at(6),
      action: 'overdue',
      by: 'system',
      byName: '系统',
      from: 'registered',
      to: 'registered',
      data: { stage: 'dispatch', dueAt: at(5) },
    });
    if (!flagged) return;
    expect(markOverdue(flagged.order, at(60))).toBeNull();
    const noted = apply(flagged.order, VALID.note, OPERATOR, at(7)).order;
    expect(noted.overdueAt).toBe(at(6)); // a note is no state change
    expect(markOverdue(noted, at(60))).toBeNull();

    const dispatched = apply(noted, cmd('dispatch', { assigneeId: 'w-1' }), OPERATOR, at(8)).order;
    expect(dispatched).toMatchObject({ overdueAt: null, stage: 'response', dueAt: at(8 + 15) });
    expect(markOverdue(dispatched, at(22))).toBeNull();
    const late = markOverdue(dispatched, at(23));
    expect(late?.entry).toMatchObject({ seq: 5, assigneeId: 'w-1', data: { stage: 'response' } });
  });

  it('never flags a case without a clock', () => {
    for (const state of ['closed', 'evaluated', 'cancelled'] as const)
      expect(markOverdue(caseIn(state), at(100_000))).toBeNull();
  });
});

describe('verify with the alert still open', () => {
  const reported = () => {
    const handling = apply(acceptedCase(), VALID.checkIn, WORKER_1, at(9)).order;
    return apply(handling, photo(), WORKER_1, at(30)).order;
  };

  it('closes the case flagged as still breaching', () => {
    const { order, entry } = apply(reported(), VALID.verify, OPERATOR, at(40), { alertStillOpen: true });
    expect(order).toMatchObject({ state: 'closed', stillBreaching: true });
    expect(entry.data).toEqual({ result: 'pass', stillBreaching: true });
  });

  it('leaves the flag off when the alert has cleared', () => {
    const { order, entry } = apply(reported(), VALID.verify, OPERATOR, at(40), { alertStillOpen: false });
    expect(order.stillBreaching).toBeUndefined();
    expect(entry.data).toEqual({ result: 'pass' });
  });

  it('clears the flag when a rework fixed what the failed verification found', () => {
    const fail = cmd('verify', { result: 'fail' });
    const rework = apply(reported(), fail, OPERATOR, at(40), { alertStillOpen: true }).order;
    expect(rework.stillBreaching).toBe(true);
    const again = apply(rework, photo('p-2'), WORKER_1, at(60)).order;
    const closed = apply(again, VALID.verify, OPERATOR, at(70), { alertStillOpen: false }).order;
    expect(closed.state).toBe('closed');
    expect(closed.stillBreaching).toBeUndefined();
    expect(closed.timeline.filter((e) => e.action === 'verify').map((e) => e.data)).toEqual([
      { result: 'fail', stillBreaching: true },
      { result: 'pass' },
    ]);
  });
});

describe('replayedEntry', () => {
  it('finds the entry an earlier attempt of the same action by the same actor produced', () => {
    let order = apply(newCase(), cmd('dispatch', { assigneeId: 'w-1' }), OPERATOR, at(2)).order;
    const accept = cmd('accept', { actionId: 'q-0001-accept' });
    order = apply(order, accept, WORKER_1, at(5)).order;
    order = apply(order, cmd('note', { note: '路上', actionId: 'q-0002-note' }), WORKER_1, at(6)).order;

    expect(replayedEntry(order, 'u-w1', 'q-0001-accept')).toMatchObject({ seq: 3, action: 'accept' });
    expect(replayedEntry(order, 'u-w1', 'q-0002-note')).toMatchObject({ seq: 4, action: 'note' });
    expect(replayedEntry(order, 'u-w2', 'q-0001-accept')).toBeUndefined();
    expect(replayedEntry(order, 'u-w1', 'q-0003-other')).toBeUndefined();
    expect(replayedEntry(order, 'u-w1', undefined)).toBeUndefined();
  });
});
