import type { AuditActor, AuditOrigin } from '@shared/schemas/audit.schema';
import type { Rule, RuleDraft } from '@shared/schemas/rule.schema';
import { validateRule, type RuleIssue } from '../domain/rules/registry';
import type { DomainEvents } from './events';
import type { AuditService } from './audit.service';
import type { RuleRepository } from './ports';

/** A refused rule change, with an HTTP-friendly code and field-level issues. */
export class RuleError extends Error {
  constructor(
    readonly code: 'invalid_request' | 'not_found' | 'conflict',
    message: string,
    readonly issues: RuleIssue[] = [],
  ) {
    super(message);
    this.name = 'RuleError';
  }
}

export interface RuleChangeContext {
  actor: AuditActor;
  origin: AuditOrigin;
  /** Why the change is made (stored with the version and audited). */
  reason: string;
}

/**
 * Rules as data: validated JSON documents, every change a new version with who and
 * why, audited, applied live to the engine through `onChange`.
 */
export class RulesService {
  private current = new Map<string, Rule>();

  constructor(
    private readonly deps: {
      repo: RuleRepository;
      audit: AuditService;
      clock: () => number;
      /** Called with the full current rule set after every change (here or, in a cluster, on another node). */
      onChange: (rules: readonly Rule[]) => void;
      /** Announces `rules.changed` to the cluster and hears other nodes' changes. */
      events?: DomainEvents;
    },
  ) {
    deps.events?.on('rules.changed', () => void this.reload(), { remoteOnly: true });
  }

  /** Another node saved a rule: take the stored current set and apply it. */
  async reload(): Promise<void> {
    const rules = await this.deps.repo.listCurrent();
    this.current = new Map(rules.map((r) => [r.id, r]));
    this.deps.onChange(rules);
  }

  /** Load rules; on an empty store install `defaults` as version 1 by `system`. */
  async load(defaults: readonly unknown[]): Promise<Rule[]> {
    if ((await this.deps.repo.count()) === 0) {
      for (const input of defaults) {
        const checked = validateRule(input);
        if (!checked.ok) {
          throw new Error(
            `default rule is invalid: ${checked.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
          );
        }
        await this.deps.repo.saveVersion({
          ...checked.rule,
          version: 1,
          updatedAt: this.deps.clock(),
          updatedBy: 'system',
          reason: 'default rule set',
        });
      }
    }
    const rules = await this.deps.repo.listCurrent();
    this.current = new Map(rules.map((r) => [r.id, r]));
    return rules;
  }

  list(): Rule[] {
    return [...this.current.values()];
  }

  get(id: string): Rule | undefined {
    return this.current.get(id);
  }

  versions(id: string): Promise<Rule[]> {
    return this.deps.repo.versions(id);
  }

  private validate(input: unknown): RuleDraft {
    const checked = validateRule(input);
    if (!checked.ok) {
      throw new RuleError(
        'invalid_request',
        `invalid rule: ${checked.issues[0]!.path}: ${checked.issues[0]!.message}`,
        checked.issues,
      );
    }
    return checked.rule;
  }

  private existing(id: string): Rule {
    const rule = this.current.get(id);
    if (!rule) throw new RuleError('not_found', `rule ${id} not found`);
    return rule;
  }

  /** Create a rule (its id must be new, including ids of deleted rules: history is kept). */
  async create(input: unknown, ctx: RuleChangeContext): Promise<Rule> {
    const draft = this.validate(input);
    if (await this.deps.repo.find(draft.id))
      throw new RuleError('conflict', `rule ${draft.id} already exists`);
    return this.save(draft, ctx, 'rule.create', undefined);
  }

  /**
   * Replace a rule with a new version. `expectedVersion`, when given, must be the current
   * version (optimistic concurrency: two engineers editing the same rule).
   */
  async update(id: string, input: unknown, ctx: RuleChangeContext, expectedVersion?: number): Promise<Rule> {
    const before = this.existing(id);
    if (expectedVersion !== undefined && expectedVersion !== before.version) {
      throw new RuleError('conflict', `rule ${id} is at version ${before.version}, not ${expectedVersion}`);
    }
    const draft = this.validate({ ...(input as object), id });
    return this.save(draft, ctx, 'rule.update', before);
  }

  /** Enable or disable without touching the rest. */
  async setEnabled(id: string, enabled: boolean, ctx: RuleChangeContext): Promise<Rule> {
    const before = this.existing(id);
    return this.save({ ...before, enabled }, ctx, enabled ? 'rule.enable' : 'rule.disable', before);
  }

  /** Delete: a last version marked deleted (history stays); its open alerts resolve. */
  async remove(id: string, ctx: RuleChangeContext): Promise<void> {
    const before = this.existing(id);
    await this.save({ ...before, enabled: false }, ctx, 'rule.delete', before, true);
  }

  /** Store the next version of a rule (version 1 without `before`), audit it, apply the rule set live. */
  private async save(
    draft: RuleDraft,
    ctx: RuleChangeContext,
    action: string,
    before: Rule | undefined,
    deleted = false,
  ): Promise<Rule> {
    const rule: Rule = {
      ...draft,
      version: (before?.version ?? 0) + 1,
      updatedAt: this.deps.clock(),
      updatedBy: ctx.actor.id,
      reason: ctx.reason,
    };
    try {
      await this.deps.repo.saveVersion(rule, deleted);
    } catch (err) {
      if ((err as { code?: string }).code === 'conflict')
        throw new RuleError('conflict', (err as Error).message);
      throw err;
    }
    if (deleted) this.current.delete(rule.id);
    else this.current.set(rule.id, rule);
    const summary = (r: Rule) => ({
      version: r.version,
      enabled: r.enabled,
      params: r.params,
      scope: r.scope,
    });
    await this.deps.audit.record({
      actor: ctx.actor,
      action,
      target: { type: 'rule', id: rule.id },
      before: before ? summary(before) : null,
      after: { ...summary(rule), deleted, reason: ctx.reason },
      origin: ctx.origin,
    });
    this.deps.onChange(this.list());
    this.deps.events?.emit('rules.changed', {});
    return rule;
  }
}
