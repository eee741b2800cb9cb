import type { Redis } from 'ioredis';
import { fnv1a } from '@shared/domain/partition';

/**
 * Leases in Redis: who owns which partition of the sensors, and which node is the leader (the
 * one that runs cluster-wide timers and area rules). A lease is a key holding the owner's node
 * id with a time to live; its owner renews it well before it expires. A node that dies stops
 * renewing, its leases expire after `leaseMs`, and the survivors take them over. Redis decides
 * every race (SET NX, compare-and-renew in Lua), so there is no consensus of our own.
 */

/** Renew only a lease we still hold (it may have expired and been taken meanwhile). */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
/** Release only a lease we hold. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface CoordinatorOptions {
  redis: Redis;
  /** Key prefix of this cluster (`cityops:<CLUSTER_NAME>:`). */
  prefix: string;
  nodeId: string;
  partitions: number;
  /** Lifetime of a lease and of a node's heartbeat, ms; failover takes up to this long. */
  leaseMs: number;
  /** How often leases are renewed and free ones claimed, ms (a fraction of leaseMs). */
  tickMs: number;
  clock?: () => number;
  onLog?: (level: 'info' | 'warn' | 'error', message: string, extra?: Record<string, unknown>) => void;
}

export interface CoordinatorListener {
  /** This node now owns `partition`: restore its state, then start taking its readings. */
  gained(partition: number): Promise<void>;
  /** This node no longer owns `partition` (released, or the lease was lost): stop at once. */
  lost(partition: number): Promise<void>;
  /** Leadership changed on this node (awaited on stop, before the lease is released). */
  leader(isLeader: boolean): Promise<void>;
}

/** The share of partitions one of `nodes` live nodes should hold (the rest hold one less). */
export function fairShare(partitions: number, nodes: number): number {
  return Math.ceil(partitions / Math.max(1, nodes));
}

export class ClusterCoordinator {
  private readonly owned = new Set<number>();
  private isLeader = false;
  private timer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private roundBusy = false;
  private stopped = false;
  /** When each partition was taken, for the failover report. */
  readonly takenAt = new Map<number, number>();
  /** When each held lease (partition, or -1 for the leader's) was last renewed: past a lease, it is gone. */
  private readonly renewedAt = new Map<number, number>();

  constructor(
    private readonly options: CoordinatorOptions,
    private readonly listener: CoordinatorListener,
  ) {}

  private key(name: string): string {
    return `${this.options.prefix}${name}`;
  }

  private get clock(): () => number {
    return this.options.clock ?? Date.now;
  }

  /** Partitions this node owns now. */
  ownedPartitions(): number[] {
    return [...this.owned].sort((a, b) => a - b);
  }

  owns(partition: number): boolean {
    return this.owned.has(partition);
  }

  get leader(): boolean {
    return this.isLeader;
  }

  /** Claim a first share and keep the leases; resolves after the first round. */
  async start(): Promise<void> {
    await this.round();
    this.timer = setInterval(() => {
      // A round still running (slow Redis or database) is not queued behind: the next tick retries.
      if (this.roundBusy) return;
      this.roundBusy = true;
      this.running = this.round().finally(() => (this.roundBusy = false));
    }, this.options.tickMs);
    // Independent of the rounds (which may hang on a blackholed Redis): a lease not renewed for
    // its whole length may be another node's by now, so this node stops acting on it.
    this.watchdog = setInterval(() => void this.expireUnrenewed(), this.options.tickMs);
  }

  /** Release every lease (a clean shutdown hands partitions over at once, not after expiry). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.watchdog) clearInterval(this.watchdog);
    await this.running;
    const { redis, nodeId } = this.options;
    // Each step on its own: with Redis gone the leases simply expire, but every state is saved.
    const quietly = async (what: string, step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (err) {
        this.options.onLog?.('warn', `stopping: ${what} failed`, { err: (err as Error).message });
      }
    };
    for (const p of this.ownedPartitions()) {
      await this.drop(p);
      await quietly(`releasing partition ${p}`, () =>
        redis.eval(RELEASE, 1, this.key(`lease:p${p}`), nodeId),
      );
    }
    if (this.isLeader) {
      this.isLeader = false;
      await quietly('handing over the leadership', () => this.listener.leader(false));
      await quietly('releasing the leadership', () =>
        redis.eval(RELEASE, 1, this.key('lease:leader'), nodeId),
      );
    }
    await quietly('leaving the node list', () => redis.zrem(this.key('nodes'), nodeId));
  }

  /** Live nodes: those whose heartbeat is younger than a lease. */
  async liveNodes(): Promise<string[]> {
    const now = this.clock();
    return this.options.redis.zrangebyscore(this.key('nodes'), now - this.options.leaseMs, '+inf');
  }

  private async drop(p: number): Promise<void> {
    if (!this.owned.delete(p)) return;
    this.takenAt.delete(p);
    this.renewedAt.delete(p);
    try {
      await this.listener.lost(p);
    } catch (err) {
      this.options.onLog?.('error', `releasing partition ${p} failed`, { err: (err as Error).message });
    }
  }

  /** One round: heartbeat, renew what we hold, claim free partitions up to our share, hand back extras. */
  private async round(): Promise<void> {
    if (this.stopped) return;
    const { redis, nodeId, partitions, leaseMs } = this.options;
    try {
      const now = this.clock();
      await redis.zadd(this.key('nodes'), now, nodeId);
      await redis.zremrangebyscore(this.key('nodes'), '-inf', now - 10 * leaseMs);

      // Renew; a lease that expired under us (a long pause) is gone: stop using it at once.
      for (const p of this.ownedPartitions()) {
        const kept = (await redis.eval(RENEW, 1, this.key(`lease:p${p}`), nodeId, leaseMs)) as number;
        if (kept !== 1) {
          this.options.onLog?.('warn', `lease of partition ${p} lost`, { nodeId });
          await this.drop(p);
        } else this.renewedAt.set(p, now);
      }
      await this.leadership();

      const share = fairShare(partitions, (await this.liveNodes()).length);
      // Above our share (a node joined): hand the highest partitions back, one per round.
      if (this.owned.size > share) {
        const p = Math.max(...this.owned);
        await this.drop(p);
        await redis.eval(RELEASE, 1, this.key(`lease:p${p}`), nodeId);
        this.options.onLog?.('info', `handed partition ${p} back`, { nodeId, share });
      }
      // Below our share: claim free partitions, starting at a node-specific offset so nodes
      // starting together do not all contend for partition 0 first.
      const offset = fnv1a(nodeId) % partitions;
      for (let i = 0; i < partitions && this.owned.size < share; i++) {
        const p = (offset + i) % partitions;
        if (this.owned.has(p)) continue;
        const got = await redis.set(this.key(`lease:p${p}`), nodeId, 'PX', leaseMs, 'NX');
        if (got !== 'OK') continue;
        this.owned.add(p);
        this.takenAt.set(p, this.clock());
        this.renewedAt.set(p, now);
        // Taking a partition up (restoring state, catching up, its MQTT session) may take longer
        // than a lease: it runs beside the rounds, which keep renewing every lease meanwhile.
        void this.listener.gained(p).catch(async (err: unknown) => {
          // Could not take it up: give it back so another node can.
          this.options.onLog?.('error', `taking partition ${p} failed`, { err: (err as Error).message });
          this.owned.delete(p);
          this.takenAt.delete(p);
          await redis.eval(RELEASE, 1, this.key(`lease:p${p}`), nodeId).catch(() => undefined);
        });
      }
    } catch (err) {
      this.options.onLog?.('warn', 'cluster round failed (Redis unreachable?)', {
        err: (err as Error).message,
      });
    }
  }

  /**
   * Without Redis no lease can be renewed: once a lease's time has passed since its last renewal,
   * another node may hold it, so this node stops acting on it (and on the leadership) at once.
   */
  private async expireUnrenewed(): Promise<void> {
    if (this.stopped) return;
    const now = this.clock();
    const { leaseMs } = this.options;
    for (const p of this.ownedPartitions()) {
      if (now - (this.renewedAt.get(p) ?? 0) < leaseMs) continue;
      this.options.onLog?.('warn', `lease of partition ${p} not renewed for a lease: letting it go`);
      await this.drop(p);
    }
    if (this.isLeader && now - (this.renewedAt.get(-1) ?? 0) >= leaseMs) {
      this.isLeader = false;
      void this.listener.leader(false);
    }
  }

  private async leadership(): Promise<void> {
    const { redis, nodeId, leaseMs } = this.options;
    const key = this.key('lease:leader');
    const held = this.isLeader
      ? ((await redis.eval(RENEW, 1, key, nodeId, leaseMs)) as number) === 1
      : (await redis.set(key, nodeId, 'PX', leaseMs, 'NX')) === 'OK';
    if (held) this.renewedAt.set(-1, this.clock());
    if (held !== this.isLeader) {
      this.isLeader = held;
      this.options.onLog?.('info', held ? 'this node leads the cluster' : 'this node no longer leads', {
        nodeId,
      });
      void this.listener.leader(held);
    }
  }
}
