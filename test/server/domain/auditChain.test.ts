import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  entryHash,
  GENESIS_HASH,
  sealEntry,
  verifyChain,
  type AuditEntryBody,
  type ChainHead,
} from '../../../server/src/domain/auditChain';
import type { AuditEntry } from '../../../shared/schemas/audit.schema';

const T0 = Date.parse('2026-11-21T08:00:00Z');

const body = (n: number): Omit<AuditEntryBody, 'seq'> => ({
  at: T0 + n * 1000,
  actor: { type: 'user', id: 'u-admin', role: 'admin' },
  action: 'rule.update',
  target: { type: 'rule', id: `R-${n}` },
  before: { threshold: 100 + n },
  after: { threshold: 150 + n },
  origin: { ip: '10.0.0.7', via: 'http' },
});

/** A valid chain of `n` entries and its head. */
function chain(n: number): { entries: AuditEntry[]; head: ChainHead | null } {
  const entries: AuditEntry[] = [];
  for (let i = 1; i <= n; i++) {
    const prev = entries.at(-1);
    entries.push(sealEntry(prev ? { seq: prev.seq, hash: prev.hash } : null, body(i)));
  }
  const last = entries.at(-1);
  return { entries, head: last ? { seq: last.seq, hash: last.hash } : null };
}

describe('canonicalJson', () => {
  it('sorts object keys at every depth and leaves out whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: true, y: null }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[2,{"y":null,"z":true}]},"b":1}',
    );
  });

  it('gives the same text for equal objects built in different key orders', () => {
    expect(canonicalJson({ id: 'u1', role: 'admin' })).toBe(canonicalJson({ role: 'admin', id: 'u1' }));
  });

  it('leaves out object members that are undefined, as JSON.stringify does', () => {
    expect(canonicalJson({ via: 'http', ip: undefined })).toBe('{"via":"http"}');
  });

  it('throws on values JSON cannot carry unchanged', () => {
    expect(() => canonicalJson({ v: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ v: Number.POSITIVE_INFINITY })).toThrow(TypeError);
    expect(() => canonicalJson([undefined])).toThrow(TypeError);
    expect(() => canonicalJson({ v: 10n })).toThrow(TypeError);
  });
});

describe('entryHash', () => {
  it('is the SHA-256 hex of the previous hash followed by the canonical body', () => {
    const b: AuditEntryBody = { ...body(1), seq: 1 };
    const hash = entryHash(GENESIS_HASH, b);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(entryHash(GENESIS_HASH, { ...b })).toBe(hash);
    expect(entryHash('1'.repeat(64), b)).not.toBe(hash);
    expect(entryHash(GENESIS_HASH, { ...b, after: { threshold: 152 } })).not.toBe(hash);
  });
});

describe('sealEntry', () => {
  it('starts the chain at seq 1 linked to the genesis hash, and links each next entry to the one before', () => {
    const first = sealEntry(null, body(1));
    const second = sealEntry({ seq: first.seq, hash: first.hash }, body(2));
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH });
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash });
    expect(second.hash).not.toBe(first.hash);
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain ending at its head, with the count and the head', () => {
    const { entries, head } = chain(5);
    expect(verifyChain(entries, head)).toEqual({ ok: true, count: 5, head });
  });

  it('accepts an empty log without a head', () => {
    expect(verifyChain([], null)).toEqual({ ok: true, count: 0, head: null });
  });

  it('reports an edited entry as a hash mismatch at its seq', () => {
    const { entries, head } = chain(5);
    entries[2] = { ...entries[2]!, after: { threshold: 9999 } };
    expect(verifyChain(entries, head)).toEqual({ ok: false, seq: 3, reason: 'hash_mismatch' });
  });

  it('reports a deleted middle entry as a gap at the missing seq', () => {
    const { entries, head } = chain(5);
    entries.splice(1, 1);
    expect(verifyChain(entries, head)).toEqual({ ok: false, seq: 2, reason: 'gap' });
  });

  it('reports a deleted first entry as a gap at seq 1', () => {
    const { entries, head } = chain(3);
    expect(verifyChain(entries.slice(1), head)).toEqual({ ok: false, seq: 1, reason: 'gap' });
  });

  it('reports entries renumbered to close a gap as a broken link where the deleted entry was', () => {
    const { entries, head } = chain(5);
    const renumbered = [entries[0]!, ...entries.slice(2).map((e) => ({ ...e, seq: e.seq - 1 }))];
    expect(verifyChain(renumbered, head)).toEqual({ ok: false, seq: 2, reason: 'broken_link' });
  });

  it('reports an entry replaced with a freshly hashed one as a broken link at the entry after it', () => {
    const { entries, head } = chain(5);
    const prev = entries[1]!;
    entries[2] = sealEntry({ seq: prev.seq, hash: prev.hash }, { ...body(3), after: { threshold: 0 } });
    expect(verifyChain(entries, head)).toEqual({ ok: false, seq: 4, reason: 'broken_link' });
  });

  it('reports a deleted last entry against the head, at the seq that is missing', () => {
    const { entries, head } = chain(5);
    expect(verifyChain(entries.slice(0, 4), head)).toEqual({ ok: false, seq: 5, reason: 'head_mismatch' });
  });

  it('reports a log emptied of all its entries against the head', () => {
    const { head } = chain(3);
    expect(verifyChain([], head)).toEqual({ ok: false, seq: 1, reason: 'head_mismatch' });
  });

  it('reports entries without a stored head as unanchored from seq 1', () => {
    const { entries } = chain(3);
    expect(verifyChain(entries, null)).toEqual({ ok: false, seq: 1, reason: 'head_mismatch' });
  });

  it('reports entries past the stored head at the first of them', () => {
    const { entries } = chain(5);
    const third = entries[2]!;
    expect(verifyChain(entries, { seq: third.seq, hash: third.hash })).toEqual({
      ok: false,
      seq: 4,
      reason: 'head_mismatch',
    });
  });

  it('reports a chain rewritten from the start against a head that kept the old hash', () => {
    const { head } = chain(3);
    const rewritten: AuditEntry[] = [];
    for (let i = 1; i <= 3; i++) {
      const prev = rewritten.at(-1);
      rewritten.push(
        sealEntry(prev ? { seq: prev.seq, hash: prev.hash } : null, { ...body(i), before: null }),
      );
    }
    expect(verifyChain(rewritten, head)).toEqual({ ok: false, seq: 3, reason: 'head_mismatch' });
  });
});
