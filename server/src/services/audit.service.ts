import {
  AuditEntrySchema,
  type AuditActor,
  type AuditEntry,
  type AuditOrigin,
  type AuditPage,
  type AuditQuery,
  type AuditTarget,
} from '@shared/schemas/audit.schema';
import { CHAIN_START, sealEntry, verifyEnd, verifyStep, type ChainVerdict } from '../domain/auditChain';
import type { AuditRepository } from './ports';

/** One state-changing action to record. */
export interface AuditRecordInput {
  actor: AuditActor;
  /** Dotted lower-camel-case words, general to specific: `auth.login`, `user.role.change`. */
  action: string;
  /** The object acted on; omit for actions without one. */
  target?: AuditTarget | null;
  /** The fields of the target that matter, before the action (omit for a creation). */
  before?: Record<string, unknown> | null;
  /** The same fields after the action (omit for a deletion). */
  after?: Record<string, unknown> | null;
  origin: AuditOrigin;
}

/** Keys whose values never enter the log, at any depth of a summary: `password`, `passwordHash`, `apiToken`… */
const SECRET_KEY = /(password|passwd|passphrase|secret|token|api_?key|private_?key|credential)s?(_?hash)?$/i;
export const REDACTED = '[redacted]';

/** What the log stores of a summary: plain JSON (dates become strings, undefined members go), secrets masked. */
function summary(value: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  if (value === null || value === undefined) return null;
  return JSON.parse(JSON.stringify(value), (key, v: unknown) =>
    key !== '' && SECRET_KEY.test(key) ? REDACTED : v,
  ) as Record<string, unknown>;
}

/**
 * The entry as the store will keep it. SQLite holds text as UTF-8, where a lone surrogate
 * (a username `"\ud800"` in a sign-in attempt) becomes U+FFFD, as `toWellFormed` does; hashing
 * the original would make verification report an honest entry as edited.
 */
function storable<T>(value: T): T {
  if (typeof value === 'string') return value.toWellFormed() as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toWellFormed(), storable(v)])) as T;
  }
  return value;
}

const BodySchema = AuditEntrySchema.omit({ seq: true, prevHash: true, hash: true });
/** Entries read per page while verifying. */
const VERIFY_PAGE = 1000;

const toMs = (v: string | number | undefined): number | undefined =>
  v === undefined ? undefined : typeof v === 'number' ? v : Date.parse(v);

/**
 * The audit log: record every state-changing action, query it (admins), and
 * verify that nothing in it was edited or deleted.
 */
export class AuditService {
  constructor(
    private readonly deps: {
      repo: AuditRepository;
      /** Epoch ms; the time stamped on each entry. */
      clock: () => number;
    },
  ) {}

  /**
   * Append an entry for an action that has happened. Summaries are reduced to JSON
   * and any secret-looking member is masked; a malformed input (an action that is not
   * dotted words, an unknown actor type…) throws. Appends are serialised by the store,
   * so concurrent calls each get the next seq and link to the entry before.
   */
  async record(input: AuditRecordInput): Promise<AuditEntry> {
    const { repo, clock } = this.deps;
    const body = BodySchema.parse(
      storable({
        at: clock(),
        actor: input.actor,
        action: input.action,
        target: input.target ?? null,
        before: summary(input.before),
        after: summary(input.after),
        origin: {
          ...input.origin,
          ...(input.origin.userAgent === undefined
            ? {}
            : { userAgent: input.origin.userAgent.slice(0, 256) }),
        },
      }),
    );
    return repo.append((head) => sealEntry(head, body));
  }

  /** Matching entries, newest first, a page at a time (`nextBefore` continues). */
  async query(q: AuditQuery): Promise<AuditPage> {
    const rows = await this.deps.repo.query({
      from: toMs(q.from),
      to: toMs(q.to),
      actorId: q.actor,
      actionPrefix: q.action,
      targetType: q.targetType,
      targetId: q.targetId,
      beforeSeq: q.before,
      // One more than asked tells whether an older page exists.
      limit: q.limit + 1,
    });
    const items = rows.slice(0, q.limit);
    const last = items.at(-1);
    return { items, nextBefore: rows.length > q.limit && last ? last.seq : null };
  }

  /**
   * Check the whole chain against the stored head: every hash, every link, no gap,
   * and the log ending exactly at the head. Entries appended while this runs are
   * not looked at (the end of the log is read once, first).
   */
  async verify(): Promise<ChainVerdict> {
    const { repo } = this.deps;
    const { head, lastSeq } = await repo.end();
    const upTo = Math.max(head?.seq ?? 0, lastSeq);
    let progress = CHAIN_START;
    let after = 0;
    for (;;) {
      const page = await repo.range(after, upTo, VERIFY_PAGE);
      for (const entry of page) {
        const step = verifyStep(progress, entry);
        if (!step.ok) return step;
        progress = step.progress;
      }
      const last = page.at(-1);
      if (!last || page.length < VERIFY_PAGE) break;
      after = last.seq;
    }
    return verifyEnd(progress, head);
  }
}
