import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import pg from 'pg';

/** A schema of its own in the test database, for one test file. */
export interface PgTestSchema {
  /** Schema name: `t_`, the test run (PG_TEST_RUN, see pgSchemas.globalSetup.ts), random hex. */
  name: string;
  /** Connection URL whose sessions use only this schema (search_path set in the startup packet). */
  url: string;
  /** Drop the schema and everything in it; close the pools on `url` first. */
  drop(): Promise<void>;
}

/**
 * The test server: TEST_PG_URL, else the local one. A URL without a user name connects as the
 * OS user, as psql does (node-postgres would otherwise take $USER, which may be unset).
 */
function baseUrl(): URL {
  const url = new URL(process.env.TEST_PG_URL ?? 'postgres://127.0.0.1:5432/test');
  if (!url.username) url.username = process.env.PGUSER ?? userInfo().username;
  return url;
}

async function run(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Create an empty schema so that test files (and parallel workers) never see each other's rows;
 * its URL passes `-c search_path=<schema>` as the connection's `options`.
 */
export async function freshPgSchema(): Promise<PgTestSchema> {
  const base = baseUrl();
  const name = `t_${process.env.PG_TEST_RUN ?? 'solo'}_${randomBytes(6).toString('hex')}`;
  await run(base.href, `CREATE SCHEMA ${name}`);
  const url = new URL(base.href);
  url.searchParams.set('options', `-c search_path=${name}`);
  return {
    name,
    url: url.href,
    drop: () => run(base.href, `DROP SCHEMA IF EXISTS ${name} CASCADE`),
  };
}

/** Drop every schema of one test run (`t_<run>_…`), whatever its tests left. */
export async function dropRunSchemas(run: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl().href });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT schema_name AS name FROM information_schema.schemata WHERE starts_with(schema_name, $1)`,
      [`t_${run}_`],
    );
    for (const { name } of rows) await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  } finally {
    await client.end();
  }
}
