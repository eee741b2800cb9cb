import type { TimelineEntry, WorkOrder } from '@shared/schemas/workOrder.schema';
import { zonedParts } from '../../format/time.format';
import type { Locale } from '../../i18n/messages';

/** Words in both UI languages (as the offline queue's explanations are). */
export interface Bilingual {
  zh: string;
  en: string;
}

/** Urgency colours: 紧急 red, 加急 orange, 一般 blue. */
export const URGENCY_TONE: Record<WorkOrder['urgency'], 'red' | 'orange' | 'blue'> = {
  emergency: 'red',
  urgent: 'orange',
  normal: 'blue',
};

/** A due time this close counts as "soon" (shown in amber), ms. */
export const DUE_SOON_MS = 15 * 60_000;

/** Where a task stands against its current stage's time limit. */
export type DueState = 'none' | 'ok' | 'soon' | 'overdue';

/** The task's stage clock at `now`: none running, fine, running out, or run out. */
export function dueStateOf(order: Pick<WorkOrder, 'dueAt' | 'overdueAt'>, now: number): DueState {
  if (order.dueAt === null) return 'none';
  if (order.overdueAt !== null || now >= order.dueAt) return 'overdue';
  return order.dueAt - now <= DUE_SOON_MS ? 'soon' : 'ok';
}

/** A duration rounded up to the minute: `1小时20分` / `1 h 20 min`, days and hours beyond a day. */
export function formatDuration(ms: number, locale: Locale): string {
  const total = Math.max(0, Math.ceil(ms / 60_000));
  const d = Math.floor(total / 1440);
  const h = Math.floor((total % 1440) / 60);
  const m = total % 60;
  if (locale === 'zh') return d > 0 ? `${d}天${h}小时` : h > 0 ? `${h}小时${m}分` : `${m}分钟`;
  return d > 0 ? `${d} d ${h} h` : h > 0 ? `${h} h ${m} min` : `${m} min`;
}

/** `MM-DD HH:mm` in Asia/Shanghai (the worker's phone may be set to any zone). */
export function formatShortTime(epochMs: number): string {
  const p = zonedParts(epochMs);
  return `${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** When an entry happened: when the worker did it, if it waited in the phone's queue. */
export function effectiveTime(entry: Pick<TimelineEntry, 'at' | 'doneAt'>): number {
  return entry.doneAt ?? entry.at;
}

const CANCEL_REASONS: Record<string, Bilingual> = {
  'false-alarm': { zh: '误报', en: 'false alarm' },
  duplicate: { zh: '重复上报', en: 'duplicate' },
  'not-a-case': { zh: '不属于案件', en: 'not a case' },
  other: { zh: '其他原因', en: 'other reason' },
};

/** Why a task was taken off the worker's list (`workOrder:withdrawn`), in both languages. */
export function explainWithdrawal(order: Pick<WorkOrder, 'title'>, entry: TimelineEntry): Bilingual {
  const note = entry.note?.trim();
  if (entry.action === 'cancel') {
    const reason = CANCEL_REASONS[String(entry.data?.reason ?? 'other')] ?? CANCEL_REASONS.other!;
    return {
      zh: `“${order.title}”已作废（${reason.zh}）${note ? `：${note}` : ''}，无需再处理。`,
      en: `"${order.title}" was cancelled (${reason.en})${note ? `: ${note}` : ''}. Nothing more to do.`,
    };
  }
  if (entry.action === 'reassign' || entry.action === 'dispatch')
    return {
      zh: `“${order.title}”已由${entry.byName}改派给其他网格员${note ? `：${note}` : ''}。`,
      en: `"${order.title}" was reassigned to another worker by ${entry.byName}${note ? `: ${note}` : ''}.`,
    };
  return {
    zh: `“${order.title}”已不再由你处理。`,
    en: `"${order.title}" is no longer yours.`,
  };
}

/** The verification comments that sent the task back (返工), newest last. */
export function reworkComments(order: Pick<WorkOrder, 'timeline'>): TimelineEntry[] {
  return order.timeline.filter((e) => e.action === 'verify' && e.data?.result === 'fail');
}
