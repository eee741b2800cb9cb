import {
  DEADLINE_STAGES,
  DEFAULT_STAGE_LIMITS,
  type SlaStage,
  type Urgency,
} from '@shared/domain/caseCategories';
import type { WorkOrderPolicy, WorkOrderState } from '@shared/schemas/workOrder.schema';

const MINUTE_MS = 60_000;

/** The stage whose clock runs while a case is in `state` (null: no clock). */
export function stageOf(state: WorkOrderState): SlaStage | null {
  switch (state) {
    case 'registered':
      return 'dispatch';
    case 'dispatched':
      return 'response';
    case 'accepted':
      return 'arrival';
    case 'handling':
      return 'handling';
    case 'reported':
      return 'verification';
    case 'returned':
      return 'redispatch';
    case 'escalated':
      return 'department';
    case 'closed':
    case 'evaluated':
    case 'cancelled':
      return null;
  }
}

/** Time limit of a stage for a category and urgency, ms: the category's override, else the urgency's default. */
export function stageLimitMs(
  policy: WorkOrderPolicy,
  category: string,
  urgency: Urgency,
  stage: SlaStage,
): number {
  const override = policy.categoryLimits[category as keyof typeof policy.categoryLimits]?.[urgency]?.[stage];
  return (override ?? policy.limits[urgency][stage]) * MINUTE_MS;
}

/** 处置时限: a case registered at `at` is on time if its accepted report comes by this instant. */
export function deadlineOf(policy: WorkOrderPolicy, category: string, urgency: Urgency, at: number): number {
  return DEADLINE_STAGES.reduce((t, stage) => t + stageLimitMs(policy, category, urgency, stage), at);
}

/** The clock fields of a case entering `state` at `at`. */
export function clockFor(
  policy: WorkOrderPolicy,
  order: { category: string; urgency: Urgency },
  state: WorkOrderState,
  at: number,
): { stage: SlaStage | null; dueAt: number | null; overdueAt: null } {
  const stage = stageOf(state);
  return {
    stage,
    dueAt: stage ? at + stageLimitMs(policy, order.category, order.urgency, stage) : null,
    overdueAt: null,
  };
}

/** The policy until a supervisor changes it: the default limits, no auto-dispatch, 200 m check-in, photo required. */
export const DEFAULT_POLICY: WorkOrderPolicy = {
  limits: DEFAULT_STAGE_LIMITS,
  categoryLimits: {},
  autoDispatch: [],
  checkInRadiusM: 200,
  reportNeedsPhoto: true,
};
