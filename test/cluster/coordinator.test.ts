import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterCoordinator, fairShare } from '../../server/src/cluster/coordinator';
import { waitFor } from '../helpers/server';

// Leases against the machine's Redis: how partitions spread, move on a clean stop, and are let
// go when Redis cannot be reached (another node may hold them by then).

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const LEASE_MS = 1000;

interface Node {
  coordinator: ClusterCoordinator;
  redis: Redis;
  gained: number[];
  lost: number[];
  leader: boolean;
}

const started: Node[] = [];
afterEach(async () => {
  for (const n of started.splice(0)) {
    await n.coordinator.stop().catch(() => undefined);
    n.redis.disconnect();
  }
});

function node(prefix: string, nodeId: string, partitions: number): Node {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  const n: Node = {
    redis,
    gained: [],
    lost: [],
    leader: false,
    coordinator: null as unknown as ClusterCoordinator,
  };
  n.coordinator = new ClusterCoordinator(
    { redis, prefix, nodeId, partitions, leaseMs: LEASE_MS, tickMs: LEASE_MS / 5 },
    {
      gained: async (p) => void n.gained.push(p),
      lost: async (p) => void n.lost.push(p),
      leader: async (is) => void (n.leader = is),
    },
  );
  started.push(n);
  return n;
}

const prefix = () => `cityops:test-${randomBytes(4).toString('hex')}:`;

describe('ClusterCoordinator', () => {
  it('shares partitions out evenly with one leader, and hands them over at once on a clean stop', async () => {
    const p = prefix();
    const a = node(p, 'a', 6);
    await a.coordinator.start();
    expect(a.coordinator.ownedPartitions()).toHaveLength(6);
    expect(a.leader).toBe(true);

    const b = node(p, 'b', 6);
    const c = node(p, 'c', 6);
    await b.coordinator.start();
    await c.coordinator.start();
    await waitFor(
      () => [a, b, c].every((n) => n.coordinator.ownedPartitions().length === fairShare(6, 3)),
      10_000,
      'two partitions each',
    );
    const all = [a, b, c].flatMap((n) => n.coordinator.ownedPartitions());
    expect(all.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect([a, b, c].filter((n) => n.leader)).toEqual([a]);

    // A clean stop releases at once (no lease of A is left to expire): the others hold everything
    // within a lease.
    await a.coordinator.stop();
    const holders = await b.redis.mget(
      ...[0, 1, 2, 3, 4, 5].map((x) => `${p}lease:p${x}`),
      `${p}lease:leader`,
    );
    expect(holders).not.toContain('a');
    await waitFor(
      () => [b, c].flatMap((n) => n.coordinator.ownedPartitions()).length === 6 && (b.leader || c.leader),
      LEASE_MS,
      'the partitions of the stopped node taken over',
    );
    // Everything it took (some handed back while the others joined) it gave up.
    expect([...a.lost].sort()).toEqual([...a.gained].sort());
  });

  it('lets its leases go when Redis is out of reach for a lease, while another node takes them', async () => {
    const p = prefix();
    const a = node(p, 'a', 4);
    await a.coordinator.start();
    expect(a.coordinator.ownedPartitions()).toHaveLength(4);
    const b = node(p, 'b', 4);
    await b.coordinator.start();

    // A's connection goes: its renewals fail. B finds the leases expired and takes them; A, not
    // having renewed for a lease, must have stopped acting on them by then.
    a.redis.disconnect();
    await waitFor(() => a.coordinator.ownedPartitions().length === 0 && !a.leader, 3 * LEASE_MS, 'A lets go');
    await waitFor(
      () => b.coordinator.ownedPartitions().length === 4 && b.leader,
      4 * LEASE_MS,
      'B holds all',
    );
    expect(a.lost.sort()).toEqual([0, 1, 2, 3].filter((x) => a.gained.includes(x)).sort());
  });
});
