import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { openPool, query } from '../../../server/src/persistence/postgres/database';
import { openDatabase } from '../../../server/src/persistence/sqlite/database';
import type { AuditEntry, AuditPage } from '../../../shared/schemas/audit.schema';
import type { User } from '../../../shared/schemas/auth.schema';
import { createActor, createUser, getAs, requestAs } from '../../helpers/accessActors';
import { rawFetch, signIn } from '../../helpers/auth';
import { onPostgres, startTestServer, type TestServer } from '../../helpers/server';

/**
 * The audit trail of identity actions as an admin reads it over HTTP, and
 * the chain check of `npm run audit:verify` on the file the server leaves.
 */
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const WRONG_PASSWORD = 'not-the-password-1';

/** Run `npm run audit:verify`'s script as its own process; resolves with its exit code and all it printed. */
async function auditVerify(target: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'server/scripts/auditVerify.ts',
      target.startsWith('postgres') ? '--url' : '--db',
      target,
    ],
    {
      cwd: REPO_ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, output };
}

describe('audit trail of sign-in and user management', () => {
  let server: TestServer;
  let stopped = false;
  let user: User;
  let userPassword: string;
  let userToken: string;
  /** Entries about the user (by id, or by username for a failed sign-in), newest first. */
  let trail: AuditEntry[];
  /** Everything GET /api/v1/audit answered, as sent. */
  let auditText: string;

  beforeAll(async () => {
    server = await startTestServer();
    ({ user, password: userPassword } = await createUser(server.url, {
      role: 'operator',
      displayName: '李明',
    }));
    userToken = await signIn(server.url, user.username, userPassword);
    const failed = await rawFetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'audit-trail-test' },
      body: JSON.stringify({ username: user.username, password: WRONG_PASSWORD }),
    });
    expect(failed.status).toBe(401);
    const patched = await requestAs(server.url, `/api/v1/users/${user.id}`, server.token, {
      method: 'PATCH',
      body: { role: 'engineer' },
    });
    expect(patched.status, patched.text).toBe(200);
    const revoked = await requestAs(server.url, `/api/v1/users/${user.id}/revoke-sessions`, server.token, {
      method: 'POST',
    });
    expect(revoked.status, revoked.text).toBe(200);

    const answer = await getAs<AuditPage>(server.url, '/api/v1/audit?limit=1000', server.token);
    expect(answer.status, answer.text).toBe(200);
    auditText = answer.text;
    trail = answer.body.items.filter((e) => e.target?.id === user.id || e.target?.id === user.username);
  });

  afterAll(async () => {
    if (!stopped) await server?.stop();
    server?.cleanup();
  });

  it('lists the creation, sign-in, failed sign-in, role change and revocation, newest first', () => {
    expect(trail.map((e) => e.action)).toEqual([
      'user.sessions.revoke',
      'user.update',
      'auth.loginFailed',
      'auth.login',
      'user.create',
    ]);
    const seqs = trail.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
  });

  it('names the actor and target of each entry and its origin over HTTP', () => {
    const admin = expect.objectContaining({ type: 'user', role: 'admin' });
    const byAction = new Map(trail.map((e) => [e.action, e]));
    expect(byAction.get('user.create')).toMatchObject({
      actor: admin,
      target: { type: 'user', id: user.id },
      after: { username: user.username, role: 'operator' },
    });
    expect(byAction.get('auth.login')).toMatchObject({
      actor: { type: 'user', id: user.id, role: 'operator' },
      target: { type: 'user', id: user.id },
    });
    expect(byAction.get('auth.loginFailed')).toMatchObject({
      actor: { type: 'system', id: 'auth' },
      target: { type: 'username', id: user.username },
      origin: { userAgent: 'audit-trail-test' },
    });
    expect(byAction.get('user.update')).toMatchObject({
      actor: admin,
      target: { type: 'user', id: user.id },
      before: { role: 'operator' },
      after: { role: 'engineer' },
    });
    expect(byAction.get('user.sessions.revoke')).toMatchObject({
      actor: admin,
      target: { type: 'user', id: user.id },
    });
    for (const e of trail) {
      expect(e.origin.via, e.action).toBe('http');
      expect(typeof e.origin.ip, e.action).toBe('string');
    }
  });

  it('keeps no password or session token in any entry', () => {
    for (const secret of [userPassword, WRONG_PASSWORD, server.admin.password, server.token, userToken]) {
      expect(auditText.includes(secret)).toBe(false);
    }
    expect(auditText).not.toMatch(/scrypt\$/);
  });

  it('refuses the audit log to a viewer with 403', async () => {
    const viewer = await createActor(server.url, { role: 'viewer' });
    expect((await getAs(server.url, '/api/v1/audit', viewer.token)).status).toBe(403);
  });

  describe('npm run audit:verify on the database of the stopped server', () => {
    let dbFile: string;

    beforeAll(async () => {
      stopped = true;
      await server.stop();
      dbFile = server.config.DATABASE_URL ?? join(server.dir, 'cityops.db');
    });

    it('exits 0 and reports OK for the log as the server left it', async () => {
      const { code, output } = await auditVerify(dbFile);
      expect(code, output).toBe(0);
      expect(output).toMatch(/^audit log OK: \d+ entries/);
    });

    it('exits 1 naming the seq of a row altered after the triggers were dropped', async () => {
      const roleChange = trail.find((e) => e.action === 'user.update')!;
      // Rewrite history: the role change now reads as a promotion to admin.
      const rewrite = `UPDATE audit_log SET after_json = replace(after_json, '"engineer"', '"admin"') WHERE seq = ?`;
      let copy: string;
      if (onPostgres) {
        // In place, after the triggers are switched off; put back afterwards for the test above.
        copy = dbFile;
        const pool = openPool({ url: dbFile, max: 1 });
        try {
          await pool.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
          expect((await query(pool, rewrite, [roleChange.seq])).rowCount).toBe(1);
          onTestFinished(async () => {
            const undo = openPool({ url: dbFile, max: 1 });
            await query(undo, `UPDATE audit_log SET after_json = ? WHERE seq = ?`, [
              JSON.stringify(roleChange.after),
              roleChange.seq,
            ]);
            await undo.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
            await undo.end();
          });
        } finally {
          await pool.end();
        }
      } else {
        // A copy: the original stays intact for the test above, whatever the order.
        copy = join(server.dir, 'tampered.db');
        copyFileSync(dbFile, copy);
        for (const suffix of ['-wal', '-shm']) {
          if (existsSync(dbFile + suffix)) copyFileSync(dbFile + suffix, copy + suffix);
        }
        const db = openDatabase(copy, { synchronous: 'NORMAL' });
        try {
          db.exec('DROP TRIGGER audit_log_no_update');
          expect(db.prepare(rewrite).run(roleChange.seq).changes).toBe(1);
        } finally {
          db.close();
        }
      }

      const { code, output } = await auditVerify(copy);
      expect(code, output).toBe(1);
      expect(output).toContain(`seq ${roleChange.seq}`);
      expect(output).toContain('TAMPERED');
    });
  });
});
