import { createHash } from 'node:crypto';
import type { AuditEntry } from '@shared/schemas/audit.schema';

/**
 * The audit log's hash chain, as pure functions.
 *
 *   hash(n) = sha256_hex(hash(n − 1) + canonicalJson(entry n without prevHash and hash))
 *
 * with hash(0) = GENESIS_HASH. Editing an entry changes its hash; deleting one
 * leaves a gap in `seq` or a `prevHash` that points nowhere; deleting the last
 * ones shows only against the chain head stored beside the log, which is why
 * verification takes that head too.
 *
 * This makes the log tamper-evident against edits that do not recompute the
 * chain. Someone who can write the database file and recompute every hash
 * after an edit is caught only by comparing the head with a copy kept
 * elsewhere (the head `audit:verify` prints is small enough to log or note).
 */

/** The `prevHash` of the first entry: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** The last entry of the chain as stored beside it (SQLite: `meta` key `audit_head`). */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** The fields a hash covers besides the previous hash. */
export type AuditEntryBody = Omit<AuditEntry, 'prevHash' | 'hash'>;

/**
 * JSON with object keys sorted (by UTF-16 code unit) and no whitespace, so equal values
 * always give equal text. Object properties whose value is `undefined` are left out,
 * as JSON.stringify does; anything JSON cannot carry unchanged (`undefined` elsewhere,
 * NaN, ±Infinity, bigint, functions, symbols) throws.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} is not a JSON number`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`);
    return `{${members.join(',')}}`;
  }
  throw new TypeError(`canonicalJson: a ${typeof value} is not JSON`);
}

/** SHA-256 (lowercase hex) of `prevHash` followed by the canonical JSON of `body`. */
export function entryHash(prevHash: string, body: AuditEntryBody): string {
  return createHash('sha256')
    .update(prevHash + canonicalJson(body), 'utf8')
    .digest('hex');
}

/** Complete `body` into the entry that follows `prev` (null: the first entry). */
export function sealEntry(prev: ChainHead | null, body: Omit<AuditEntryBody, 'seq'>): AuditEntry {
  const prevHash = prev?.hash ?? GENESIS_HASH;
  const full: AuditEntryBody = { ...body, seq: (prev?.seq ?? 0) + 1 };
  return { ...full, prevHash, hash: entryHash(prevHash, full) };
}

/**
 * Why verification stopped, at the `seq` it names:
 * - `gap`: the entry with this seq is missing (a row was deleted or renumbered);
 * - `broken_link`: this entry's `prevHash` is not the previous entry's hash;
 * - `hash_mismatch`: this entry's content does not give its stored hash (it was edited);
 * - `head_mismatch`: the log does not end where the stored head says — trailing entries were
 *   deleted (seq = the first one missing), entries follow the head without having moved it
 *   (seq = the first of them), the head was removed, or the last entry differs from it.
 */
export const CHAIN_FAILURES = ['gap', 'broken_link', 'hash_mismatch', 'head_mismatch'] as const;
export type ChainFailureReason = (typeof CHAIN_FAILURES)[number];

export interface ChainFailure {
  ok: false;
  seq: number;
  reason: ChainFailureReason;
}

export type ChainVerdict = { ok: true; count: number; head: ChainHead | null } | ChainFailure;

/** What a verification has checked so far: how many entries, and the last one. */
export interface ChainProgress {
  count: number;
  last: ChainHead | null;
}

export const CHAIN_START: ChainProgress = { count: 0, last: null };

/** Check the next entry (in seq order) against what came before it. */
export function verifyStep(
  progress: ChainProgress,
  entry: AuditEntry,
): { ok: true; progress: ChainProgress } | ChainFailure {
  const expectedSeq = (progress.last?.seq ?? 0) + 1;
  if (entry.seq !== expectedSeq) return { ok: false, seq: expectedSeq, reason: 'gap' };
  if (entry.prevHash !== (progress.last?.hash ?? GENESIS_HASH)) {
    return { ok: false, seq: entry.seq, reason: 'broken_link' };
  }
  const { prevHash, hash, ...body } = entry;
  if (entryHash(prevHash, body) !== hash) return { ok: false, seq: entry.seq, reason: 'hash_mismatch' };
  return { ok: true, progress: { count: progress.count + 1, last: { seq: entry.seq, hash } } };
}

/** Finish a verification: the last entry checked must be the stored head (both absent for an empty log). */
export function verifyEnd(progress: ChainProgress, head: ChainHead | null): ChainVerdict {
  // An empty log and a missing head both end at seq 0.
  const last = progress.last ?? { seq: 0, hash: GENESIS_HASH };
  const stored = head ?? { seq: 0, hash: GENESIS_HASH };
  if (last.seq !== stored.seq) {
    return { ok: false, seq: Math.min(last.seq, stored.seq) + 1, reason: 'head_mismatch' };
  }
  if (last.hash !== stored.hash) return { ok: false, seq: stored.seq, reason: 'head_mismatch' };
  return { ok: true, count: progress.count, head: progress.last };
}

/** Verify a whole chain: `entries` in seq order, `head` as stored beside them. */
export function verifyChain(entries: Iterable<AuditEntry>, head: ChainHead | null): ChainVerdict {
  let progress = CHAIN_START;
  for (const entry of entries) {
    const step = verifyStep(progress, entry);
    if (!step.ok) return step;
    progress = step.progress;
  }
  return verifyEnd(progress, head);
}
