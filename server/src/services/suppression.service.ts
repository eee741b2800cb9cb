import { randomUUID } from 'node:crypto';
import type { AuditActor, AuditOrigin } from '@shared/schemas/audit.schema';
import {
  InhibitionDraftSchema,
  type Inhibition,
  type InhibitionDraft,
  type Silence,
  type SilenceDraft,
  type SilenceState,
} from '@shared/schemas/silence.schema';
import { silenceState } from '../domain/alerts/suppression';
import type { DomainEvents } from './events';
import type { AuditService } from './audit.service';
import type { SuppressionRepository } from './ports';

/** A refused silence or inhibition change, with an HTTP-friendly code. */
export class SuppressionError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'SuppressionError';
  }
}

export interface SuppressionChangeContext {
  actor: AuditActor;
  /** Display name of the user (shown on silenced alerts). */
  actorName: string;
  origin: AuditOrigin;
}

type StoredSilence = Omit<Silence, 'state'>;

/**
 * 静默 and 抑制 as data: silences (one-off or weekly maintenance windows) and
 * inhibition rules, kept in memory (they are few), stored, audited, and applied
 * to open alerts live through `onChange`.
 */
export class SuppressionService {
  private silences = new Map<string, StoredSilence>();
  private inhibitions = new Map<string, Inhibition>();
  private readonly listeners: Array<() => void> = [];

  constructor(
    private readonly deps: {
      repo: SuppressionRepository;
      audit: AuditService;
      clock: () => number;
      /** Announces `suppression.changed` to the cluster and hears other nodes' changes. */
      events?: DomainEvents;
    },
  ) {
    deps.events?.on('suppression.changed', () => void this.reload(), { remoteOnly: true });
  }

  /** Another node changed silences or inhibition rules: take the stored ones and apply them. */
  async reload(): Promise<void> {
    const { repo } = this.deps;
    this.inhibitions = new Map((await repo.listInhibitions()).map((r) => [r.id, r]));
    this.silences = new Map((await repo.listSilences()).map((s) => [s.id, s]));
    for (const l of this.listeners) l();
  }

  /** Load silences and inhibition rules; on an empty store install the default inhibition rules. */
  async load(defaults: readonly InhibitionDraft[]): Promise<void> {
    const { repo, clock } = this.deps;
    if ((await repo.countInhibitions()) === 0) {
      for (const d of defaults) {
        const draft = InhibitionDraftSchema.parse(d);
        await repo.saveInhibition({ ...draft, id: draft.id!, updatedAt: clock(), updatedBy: 'system' });
      }
    }
    this.inhibitions = new Map((await repo.listInhibitions()).map((r) => [r.id, r]));
    this.silences = new Map((await repo.listSilences()).map((s) => [s.id, s]));
  }

  /** Called after every change (the alerting service re-evaluates open alerts). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
    this.deps.events?.emit('suppression.changed', {});
  }

  private withState(s: StoredSilence, now = this.deps.clock()): Silence {
    return { ...s, state: silenceState(s, now) };
  }

  silence(id: string): Silence | undefined {
    const s = this.silences.get(id);
    return s && this.withState(s);
  }

  /** Silences in the given states (default: scheduled and active), newest first. */
  listSilences(states: readonly SilenceState[] = ['scheduled', 'active']): Silence[] {
    const now = this.deps.clock();
    return [...this.silences.values()]
      .map((s) => this.withState(s, now))
      .filter((s) => states.includes(s.state))
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Silences in force at `now`. */
  activeSilences(now: number): Silence[] {
    const out: Silence[] = [];
    for (const s of this.silences.values()) {
      const state = silenceState(s, now);
      if (state === 'active') out.push({ ...s, state });
    }
    return out;
  }

  listInhibitions(): Inhibition[] {
    return [...this.inhibitions.values()];
  }

  inhibition(id: string): Inhibition | undefined {
    return this.inhibitions.get(id);
  }

  async createSilence(draft: SilenceDraft, ctx: SuppressionChangeContext): Promise<Silence> {
    const now = this.deps.clock();
    const silence: StoredSilence = {
      id: randomUUID(),
      ...draft,
      createdBy: ctx.actor.id,
      createdByName: ctx.actorName,
      createdAt: now,
      updatedAt: now,
    };
    return this.storeSilence(silence, undefined, 'silence.create', ctx);
  }

  /** Change what or when a silence mutes (not an expired one: make a new silence). */
  async updateSilence(id: string, draft: SilenceDraft, ctx: SuppressionChangeContext): Promise<Silence> {
    const before = this.existingSilence(id);
    if (silenceState(before, this.deps.clock()) === 'expired')
      throw new SuppressionError('conflict', `silence ${id} has expired; create a new one`);
    return this.storeSilence(
      { ...before, ...draft, updatedAt: this.deps.clock() },
      before,
      'silence.update',
      ctx,
    );
  }

  /** End a silence now (its alerts are announced again if still open). */
  async expireSilence(id: string, ctx: SuppressionChangeContext): Promise<Silence> {
    const before = this.existingSilence(id);
    const now = this.deps.clock();
    if (silenceState(before, now) === 'expired')
      throw new SuppressionError('conflict', `silence ${id} has already expired`);
    return this.storeSilence(
      { ...before, expiredAt: now, expiredBy: ctx.actor.id, updatedAt: now },
      before,
      'silence.expire',
      ctx,
    );
  }

  private existingSilence(id: string): StoredSilence {
    const s = this.silences.get(id);
    if (!s) throw new SuppressionError('not_found', `silence ${id} not found`);
    return s;
  }

  private async storeSilence(
    silence: StoredSilence,
    before: StoredSilence | undefined,
    action: string,
    ctx: SuppressionChangeContext,
  ): Promise<Silence> {
    await this.deps.repo.saveSilence(silence);
    this.silences.set(silence.id, silence);
    const summary = (s: StoredSilence) => ({
      matchers: s.matchers,
      schedule: s.schedule,
      comment: s.comment,
      ...(s.expiredAt !== undefined && { expiredAt: s.expiredAt }),
    });
    await this.deps.audit.record({
      actor: ctx.actor,
      action,
      target: { type: 'silence', id: silence.id },
      before: before ? summary(before) : null,
      after: summary(silence),
      origin: ctx.origin,
    });
    this.changed();
    return this.withState(silence);
  }

  /** Create (no `id` or a new one) or replace an inhibition rule. */
  async saveInhibition(
    draft: InhibitionDraft,
    ctx: SuppressionChangeContext,
    mode: 'create' | 'update',
  ): Promise<Inhibition> {
    const id = draft.id ?? randomUUID();
    const before = this.inhibitions.get(id);
    if (mode === 'create' && before)
      throw new SuppressionError('conflict', `inhibition ${id} already exists`);
    if (mode === 'update' && !before) throw new SuppressionError('not_found', `inhibition ${id} not found`);
    const rule: Inhibition = { ...draft, id, updatedAt: this.deps.clock(), updatedBy: ctx.actor.id };
    await this.deps.repo.saveInhibition(rule);
    this.inhibitions.set(id, rule);
    await this.auditInhibition(
      mode === 'create' ? 'inhibition.create' : 'inhibition.update',
      before,
      rule,
      ctx,
    );
    this.changed();
    return rule;
  }

  async deleteInhibition(id: string, ctx: SuppressionChangeContext): Promise<void> {
    const before = this.inhibitions.get(id);
    if (!before) throw new SuppressionError('not_found', `inhibition ${id} not found`);
    await this.deps.repo.deleteInhibition(id, this.deps.clock());
    this.inhibitions.delete(id);
    await this.auditInhibition('inhibition.delete', before, null, ctx);
    this.changed();
  }

  private auditInhibition(
    action: string,
    before: Inhibition | undefined | null,
    after: Inhibition | null,
    ctx: SuppressionChangeContext,
  ) {
    const summary = (r: Inhibition) => ({
      source: r.source,
      target: r.target,
      equal: r.equal,
      enabled: r.enabled,
    });
    return this.deps.audit.record({
      actor: ctx.actor,
      action,
      target: { type: 'inhibition', id: (after ?? before)!.id },
      before: before ? summary(before) : null,
      after: after ? summary(after) : null,
      origin: ctx.origin,
    });
  }
}
