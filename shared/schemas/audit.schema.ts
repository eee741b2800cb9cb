import { z } from 'zod';
import { EpochMsSchema } from './common.schema';

/**
 * The audit log: one entry per state-changing action (login, user or role
 * change, rule change, alert acknowledgement, work-order transition, config
 * change, device credential change), appended and never edited. Entries are
 * hash-chained: each carries the hash of the one before it, so an edited or
 * deleted row breaks the chain (`npm run audit:verify`).
 */

/** SHA-256 as 64 lowercase hex digits. */
export const Sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits (SHA-256)');

/** Who did it: a signed-in user, a device (its credentials), or the platform itself (scheduler, migration). */
export const AuditActorSchema = z.object({
  type: z.enum(['user', 'device', 'system']),
  /** User id, device (sensor or gateway) id, or the name of the system component. */
  id: z.string().min(1).max(128),
  /** The role the actor acted with, when it has one (users). */
  role: z.string().min(1).max(64).optional(),
});
export type AuditActor = z.infer<typeof AuditActorSchema>;

/** A lower-camel-case word: `user`, `workOrder`, `login`. */
const WORD = '[a-z][A-Za-z0-9]*';

/** What was done, as dotted words from general to specific: `auth.login`, `user.create`, `device.revoke`. */
export const AuditActionSchema = z
  .string()
  .max(64)
  .regex(new RegExp(`^${WORD}(\\.${WORD})+$`), 'dotted lower-camel-case words, e.g. "user.create"');

/** What it was done to. `type` is a domain word (`user`, `rule`, `alert`, `workOrder`, `device`, `config`). */
export const AuditTargetSchema = z.object({
  type: z
    .string()
    .max(32)
    .regex(new RegExp(`^${WORD}$`), 'a lower-camel-case word'),
  id: z.string().min(1).max(128),
});
export type AuditTarget = z.infer<typeof AuditTargetSchema>;

/**
 * A summary of the target before or after the action: a JSON object of the
 * fields that matter to a reviewer. Never secrets (passwords, tokens, keys).
 */
export const AuditSummarySchema = z.record(z.string(), z.json()).nullable();
export type AuditSummary = z.infer<typeof AuditSummarySchema>;

export const AUDIT_VIAS = ['http', 'socket', 'mqtt', 'cli', 'system'] as const;

/** Where the request came from. */
export const AuditOriginSchema = z.object({
  /** Client address as the server saw it (after trusted proxies). */
  ip: z.string().max(64).optional(),
  /** The client's User-Agent header, truncated. */
  userAgent: z.string().max(256).optional(),
  /** The channel: REST API, Socket.IO command, MQTT, command-line tool, or the platform itself. */
  via: z.enum(AUDIT_VIAS),
});
export type AuditOrigin = z.infer<typeof AuditOriginSchema>;

export const AuditEntrySchema = z.object({
  /** Position in the log: 1, 2, 3… without gaps. Newer entries have larger numbers. */
  seq: z.number().int().positive(),
  /** When the action was recorded, epoch ms. */
  at: EpochMsSchema,
  actor: AuditActorSchema,
  action: AuditActionSchema,
  /** The object acted on; null for actions without one (e.g. a failed login for an unknown name). */
  target: AuditTargetSchema.nullable(),
  before: AuditSummarySchema,
  after: AuditSummarySchema,
  origin: AuditOriginSchema,
  /** `hash` of the previous entry; 64 zeros for the first entry. */
  prevHash: Sha256HexSchema,
  /** SHA-256 of `prevHash` followed by the canonical JSON of every other field. */
  hash: Sha256HexSchema,
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** Epoch ms or an ISO-8601 time with offset (query strings carry both as text). */
const TimeParamSchema = z.union([z.iso.datetime({ offset: true }), z.coerce.number().int().nonnegative()]);

/** Query string of `GET /api/v1/audit` (admins only). Every filter is optional; they combine with AND. */
export const AuditQuerySchema = z
  .object({
    /** Entries at or after this time (epoch ms or ISO-8601). */
    from: TimeParamSchema.optional(),
    /** Entries strictly before this time (epoch ms or ISO-8601). */
    to: TimeParamSchema.optional(),
    /** Actor id (a user, a device, a system component). */
    actor: z.string().min(1).max(128).optional(),
    /** Action or a dotted prefix of it: `user` matches `user.create` and `user.role.change`, not `userGroup.create`. */
    action: z
      .string()
      .max(64)
      .regex(new RegExp(`^${WORD}(\\.${WORD})*$`), 'dotted lower-camel-case words, e.g. "user"')
      .optional(),
    targetType: AuditTargetSchema.shape.type.optional(),
    targetId: AuditTargetSchema.shape.id.optional(),
    /** Largest page size. */
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    /** Paging cursor: only entries with a smaller `seq` (pass the previous page's `nextBefore`). */
    before: z.coerce.number().int().positive().optional(),
  })
  .strict();
export type AuditQuery = z.infer<typeof AuditQuerySchema>;

/** Response of `GET /api/v1/audit`: newest first. */
export const AuditPageSchema = z.object({
  items: z.array(AuditEntrySchema),
  /** Cursor for the next (older) page, or null when this page reaches the oldest matching entry. */
  nextBefore: z.number().int().positive().nullable(),
});
export type AuditPage = z.infer<typeof AuditPageSchema>;
