import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Sensor } from '../../shared/schemas/sensor.schema';
import type { ClusterStatus } from '../../shared/schemas/cluster.schema';
import { runLoad, type LoadStats } from '../../simulators/src/load/loadGenerator';
import { Mosquitto } from '../faults/faultKit';
import { deviceFor, testPassword, tokenFor } from '../helpers/auth';
import { freshPgSchema, type PgTestSchema } from '../helpers/pgSchema';
import { procDelta, sampleProc, type ProcSample } from './procStats';
import { freePort, startServerProcess, type ServerProcess } from './serverProcess';
import { markdownTable, num } from './table';

/**
 * Scale-out rows (issue 9): what one node sustains on SQLite and on PostgreSQL (embedded broker,
 * the broker's PUBACK after the store's commit), then clusters of 1, 2 and 3 nodes on PostgreSQL,
 * Redis and a Mosquitto of the bench, fed on the partitions' topics. A cluster's throughput is
 * what reached the database per second while the load ran (the broker acknowledges devices at
 * once, so the platform's rate is read from the store, not from the publisher).
 */
export const CLUSTER_PLAN = {
  seconds: 15,
  /** Readings per message: a gateway's batch (in a cluster, per partition: a gateway batches each partition's sensors). */
  batch: 500,
  partitions: 12,
  leaseMs: 3000,
  /** Offered to a single node: far above what it takes (the generator keeps ≤ 64 messages in flight). */
  singleOfferedPerSec: 400_000,
  /** Offered to a cluster, as a multiple of what one PostgreSQL node sustained in this run. */
  clusterOverload: 2.5,
} as const;

export interface ClusterRow {
  title: string;
  nodes: number;
  store: 'sqlite' | 'postgresql';
  broker: 'embedded' | 'mosquitto';
  /** Readings per second the platform stored (single node: acknowledged after commit). */
  readingsPerSec: number;
  offeredPerSec: number;
  /** CPU of each node, % of one core. */
  nodeCpuPct: number[];
  /** CPU of Mosquitto and of this load generator, % of one core. */
  brokerCpuPct: number | null;
  benchCpuPct: number;
  /** CPU of everything else on the machine (PostgreSQL, Redis), % of one core. */
  restCpuPct: number;
  /** Nodes' CPU per 1,000 readings/s stored, % of one core. */
  cpuPer1k: number;
  notes: string[];
}

type Log = (text: string) => void;

async function countReadings(client: pg.Client): Promise<number> {
  return (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM readings')).rows[0]!.n;
}

async function sensorsOf(url: string): Promise<Sensor[]> {
  const res = await fetch(`${url}/api/v1/sensors?limit=5000`, {
    headers: { authorization: `Bearer ${tokenFor(url) ?? ''}` },
  });
  return ((await res.json()) as { items: Sensor[] }).items;
}

/** One node with its embedded broker: the platform's PUBACK follows the commit, so acknowledged/s is its rate. */
async function singleNode(
  repoRoot: string,
  store: 'sqlite' | 'postgresql',
  seconds: number,
  log: Log,
): Promise<ClusterRow> {
  let schema: PgTestSchema | null = null;
  if (store === 'postgresql') schema = await freshPgSchema();
  const server = await startServerProcess({
    repoRoot,
    env: schema ? { DATABASE_URL: schema.url } : {},
  });
  try {
    const sensors = await sensorsOf(server.url);
    const device = deviceFor(server.mqttUrl)!;
    const before = sampleProc(server.pid);
    const stats = await runLoad({
      url: server.mqttUrl,
      key: device.apiKey,
      gateway: device.gatewayId,
      sensors,
      rate: CLUSTER_PLAN.singleOfferedPerSec,
      durationSec: seconds,
      mode: 'batched',
      batch: CLUSTER_PLAN.batch,
      maxInFlight: 64,
    });
    const cpu = procDelta(before, sampleProc(server.pid));
    const rate = stats.acknowledged / (stats.elapsedMs / 1000);
    log(`  1 node, ${store}: ${num(rate)} readings/s\n`);
    return {
      title: `1 node, ${store === 'sqlite' ? 'SQLite' : 'PostgreSQL'}, embedded broker`,
      nodes: 1,
      store,
      broker: 'embedded',
      readingsPerSec: rate,
      offeredPerSec: CLUSTER_PLAN.singleOfferedPerSec,
      nodeCpuPct: [cpu.cpuPct],
      brokerCpuPct: null,
      benchCpuPct: cpu.benchPct,
      restCpuPct: cpu.othersPct,
      cpuPer1k: cpu.cpuPct / (rate / 1000),
      notes: stats.failed > 0 ? [`${stats.failed} readings failed`] : [],
    };
  } finally {
    await server.stop();
    await schema?.drop();
  }
}

/** N nodes on PostgreSQL, Redis and a Mosquitto of the bench, fed on the partitions' topics. */
async function cluster(
  repoRoot: string,
  nodes: number,
  offeredPerSec: number,
  seconds: number,
  log: Log,
): Promise<ClusterRow> {
  const schema = await freshPgSchema();
  const dir = mkdtempSync(join(tmpdir(), 'cityops-bench-cluster-'));
  const mosquitto = new Mosquitto(await freePort(), join(dir, 'mosquitto'));
  await mosquitto.start();
  const servers: ServerProcess[] = [];
  const client = new pg.Client({ connectionString: schema.url });
  await client.connect();
  try {
    const env = {
      DATABASE_URL: schema.url,
      REDIS_URL: process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      MQTT_URL: mosquitto.url,
      MQTT_CLIENT_ID: `bench-${randomBytes(3).toString('hex')}`,
      CLUSTER_NAME: `bench-${randomBytes(4).toString('hex')}`,
      CLUSTER_PARTITIONS: String(CLUSTER_PLAN.partitions),
      CLUSTER_LEASE_MS: String(CLUSTER_PLAN.leaseMs),
    };
    const adminPassword = testPassword();
    for (let i = 0; i < nodes; i++)
      servers.push(
        await startServerProcess({ repoRoot, adminPassword, env: { ...env, NODE_ID: `bench-${i + 1}` } }),
      );
    // Wait for the partitions to spread (each node its share).
    const share = Math.floor(CLUSTER_PLAN.partitions / nodes);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const status = await Promise.all(
        servers.map(async (s) => {
          const res = await fetch(`${s.url}/api/v1/cluster`, {
            headers: { authorization: `Bearer ${tokenFor(s.url) ?? ''}` },
          });
          return (await res.json()) as ClusterStatus;
        }),
      );
      const owned = status.flatMap((s) => s.owned);
      if (new Set(owned).size === CLUSTER_PLAN.partitions && status.every((s) => s.owned.length >= share))
        break;
      if (Date.now() > deadline)
        throw new Error(`partitions never spread: ${JSON.stringify(status.map((s) => s.owned))}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const sensors = await sensorsOf(servers[0]!.url);
    const before = servers.map((s) => sampleProc(s.pid));
    const brokerBefore = mosquitto.pid ? sampleProc(mosquitto.pid) : null;
    const storedBefore = await countReadings(client);
    const started = Date.now();
    const stats: LoadStats = await runLoad({
      url: mosquitto.url,
      key: 'bench.anonymous',
      gateway: 'bench-cluster',
      sensors,
      rate: offeredPerSec,
      durationSec: seconds,
      mode: 'batched',
      // Split per partition, each message still holds about a gateway's batch.
      batch: CLUSTER_PLAN.batch * CLUSTER_PLAN.partitions,
      maxInFlight: 64,
      partitions: CLUSTER_PLAN.partitions,
    });
    // What the platform stored while the load ran (the rest waits in the broker's sessions).
    const storedDuring = (await countReadings(client)) - storedBefore;
    const elapsedSec = (Date.now() - started) / 1000;
    const cpu: ProcSample[] = servers.map((s) => sampleProc(s.pid));
    const deltas = before.map((b, i) => procDelta(b, cpu[i]!));
    const broker = brokerBefore && mosquitto.pid ? procDelta(brokerBefore, sampleProc(mosquitto.pid)) : null;
    const rate = storedDuring / elapsedSec;
    const nodeCpu = deltas.map((d) => d.cpuPct);
    log(
      `  ${nodes} node${nodes > 1 ? 's' : ''}, cluster: ${num(rate)} readings/s stored (offered ${num(offeredPerSec)}/s)\n`,
    );
    return {
      title: `${nodes} node${nodes > 1 ? 's' : ''}, PostgreSQL + Redis + Mosquitto`,
      nodes,
      store: 'postgresql',
      broker: 'mosquitto',
      readingsPerSec: rate,
      offeredPerSec,
      nodeCpuPct: nodeCpu,
      brokerCpuPct: broker?.cpuPct ?? null,
      benchCpuPct: deltas[0]!.benchPct,
      // "Others" of the first node less the other nodes and the broker: PostgreSQL, Redis, the OS.
      restCpuPct: Math.max(
        0,
        deltas[0]!.othersPct - nodeCpu.slice(1).reduce((a, b) => a + b, 0) - (broker?.cpuPct ?? 0),
      ),
      cpuPer1k: nodeCpu.reduce((a, b) => a + b, 0) / (rate / 1000),
      notes: [
        `${num(stats.acknowledged)} acknowledged by the broker, ${num(stats.behind)} behind`,
        ...(stats.failed > 0 ? [`${stats.failed} failed`] : []),
      ],
    };
  } finally {
    await client.end();
    for (const s of servers) await s.stop();
    await mosquitto.stop();
    await schema.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runClusterSection(
  repoRoot: string,
  log: Log,
  seconds = CLUSTER_PLAN.seconds,
): Promise<ClusterRow[]> {
  const rows: ClusterRow[] = [];
  rows.push(await singleNode(repoRoot, 'sqlite', seconds, log));
  const pgNode = await singleNode(repoRoot, 'postgresql', seconds, log);
  rows.push(pgNode);
  const offered = Math.round(pgNode.readingsPerSec * CLUSTER_PLAN.clusterOverload);
  for (const n of [1, 2, 3]) rows.push(await cluster(repoRoot, n, offered, seconds, log));
  return rows;
}

export function clusterTable(rows: readonly ClusterRow[]): string {
  const single = rows.find((r) => r.broker === 'mosquitto' && r.nodes === 1)?.readingsPerSec;
  return markdownTable(
    [
      'Setup',
      'Readings/s',
      'vs 1 node',
      'Node CPU (% of a core)',
      'PostgreSQL + Redis + OS CPU',
      'Mosquitto / bench CPU',
      'Node CPU per 1k/s',
      'Notes',
    ],
    rows.map((r) => [
      r.title,
      num(r.readingsPerSec),
      r.broker === 'mosquitto' && single ? `${num(r.readingsPerSec / single, 2)}×` : '—',
      r.nodeCpuPct.map((c) => num(c)).join(' + '),
      num(r.restCpuPct),
      `${r.brokerCpuPct === null ? '—' : num(r.brokerCpuPct)} / ${num(r.benchCpuPct)}`,
      `${num(r.cpuPer1k, 1)} %`,
      r.notes.join('; '),
    ]),
  );
}

export function clusterLegend(): string {
  return (
    `Every process shares this machine's cores: nodes, PostgreSQL, Redis, Mosquitto and the load generator. ` +
    `One-node rows are closed loop on the embedded broker (acknowledged after commit). Cluster rows are offered ` +
    `${CLUSTER_PLAN.clusterOverload}× what one PostgreSQL node took, on ${CLUSTER_PLAN.partitions} partitions' topics, ` +
    `and count rows reaching the database during the ${CLUSTER_PLAN.seconds} s load. More nodes on the same two ` +
    `cores cannot add cores: these rows show the per-node cost and that a cluster keeps working, not scaling.`
  );
}
