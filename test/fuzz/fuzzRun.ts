import { join } from 'node:path';
import type { Parameters } from 'fast-check';
import { expect } from 'vitest';
import { SqliteAuditRepository } from '../../server/src/persistence/sqlite/audit.repository';
import { openDatabase } from '../../server/src/persistence/sqlite/database';
import { AuditService } from '../../server/src/services/audit.service';
import type { HttpRefusals } from '../../shared/schemas/httpRefusals.schema';
import { countsAdded, httpRefusals } from '../helpers/cityOpsApi';
import { POLLUTION_MARK } from './hostile';

/**
 * How the fuzz tests run (docs/SECURITY.md, "Hostile input"):
 *
 * - `FUZZ_RUNS`: runs per property. Unset, each property runs its small default, so
 *   that `npm test` stays short; `npm run test:fuzz` sets 2,000.
 * - `FUZZ_SEED`: an integer replays a run; `random` draws a new seed (printed).
 *   Unset, the seed is fixed, so `npm test` is deterministic.
 * - `FUZZ_PATH`: with FUZZ_SEED, replays exactly the failing case fast-check printed.
 */
export const DEFAULT_SEED = 20_261_121;

function envSeed(name: string): number {
  const raw = process.env['FUZZ_SEED'];
  if (raw === undefined || raw === '') return DEFAULT_SEED;
  if (raw === 'random') {
    const seed = Math.floor(Math.random() * 0x7fffffff);
    console.log(`[fuzz] ${name}: FUZZ_SEED=${seed}`);
    return seed;
  }
  const seed = Number(raw);
  if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer or "random", not ${raw}`);
  return seed;
}

/** Runs per property: FUZZ_RUNS, else `defaultRuns`. */
export function fuzzRuns(defaultRuns: number): number {
  const raw = process.env['FUZZ_RUNS'];
  if (raw === undefined || raw === '') return defaultRuns;
  const runs = Number(raw);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`FUZZ_RUNS must be a positive integer, not ${raw}`);
  return runs;
}

/** fast-check parameters of one property: runs, seed and replay path from the environment. */
export function fuzzParameters<T>(name: string, defaultRuns: number, examples: T[] = []): Parameters<T> {
  const path = process.env['FUZZ_PATH'];
  return {
    numRuns: fuzzRuns(defaultRuns),
    seed: envSeed(name),
    ...(path ? { path } : {}),
    examples,
  };
}

/** A vitest timeout for a property of `defaultRuns` runs at about `msPerRun` each (longer runs scale). */
export function fuzzTimeout(defaultRuns: number, msPerRun: number): number {
  return Math.max(60_000, fuzzRuns(defaultRuns) * msPerRun * 3);
}

const PROTOTYPES = {
  Object: Object.prototype,
  Array: Array.prototype,
  Function: Function.prototype,
  String: String.prototype,
  Number: Number.prototype,
} as const;

/**
 * Object.prototype and friends as they are now. The test servers run in the test
 * process, so a pollution by any request would show here.
 */
export function prototypeSnapshot(): () => void {
  const names = Object.fromEntries(
    Object.entries(PROTOTYPES).map(([k, proto]) => [k, Reflect.ownKeys(proto).map(String).sort()]),
  );
  return () => {
    const probe: Record<string, unknown> = {};
    expect(probe[POLLUTION_MARK], 'Object.prototype.polluted').toBeUndefined();
    expect(([] as unknown as Record<string, unknown>)[POLLUTION_MARK]).toBeUndefined();
    expect(Object.getPrototypeOf(Object.prototype)).toBeNull();
    for (const key in probe) throw new Error(`Object.prototype gained the enumerable key ${key}`);
    for (const [k, proto] of Object.entries(PROTOTYPES)) {
      expect(Reflect.ownKeys(proto).map(String).sort(), `${k}.prototype`).toEqual(names[k]);
    }
  };
}

/** The server answers its health check, ready, within 10 s. */
export async function expectAlive(url: string): Promise<void> {
  const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(10_000) });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: 'ok', ready: true });
}

/**
 * What a batch of hostile requests must leave as it was: the server answers ready,
 * no prototype changed, and the audit log's hash chain still verifies.
 */
export async function expectUnharmed(
  server: { url: string; dir: string },
  prototypeUnchanged: () => void,
): Promise<void> {
  await expectAlive(server.url);
  prototypeUnchanged();
  await expectAuditChainIntact(server.dir);
}

/** Count one answer of a fuzz run in a tally (status or reason → how many). */
export function tally<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/**
 * The server counted every refusal the run saw (GET /api/v1/http/refusals, since `before`): by
 * status, and by reason (the error body's code) where the run read them. Valid only when every
 * other request between the two snapshots succeeded.
 */
export async function expectRefusalsCounted(
  url: string,
  before: HttpRefusals,
  statuses: ReadonlyMap<number, number>,
  reasons?: ReadonlyMap<string, number>,
): Promise<void> {
  const after = await httpRefusals(url);
  const refused = [...statuses].filter(([status]) => status >= 400);
  expect(countsAdded(before.byStatus, after.byStatus), 'refusals counted by status').toEqual(
    Object.fromEntries(refused.map(([status, n]) => [String(status), n])),
  );
  if (reasons) {
    expect(countsAdded(before.byReason, after.byReason), 'refusals counted by reason').toEqual(
      Object.fromEntries(reasons),
    );
  }
}

/** Reject after `ms` so that a hang fails the property instead of the whole test file. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms (hang?)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The audit log of a test server's database still verifies (hostile input must not break the hash chain). */
export async function expectAuditChainIntact(dir: string): Promise<void> {
  const db = openDatabase(join(dir, 'cityops.db'), { synchronous: 'NORMAL', readonly: true });
  try {
    const verdict = await new AuditService({ repo: new SqliteAuditRepository(db), clock: Date.now }).verify();
    expect(verdict, 'audit chain').toMatchObject({ ok: true });
  } finally {
    db.close();
  }
}

/**
 * A URL path segment for any string: its UTF-8 bytes percent-encoded (a lone surrogate
 * goes as U+FFFD's bytes, as a browser would send it), or `raw` text sent as is.
 */
export function pathSegment(s: string | { raw: string }): string {
  if (typeof s !== 'string') return s.raw;
  return [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, '0').toUpperCase()}`,
    )
    .join('');
}

/** Percent sequences that do not decode to UTF-8 text. */
export const BAD_PERCENT = ['%', '%zz', '%ff', '%e0%a4%a', '%ed%a0%80', '%00', '%2e%2e%2f', '..'] as const;
