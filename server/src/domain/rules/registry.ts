import { z } from 'zod';
import {
  RULE_KINDS,
  RuleDraftSchema,
  type RuleDraft,
  type RuleKindId,
  type RuleKindInfo,
} from '@shared/schemas/rule.schema';
import type { AnyRuleKind } from './ruleKind';
import { thresholdKind } from './kinds/threshold';
import { rateOfChangeKind } from './kinds/rateOfChange';
import { noDataKind } from './kinds/noData';
import { stuckKind } from './kinds/stuck';
import { dataQualityKind } from './kinds/dataQuality';
import { anomalyKind } from './kinds/anomaly';
import { areaKind } from './kinds/area';

/** Every rule kind, by id. Adding a kind = one file under kinds/ + one line here. */
export const RULE_KIND_REGISTRY: Readonly<Record<RuleKindId, AnyRuleKind>> = {
  threshold: thresholdKind,
  rateOfChange: rateOfChangeKind,
  noData: noDataKind,
  stuck: stuckKind,
  dataQuality: dataQualityKind,
  anomaly: anomalyKind,
  area: areaKind,
};

export function kindOf(id: RuleKindId): AnyRuleKind {
  const kind = RULE_KIND_REGISTRY[id];
  if (!kind) throw new Error(`Unknown rule kind: ${String(id)}`);
  return kind;
}

/** One problem with a rule document, with the path of the field at fault. */
export interface RuleIssue {
  path: string;
  message: string;
}

export type RuleValidation = { ok: true; rule: RuleDraft } | { ok: false; issues: RuleIssue[] };

function issuesOf(error: z.ZodError, prefix: (string | number)[] = []): RuleIssue[] {
  return error.issues.map((i) => ({
    path: [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))].join('.') || '(root)',
    message: i.message,
  }));
}

/**
 * Validates a rule document: the shared shape first, then the kind's own params.
 * On success `rule.params` holds the parsed params (units normalised, defaults filled).
 */
export function validateRule(input: unknown): RuleValidation {
  const draft = RuleDraftSchema.safeParse(input);
  if (!draft.success) return { ok: false, issues: issuesOf(draft.error) };
  const params = kindOf(draft.data.kind).paramsSchema.safeParse(draft.data.params);
  if (!params.success) return { ok: false, issues: issuesOf(params.error, ['params']) };
  return { ok: true, rule: { ...draft.data, params: params.data as Record<string, unknown> } };
}

/** What the UI needs to render a form for each kind. */
export function ruleKindInfos(): RuleKindInfo[] {
  return RULE_KINDS.map((id) => {
    const kind = RULE_KIND_REGISTRY[id];
    return {
      kind: id,
      title: kind.title,
      description: kind.description,
      subject: kind.subject,
      paramsSchema: z.toJSONSchema(kind.paramsSchema, { io: 'input', unrepresentable: 'any' }) as Record<
        string,
        unknown
      >,
      example: kind.example,
    };
  });
}
