import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../../../server/src/domain/auditChain';
import { SqliteAuditRepository } from '../../../server/src/persistence/sqlite/audit.repository';
import { migrate, openDatabase, type SqliteDatabase } from '../../../server/src/persistence/sqlite/database';
import { AuditService, REDACTED, type AuditRecordInput } from '../../../server/src/services/audit.service';
import { AuditQuerySchema, type AuditQuery } from '../../../shared/schemas/audit.schema';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const T0 = Date.parse('2026-11-21T08:00:00Z');

const tempDir = mkdtempSync(join(tmpdir(), 'cityops-audit-'));
const opened: SqliteDatabase[] = [];
let files = 0;

afterAll(() => {
  for (const db of opened) if (db.open) db.close();
  rmSync(tempDir, { recursive: true, force: true });
});

/** A migrated database file of its own and an AuditService over it; the clock advances 1 s per entry. */
function freshLog(file = join(tempDir, `audit-${++files}.db`)) {
  const db = openDatabase(file, { synchronous: 'NORMAL' });
  opened.push(db);
  migrate(db);
  let now = T0;
  const audit = new AuditService({ repo: new SqliteAuditRepository(db), clock: () => (now += 1000) });
  return { file, db, audit };
}

const login = (userId: string): AuditRecordInput => ({
  actor: { type: 'user', id: userId, role: 'operator' },
  action: 'auth.login',
  target: { type: 'user', id: userId },
  origin: { ip: '10.0.0.7', userAgent: 'Mozilla/5.0', via: 'http' },
});

const ruleChange = (n: number): AuditRecordInput => ({
  actor: { type: 'user', id: 'u-admin', role: 'admin' },
  action: 'rule.update',
  target: { type: 'rule', id: `R-${n}` },
  before: { threshold: 100 },
  after: { threshold: 100 + n },
  origin: { ip: '10.0.0.8', via: 'http' },
});

/** A log of `n` rule changes (seq 1…n). */
async function logWith(n: number) {
  const log = freshLog();
  for (let i = 1; i <= n; i++) await log.audit.record(ruleChange(i));
  return log;
}

/** Change the file the way someone with shell access would: their own connection, plain SQL. */
function tamper(file: string, sql: string): void {
  const db = openDatabase(file, { synchronous: 'NORMAL' });
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}
const DROP_TRIGGERS = 'DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;';

/** Run `npm run audit:verify`'s script as its own process; resolves with its exit code and all it printed. */
async function runVerifyCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/scripts/auditVerify.ts', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', TZ: 'UTC', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, output };
}

const query = (q: Partial<AuditQuery> = {}) => AuditQuerySchema.parse(q);

describe('AuditService.record', () => {
  it('appends entries with consecutive seqs, each linked to the one before, and moves the stored head', async () => {
    const { db, audit } = freshLog();
    const first = await audit.record(login('u-1'));
    const second = await audit.record(ruleChange(1));
    expect(first).toMatchObject({
      seq: 1,
      at: T0 + 1000,
      actor: { type: 'user', id: 'u-1', role: 'operator' },
      action: 'auth.login',
      target: { type: 'user', id: 'u-1' },
      before: null,
      after: null,
      origin: { ip: '10.0.0.7', userAgent: 'Mozilla/5.0', via: 'http' },
      prevHash: GENESIS_HASH,
    });
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash });
    const head = db.prepare(`SELECT value FROM meta WHERE key = 'audit_head'`).get() as { value: string };
    expect(JSON.parse(head.value)).toEqual({ seq: 2, hash: second.hash });
    expect((await audit.query(query())).items).toEqual([second, first]);
  });

  it('keeps one chain when many records are made at once', async () => {
    const { audit } = freshLog();
    const entries = await Promise.all(Array.from({ length: 50 }, (_, i) => audit.record(ruleChange(i))));
    expect(entries.map((e) => e.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    expect(await audit.verify()).toMatchObject({ ok: true, count: 50 });
  });

  it('continues one chain when two connections to the same file append in turn', async () => {
    const a = freshLog();
    const b = freshLog(a.file);
    for (let i = 0; i < 5; i++) {
      await a.audit.record(ruleChange(i));
      await b.audit.record(login(`u-${i}`));
    }
    expect(await a.audit.verify()).toMatchObject({ ok: true, count: 10, head: { seq: 10 } });
  });

  it('masks secret members of the summaries at any depth and never writes them to the file', async () => {
    const { db, audit } = freshLog();
    const entry = await audit.record({
      actor: { type: 'user', id: 'u-admin', role: 'admin' },
      action: 'device.credential.rotate',
      target: { type: 'device', id: 'GW-01' },
      before: { passwordHash: 'scrypt$old-hash', credentialId: 'k-1' },
      after: {
        credentialId: 'k-2',
        mqtt: { username: 'GW-01', password: 's3cret-pass' },
        apiToken: 'tok-123',
      },
      origin: { via: 'http' },
    });
    expect(entry.before).toEqual({ passwordHash: REDACTED, credentialId: 'k-1' });
    expect(entry.after).toEqual({
      credentialId: 'k-2',
      mqtt: { username: 'GW-01', password: REDACTED },
      apiToken: REDACTED,
    });
    const row = db.prepare('SELECT before_json, after_json FROM audit_log WHERE seq = 1').get();
    expect(JSON.stringify(row)).not.toMatch(/old-hash|s3cret-pass|tok-123/);
  });

  it('hashes lone surrogates as the U+FFFD the file keeps, so the chain still verifies', async () => {
    const { audit } = freshLog();
    // A failed sign-in names whatever username was sent, e.g. JSON "ab\ud800c"; a cut user agent may end mid-pair.
    const entry = await audit.record({
      actor: { type: 'system', id: 'auth' },
      action: 'auth.loginFailed',
      target: { type: 'username', id: 'ab\ud800c' },
      after: { ['k\udfff']: ['\ud83d', '😀'] },
      origin: { ip: '10.0.0.9', userAgent: `${'x'.repeat(255)}😀`, via: 'http' },
    });

    expect(entry.target).toEqual({ type: 'username', id: 'ab\ufffdc' });
    expect(entry.after).toEqual({ ['k\ufffd']: ['\ufffd', '😀'] });
    expect(entry.origin.userAgent).toBe(`${'x'.repeat(255)}\ufffd`);
    expect(await audit.verify()).toEqual({ ok: true, count: 1, head: { seq: 1, hash: entry.hash } });
  });

  it('refuses an action that is not dotted words and appends nothing', async () => {
    const { audit } = freshLog();
    await expect(audit.record({ ...login('u-1'), action: 'Login!' })).rejects.toThrow();
    expect(await audit.verify()).toEqual({ ok: true, count: 0, head: null });
  });
});

describe('audit_log triggers', () => {
  it('refuse a plain UPDATE of a row', async () => {
    const { db } = await logWith(2);
    expect(() => db.prepare(`UPDATE audit_log SET after_json = '{}' WHERE seq = 1`).run()).toThrow(
      'audit_log is append-only',
    );
  });

  it('refuse a plain DELETE of a row', async () => {
    const { db } = await logWith(2);
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 2').run()).toThrow('audit_log is append-only');
  });
});

describe('AuditService.verify', () => {
  it('accepts an untouched log with its count and head', async () => {
    const { audit } = await logWith(4);
    const last = (await audit.query(query({ limit: 1 }))).items[0];
    expect(await audit.verify()).toEqual({ ok: true, count: 4, head: { seq: 4, hash: last?.hash } });
  });

  it('reports a row edited in the file (triggers dropped) as a hash mismatch at its seq', async () => {
    const { file, audit } = await logWith(4);
    tamper(file, `${DROP_TRIGGERS} UPDATE audit_log SET after_json = '{"threshold":1}' WHERE seq = 2;`);
    expect(await audit.verify()).toEqual({ ok: false, seq: 2, reason: 'hash_mismatch' });
  });

  it('reports a row whose JSON was replaced by something unparseable as a hash mismatch at its seq', async () => {
    const { file, audit } = await logWith(3);
    tamper(file, `${DROP_TRIGGERS} UPDATE audit_log SET origin_json = 'not json' WHERE seq = 3;`);
    expect(await audit.verify()).toEqual({ ok: false, seq: 3, reason: 'hash_mismatch' });
  });

  it('reports a deleted middle row as a gap at its seq', async () => {
    const { file, audit } = await logWith(4);
    tamper(file, `${DROP_TRIGGERS} DELETE FROM audit_log WHERE seq = 3;`);
    expect(await audit.verify()).toEqual({ ok: false, seq: 3, reason: 'gap' });
  });

  it('reports a deleted last row against the stored head, at its seq', async () => {
    const { file, audit } = await logWith(4);
    tamper(file, `${DROP_TRIGGERS} DELETE FROM audit_log WHERE seq = 4;`);
    expect(await audit.verify()).toEqual({ ok: false, seq: 4, reason: 'head_mismatch' });
  });

  it('keeps a deleted last row visible as a gap after later appends', async () => {
    const { file, audit } = await logWith(4);
    tamper(file, `${DROP_TRIGGERS} DELETE FROM audit_log WHERE seq = 4;`);
    expect(await audit.record(login('u-1'))).toMatchObject({ seq: 5 });
    expect(await audit.verify()).toEqual({ ok: false, seq: 4, reason: 'gap' });
  });

  it('checks a log longer than one verification page', async () => {
    const { file, audit } = await logWith(2100);
    expect(await audit.verify()).toMatchObject({ ok: true, count: 2100 });
    tamper(file, `${DROP_TRIGGERS} UPDATE audit_log SET at = at + 1 WHERE seq = 2001;`);
    expect(await audit.verify()).toEqual({ ok: false, seq: 2001, reason: 'hash_mismatch' });
  });
});

describe('AuditService.query', () => {
  async function mixedLog() {
    const log = freshLog();
    await log.audit.record(login('u-1')); // 1
    await log.audit.record({ ...ruleChange(1), action: 'user.create', target: { type: 'user', id: 'u-2' } }); // 2
    await log.audit.record({
      ...ruleChange(2),
      action: 'user.role.change',
      target: { type: 'user', id: 'u-2' },
    }); // 3
    await log.audit.record({
      ...ruleChange(3),
      action: 'userGroup.create',
      target: { type: 'group', id: 'g' },
    }); // 4
    await log.audit.record(ruleChange(4)); // 5
    await log.audit.record({
      ...login('GW-01'),
      actor: { type: 'device', id: 'GW-01' },
      origin: { via: 'mqtt' },
    }); // 6
    return log;
  }
  const seqs = (page: { items: { seq: number }[] }) => page.items.map((e) => e.seq);

  it('filters by an action prefix of whole dotted words', async () => {
    const { audit } = await mixedLog();
    expect(seqs(await audit.query(query({ action: 'user' })))).toEqual([3, 2]);
    expect(seqs(await audit.query(query({ action: 'user.role.change' })))).toEqual([3]);
  });

  it('filters by actor, by target, and by time range (from inclusive, to exclusive)', async () => {
    const { audit } = await mixedLog();
    expect(seqs(await audit.query(query({ actor: 'GW-01' })))).toEqual([6]);
    expect(seqs(await audit.query(query({ targetType: 'user', targetId: 'u-2' })))).toEqual([3, 2]);
    const from = new Date(T0 + 2000).toISOString();
    expect(seqs(await audit.query(query({ from, to: T0 + 4000 })))).toEqual([3, 2]);
  });

  it('pages newest first through the before cursor until nextBefore is null', async () => {
    const { audit } = await mixedLog();
    const first = await audit.query(query({ limit: 4 }));
    expect(seqs(first)).toEqual([6, 5, 4, 3]);
    expect(first.nextBefore).toBe(3);
    const second = await audit.query(query({ limit: 4, before: first.nextBefore ?? undefined }));
    expect(seqs(second)).toEqual([2, 1]);
    expect(second.nextBefore).toBeNull();
  });
});

describe('npm run audit:verify', () => {
  it('exits 0 with the count and head for an intact log, then 1 naming the seq once a row is edited', async () => {
    const { file, audit } = await logWith(3);
    const head = (await audit.query(query({ limit: 1 }))).items[0];
    const ok = await runVerifyCli(['--db', file]);
    expect(ok.code, ok.output).toBe(0);
    expect(ok.output).toContain(`OK: 3 entries, head seq 3 ${head?.hash}`);

    tamper(file, `${DROP_TRIGGERS} UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = 2;`);
    const bad = await runVerifyCli(['--db', file]);
    expect(bad.code, bad.output).toBe(1);
    expect(bad.output).toContain('seq 2: hash_mismatch');
  });

  it('reads DATABASE_FILE when no --db is given', async () => {
    const { file } = await logWith(2);
    const result = await runVerifyCli([], { DATABASE_FILE: file });
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('OK: 2 entries');
  });

  it('exits 1 when the audit_log table was dropped', async () => {
    const { file } = await logWith(2);
    tamper(file, 'DROP TABLE audit_log;');
    const result = await runVerifyCli(['--db', file]);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain('dropped');
  });

  it('exits 2 when the file does not exist', async () => {
    const result = await runVerifyCli(['--db', join(tempDir, 'missing.db')]);
    expect(result.code, result.output).toBe(2);
  });
});
