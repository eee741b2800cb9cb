import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/schemas/alert.schema';
import type { ClusterStatus } from '../../shared/schemas/cluster.schema';
import type { ReadingsBatch } from '../../shared/schemas/live.schema';
import { partitionOf } from '../../shared/domain/partition';
import { listSensors, postReadings } from '../helpers/cityOpsApi';
import { getAs, requestAs } from '../helpers/accessActors';
import { freshPgSchema, type PgTestSchema } from '../helpers/pgSchema';
import { connectClient, startTestServer, waitFor, type TestServer, type TestSocket } from '../helpers/server';

// Two CityOps nodes in this process on one PostgreSQL schema and one Redis (the machine's),
// as a cluster: partitions split between them, one leader, dashboards on either node hearing
// every node's alerts once, and readings stored on one node reaching the other's dashboards.

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PARTITIONS = 4;

let schema: PgTestSchema;
const nodes: TestServer[] = [];

async function statusOf(node: TestServer): Promise<ClusterStatus> {
  const res = await getAs(node.url, '/api/v1/cluster', node.token);
  expect(res.status, res.text).toBe(200);
  return res.body as ClusterStatus;
}

beforeAll(async () => {
  schema = await freshPgSchema();
  const folder = mkdtempSync(join(tmpdir(), 'cityops-cluster-'));
  const env = {
    DATABASE_URL: schema.url,
    REDIS_URL,
    CLUSTER_NAME: `test-${randomBytes(4).toString('hex')}`,
    CLUSTER_PARTITIONS: String(PARTITIONS),
    CLUSTER_LEASE_MS: '1500',
    // Red alerts escalate after a second, checked five times a second on both nodes.
    ESCALATE_RED_AFTER_S: '1',
    RULE_TICK_MS: '200',
  };
  // One after the other: the first start creates the shared administrator the second signs in as.
  nodes.push(await startTestServer({ ...env, NODE_ID: 'node-a' }, folder));
  nodes.push(await startTestServer({ ...env, NODE_ID: 'node-b' }, folder));
  // The first node took every partition; it hands half back to the second within a few rounds.
  await waitFor(
    async () => {
      const [a, b] = await Promise.all(nodes.map(statusOf));
      return (
        a!.owned.length === PARTITIONS / 2 && b!.owned.length === PARTITIONS / 2 && a!.leader !== b!.leader
      );
    },
    20_000,
    'the partitions split between the two nodes',
  );
}, 60_000);

afterAll(async () => {
  for (const n of nodes) await n.stop();
  await nodes[0]?.cleanup();
  await schema?.drop();
});

/** A dashboard on every node, each keeping the raised alerts that `keep` selects, in order. */
async function alertsOnEveryNode(keep: (alert: Alert) => boolean) {
  const dashboards: TestSocket[] = [];
  const heard: Alert[][] = [];
  for (const n of nodes) {
    const { socket } = await connectClient(n.url, undefined, { token: n.token });
    const mine: Alert[] = [];
    socket.on('alert:raised', (alert) => keep(alert) && mine.push(alert));
    dashboards.push(socket);
    heard.push(mine);
  }
  return { dashboards, heard };
}

describe('two nodes on PostgreSQL and Redis', () => {
  it("delivers each node's alerts to the other node's dashboard after the cluster sat idle for seconds", async () => {
    // First in the file, so nothing else has gone through the adapter's stream yet. Idle longer
    // than a Redis command may take (a third of the lease): the adapter's blocking reads must wait
    // it out, not be cut short with their reply (the next message) thrown away — a reader cut
    // short every 500 ms lost every message while it had not yet read one.
    const { dashboards, heard } = await alertsOnEveryNode(() => true);
    try {
      const lamps = (await listSensors(nodes[0]!.url, { kind: 'grid-event' }))
        .filter((s) => s.subtype === 'streetlight')
        .slice(0, 2);
      for (const [i, lamp] of lamps.entries()) {
        await new Promise((r) => setTimeout(r, 2500));
        const result = await postReadings(nodes[i]!.url, [
          { sensorId: lamp.id, observedAt: Date.now(), values: { lampOn: 0, lampFault: 1 } },
        ]);
        expect(result.accepted).toBe(1);
        await waitFor(
          () => heard.every((h) => h.some((a) => a.subject.id === lamp.id)),
          5000,
          `the alert of ${lamp.id}, posted to node ${i}, on both dashboards`,
        );
      }
    } finally {
      for (const s of dashboards) s.close();
    }
  });

  it('splits the partitions: every one held by exactly one node, one leader', async () => {
    const [a, b] = await Promise.all(nodes.map(statusOf));
    expect([...a!.owned, ...b!.owned].sort()).toEqual([0, 1, 2, 3]);
    expect([a!.leader, b!.leader].filter(Boolean)).toHaveLength(1);
    expect(a!.liveNodes.sort()).toEqual(['node-a', 'node-b']);
    // The stream readers waited through idle seconds without a single failed read.
    expect([a!.bus?.readErrors, b!.bus?.readErrors]).toEqual([0, 0]);
  });

  it("raises one alert for a breach sent to the node that does not own the sensor, and every node's dashboard hears it once", async () => {
    const [a] = nodes;
    const smoke = (await listSensors(a!.url, { kind: 'grid-event' })).find((s) => s.subtype === 'smoke')!;
    const owner = (await Promise.all(nodes.map(statusOf))).findIndex((s) =>
      s.owned.includes(partitionOf(smoke.id, PARTITIONS)),
    );
    const other = nodes[1 - owner]!;
    const { dashboards, heard } = await alertsOnEveryNode((alert) => alert.subject.id === smoke.id);
    try {
      const result = await postReadings(other.url, [
        { sensorId: smoke.id, observedAt: Date.now(), values: { smoke: 20 } },
      ]);
      expect(result.accepted).toBe(1);
      await waitFor(() => heard.every((h) => h.length >= 1), 10_000, 'the alert on both dashboards');
      // A little longer: a second copy would have arrived by now.
      await new Promise((r) => setTimeout(r, 500));
      expect(heard.map((h) => h.length)).toEqual([1, 1]);
      expect(heard[0]![0]!.id).toBe(heard[1]![0]!.id);
      const stored = await getAs(other.url, `/api/v1/alerts?subjectId=${smoke.id}`, other.token);
      expect((stored.body as { items: Alert[] }).items).toHaveLength(1);

      // An operator on the node that does not judge the sensor acknowledges it: both hear it once.
      const updates: number[] = [0, 0];
      dashboards.forEach((s, i) =>
        s.on('alert:updated', (alert) => {
          if (alert.id === heard[0]![0]!.id && alert.state === 'acknowledged') updates[i]! += 1;
        }),
      );
      const acked = await requestAs(
        other.url,
        `/api/v1/alerts/${heard[0]![0]!.id}/acknowledge`,
        other.token,
        {
          method: 'POST',
          body: { comment: '已到场核实' },
        },
      );
      expect(acked.status, acked.text).toBe(200);
      await waitFor(() => updates.every((n) => n >= 1), 10_000, 'the acknowledgement on both dashboards');
      await new Promise((r) => setTimeout(r, 300));
      expect(updates).toEqual([1, 1]);
    } finally {
      for (const s of dashboards) s.disconnect();
    }
  });

  it("shows readings stored by one node on the other node's dashboards", async () => {
    const [a, b] = nodes;
    const station = (await listSensors(a!.url, { kind: 'air' }))[0]!;
    const { socket } = await connectClient(b!.url, undefined, { token: b!.token });
    try {
      const seen = new Promise<ReadingsBatch>((resolve) =>
        socket.on('readings:batch', (batch) => {
          if (batch.items.some((r) => r.sensorId === station.id && r.values['pm25'] === 42.5)) resolve(batch);
        }),
      );
      await postReadings(a!.url, [{ sensorId: station.id, observedAt: Date.now(), values: { pm25: 42.5 } }]);
      await expect(
        Promise.race([seen, new Promise((_, rej) => setTimeout(() => rej(new Error('no batch')), 10_000))]),
      ).resolves.toBeTruthy();
    } finally {
      socket.disconnect();
    }
  });

  it('recovers a briefly dropped dashboard through the Redis adapter, replaying an alert raised meanwhile', async () => {
    const [a, b] = nodes;
    const smoke = (await listSensors(a!.url, { kind: 'grid-event' })).filter(
      (s) => s.subtype === 'smoke',
    )[1]!;
    const { socket } = await connectClient(b!.url, undefined, { token: b!.token, reconnection: true });
    try {
      socket.io.reconnectionDelay(1500).reconnectionDelayMax(1500).randomizationFactor(0);
      const raised: Alert[] = [];
      socket.on('alert:raised', (alert) => alert.subject.id === smoke.id && raised.push(alert));
      const back = new Promise<void>((resolve) =>
        socket.once('disconnect', () => socket.once('connect', () => resolve())),
      );
      socket.io.engine.close();
      await waitFor(() => !socket.connected, 5_000, 'the drop');
      // Raised while the dashboard is away, on the other node.
      await postReadings(a!.url, [{ sensorId: smoke.id, observedAt: Date.now(), values: { smoke: 30 } }]);
      await waitFor(
        async () =>
          ((await getAs(a!.url, `/api/v1/alerts?subjectId=${smoke.id}`, a!.token)).body as { items: Alert[] })
            .items.length === 1,
        10_000,
        'the alert stored',
      );
      expect(socket.connected).toBe(false);
      await back;
      expect(socket.recovered).toBe(true);
      await waitFor(() => raised.length >= 1, 5_000, 'the missed alert replayed');
      expect(raised).toHaveLength(1);
    } finally {
      socket.disconnect();
    }
  });

  it('escalates an unacknowledged red alert once, though both nodes tick', async () => {
    const [a, b] = nodes;
    const smoke = (await listSensors(a!.url, { kind: 'grid-event' })).filter(
      (s) => s.subtype === 'smoke',
    )[2]!;
    await postReadings(b!.url, [{ sensorId: smoke.id, observedAt: Date.now(), values: { smoke: 25 } }]);
    const alert = await waitFor(
      async () =>
        ((await getAs(a!.url, `/api/v1/alerts?subjectId=${smoke.id}`, a!.token)).body as { items: Alert[] })
          .items[0],
      10_000,
      'the alert stored',
    );
    expect(alert.severity).toBe('red');
    type Detail = { alert: Alert; events: Array<{ type: string }> };
    const escalated = await waitFor(
      async () => {
        const detail = (await getAs(b!.url, `/api/v1/alerts/${alert.id}`, b!.token)).body as Detail;
        return detail.alert.escalatedAt !== undefined ? detail : undefined;
      },
      10_000,
      'the escalation',
    );
    // Ten more ticks of each node: still one escalation.
    await new Promise((r) => setTimeout(r, 2000));
    const detail = (await getAs(a!.url, `/api/v1/alerts/${alert.id}`, a!.token)).body as Detail;
    expect(detail.events.filter((e) => e.type === 'escalated')).toHaveLength(1);
    expect(detail.alert.escalatedAt).toBe(escalated.alert.escalatedAt);
  });
});
