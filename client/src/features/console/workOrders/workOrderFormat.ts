import { CASE_CATEGORIES } from '@shared/domain/caseCategories';
import type { SlaStage } from '@shared/domain/caseCategories';
import { OPEN_WORK_ORDER_STATES } from '@shared/schemas/workOrder.schema';
import type {
  TimelineEntry,
  WorkOrder,
  WorkOrderCommandName,
  WorkOrderSource,
  WorkOrderState,
} from '@shared/schemas/workOrder.schema';
import { translate } from '../../../i18n/messages';
import type { Locale, MessageKey } from '../../../i18n/messages';
import { formatDateTime } from '../consoleApi';
import { workerLabel } from '../../workers/rosterFormat';

/** What the case list is narrowed to. Empty strings mean "any". */
export interface CaseFilters {
  /** One state, `open` (every open state), or '' for all. */
  state: '' | 'open' | WorkOrderState;
  /** A case category id. */
  category: string;
  /** A district's 6-digit code. */
  districtId: string;
  /** Only cases whose current stage ran out of time. */
  overdue: boolean;
}

export const NO_FILTERS: CaseFilters = { state: 'open', category: '', districtId: '', overdue: false };

/** Cases fetched for one list (the API's page limit). */
export const LIST_LIMIT = 500;

const OPEN = new Set<WorkOrderState>(OPEN_WORK_ORDER_STATES);

/** The states a filter lets through; null for all. */
function statesOf(filters: CaseFilters): readonly WorkOrderState[] | null {
  if (filters.state === '') return null;
  return filters.state === 'open' ? OPEN_WORK_ORDER_STATES : [filters.state];
}

/** `GET /api/v1/work-orders` for the filters (ids and states need no escaping; commas stay readable). */
export function listQuery(filters: CaseFilters, limit: number = LIST_LIMIT): string {
  const parts: string[] = [];
  const states = statesOf(filters);
  if (states) parts.push(`state=${states.join(',')}`);
  if (filters.category) parts.push(`category=${encodeURIComponent(filters.category)}`);
  if (filters.districtId) parts.push(`districtId=${encodeURIComponent(filters.districtId)}`);
  if (filters.overdue) parts.push('overdue=true');
  parts.push(`limit=${limit}`);
  return `/api/v1/work-orders?${parts.join('&')}`;
}

/** Whether a case belongs in the list the filters describe (as the server decides it). */
export function matchesFilters(order: WorkOrder, filters: CaseFilters): boolean {
  const states = statesOf(filters);
  if (states && !states.includes(order.state)) return false;
  if (filters.category && order.category !== filters.category) return false;
  if (filters.districtId && order.districtId !== filters.districtId) return false;
  // The server's overdue filter: an open case whose current stage is flagged.
  if (filters.overdue && !(order.overdueAt !== null && OPEN.has(order.state))) return false;
  return true;
}

/** Whether the case's current stage ran out of time (an open case with its flag set). */
export function isOverdue(order: Pick<WorkOrder, 'overdueAt' | 'state'>): boolean {
  return order.overdueAt !== null && OPEN.has(order.state);
}

/** List order: newest registration first, as the API pages them. */
export function byNewest(a: WorkOrder, b: WorkOrder): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The operator's actions of the console (the worker's accept, return, check-in and report are theirs). */
export type ConsoleAction = Extract<
  WorkOrderCommandName,
  'dispatch' | 'reassign' | 'verify' | 'evaluate' | 'escalate' | 'cancel' | 'note'
>;

/**
 * From which states an operator may take each action. Mirrors the server's state machine
 * (server/src/domain/workOrders/stateMachine.ts, docs/WORK_ORDERS.md); the server decides, this
 * only keeps buttons that cannot succeed off the screen.
 */
const ACTION_FROM: Record<ConsoleAction, readonly WorkOrderState[]> = {
  dispatch: ['registered', 'returned'],
  reassign: ['dispatched', 'accepted', 'handling', 'escalated'],
  verify: ['reported'],
  evaluate: ['closed'],
  escalate: ['registered', 'dispatched', 'accepted', 'handling', 'returned'],
  cancel: OPEN_WORK_ORDER_STATES,
  note: [...OPEN_WORK_ORDER_STATES, 'closed', 'evaluated', 'cancelled'],
};

/** Display order of the actions. */
const ACTION_ORDER: readonly ConsoleAction[] = [
  'dispatch',
  'reassign',
  'verify',
  'evaluate',
  'escalate',
  'cancel',
  'note',
];

/** The actions an operator may take on a case in `state`, in display order. */
export function actionsFor(state: WorkOrderState): ConsoleAction[] {
  return ACTION_ORDER.filter((a) => ACTION_FROM[a].includes(state));
}

/** A category's name: `公用设施 · 井盖` / `Public facilities · Manhole cover`; the id when unknown. */
export function categoryName(id: string, locale: Locale): string {
  const c = CASE_CATEGORIES.find((x) => x.id === id);
  if (!c) return id;
  return locale === 'en' ? `${c.className.en} · ${c.name.en}` : `${c.className.zh} · ${c.name.zh}`;
}

/** What a timeline entry says it did: `核实未通过（返工）` for a failed verification. */
export function entryActionKey(entry: Pick<TimelineEntry, 'action' | 'data'>): MessageKey {
  if (entry.action === 'verify' && entry.data?.result === 'fail') return 'worker.timeline.rework';
  return `worker.timeline.${entry.action}`;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function text(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** Data keys described in words; anything else is listed as `key: value`. */
const KNOWN_DATA = new Set([
  'method',
  'code',
  'distanceM',
  'accuracyM',
  'location',
  'result',
  'stillBreaching',
  'stars',
  'by',
  'reason',
  'department',
  'photoIds',
  'previousAssigneeId',
  'stage',
  'dueAt',
  'source',
  'sourceRef',
]);

function reasonKey(action: TimelineEntry['action'], reason: string): MessageKey | null {
  const cancel: Record<string, MessageKey> = {
    'false-alarm': 'console.workOrders.cancelReason.false-alarm',
    duplicate: 'console.workOrders.cancelReason.duplicate',
    'not-a-case': 'console.workOrders.cancelReason.not-a-case',
    other: 'console.workOrders.cancelReason.other',
  };
  const ret: Record<string, MessageKey> = {
    'not-our-responsibility': 'worker.returnReason.not-our-responsibility',
    'wrong-location': 'worker.returnReason.wrong-location',
    duplicate: 'worker.returnReason.duplicate',
    other: 'worker.returnReason.other',
  };
  return (action === 'cancel' ? cancel : action === 'return' ? ret : {})[reason] ?? null;
}

/**
 * The facts an entry carries beyond its action, in words: check-in method, distance and
 * accuracy; the verification result (and whether the sensor was still breaching); the rating;
 * the reason, department, photos, previous assignee, the overdue stage… Unknown facts are listed
 * as they are, so nothing the server recorded is hidden. Workers are named as `nameOf` knows them
 * (the roster, masked for this user) beside their roster id.
 */
export function entryFacts(
  entry: TimelineEntry,
  locale: Locale,
  nameOf: (workerId: string) => string | null = () => null,
): string[] {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(locale, key, params);
  const who = (id: string) => workerLabel(id, nameOf(id), locale);
  const d = entry.data ?? {};
  const facts: string[] = [];
  if (entry.assigneeId) facts.push(t('console.workOrders.data.assignee', { id: who(entry.assigneeId) }));
  const previous = text(d.previousAssigneeId);
  if (previous) facts.push(t('console.workOrders.data.previous', { id: who(previous) }));
  if (d.method === 'qr') facts.push(t('console.workOrders.data.method.qr'));
  if (d.method === 'proximity') facts.push(t('console.workOrders.data.method.proximity'));
  const code = text(d.code);
  if (code) facts.push(t('console.workOrders.data.code', { code }));
  const distance = num(d.distanceM);
  if (distance !== null) facts.push(t('console.workOrders.data.distance', { n: Math.round(distance) }));
  const accuracy = num(d.accuracyM);
  if (accuracy !== null) facts.push(t('console.workOrders.data.accuracy', { n: Math.round(accuracy) }));
  if (d.result === 'pass') facts.push(t('console.workOrders.data.result.pass'));
  if (d.result === 'fail') facts.push(t('console.workOrders.data.result.fail'));
  if (d.stillBreaching === true) facts.push(t('console.workOrders.data.stillBreaching'));
  const stars = num(d.stars);
  if (stars !== null) facts.push(t('console.workOrders.data.stars', { n: stars }));
  if (d.by === 'citizen') facts.push(t('console.workOrders.data.by.citizen'));
  if (d.by === 'supervisor') facts.push(t('console.workOrders.data.by.supervisor'));
  const reason = text(d.reason);
  if (reason) {
    const key = reasonKey(entry.action, reason);
    facts.push(t('console.workOrders.data.reason', { r: key ? t(key) : reason }));
  }
  const department = text(d.department);
  if (department) facts.push(t('console.workOrders.data.department', { d: department }));
  if (Array.isArray(d.photoIds) && d.photoIds.length > 0)
    facts.push(t('console.workOrders.data.photos', { n: d.photoIds.length }));
  const stage = text(d.stage);
  if (stage && entry.action === 'overdue')
    facts.push(t('console.workOrders.data.stage', { s: stageName(stage, locale) }));
  const source = text(d.source);
  if (source) facts.push(t('console.workOrders.data.source', { s: sourceName(source, locale) }));
  for (const [key, value] of Object.entries(d)) {
    if (KNOWN_DATA.has(key) || value === undefined) continue;
    facts.push(`${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return facts;
}

const STAGE_KEYS: Record<SlaStage, MessageKey> = {
  dispatch: 'console.workOrders.stage.dispatch',
  response: 'console.workOrders.stage.response',
  arrival: 'console.workOrders.stage.arrival',
  handling: 'console.workOrders.stage.handling',
  verification: 'console.workOrders.stage.verification',
  redispatch: 'console.workOrders.stage.redispatch',
  department: 'console.workOrders.stage.department',
};

/** An SLA stage's name (派遣, 响应, 到场…); the id when unknown. */
export function stageName(stage: string, locale: Locale): string {
  const key = Object.hasOwn(STAGE_KEYS, stage) ? STAGE_KEYS[stage as SlaStage] : null;
  return key ? translate(locale, key) : stage;
}

const SOURCE_KEYS: Record<WorkOrderSource, MessageKey> = {
  alert: 'console.workOrders.source.alert',
  incident: 'console.workOrders.source.incident',
  citizen: 'console.workOrders.source.citizen',
  worker: 'console.workOrders.source.worker',
  operator: 'console.workOrders.source.operator',
};

/** A case source's name (告警, 市民上报…); the id when unknown. */
export function sourceName(source: string, locale: Locale): string {
  const key = Object.hasOwn(SOURCE_KEYS, source) ? SOURCE_KEYS[source as WorkOrderSource] : null;
  return key ? translate(locale, key) : source;
}

/** An entry's time line: `2026-11-21 08:00:00`, plus when the worker did it if it was queued offline. */
export function entryTime(entry: Pick<TimelineEntry, 'at' | 'doneAt'>, locale: Locale): string {
  const at = formatDateTime(entry.at);
  if (entry.doneAt === undefined || entry.doneAt === entry.at) return at;
  return `${at} · ${translate(locale, 'console.workOrders.timeline.doneAt', { t: formatDateTime(entry.doneAt) })}`;
}
