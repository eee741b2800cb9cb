import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { partitionOf } from '@shared/domain/partition';
import { partitionTopicFilters } from '@shared/version';
import type { ClusterStatus } from '@shared/schemas/cluster.schema';
import type { Reading } from '@shared/schemas/reading.schema';
import { startExternalMqttIngest, type ExternalMqttIngest } from '../ingest/externalMqtt';
import type { AlertingService } from '../services/alerting.service';
import type { CatalogService } from '../services/catalog.service';
import type { DomainEvents } from '../services/events';
import type { IngestService } from '../services/ingest.service';
import type { LatestValues } from '../services/latest.service';
import { ClusterCoordinator } from './coordinator';
import { RedisBus } from './redisBus';

type Log = (level: 'info' | 'warn' | 'error', message: string, extra?: Record<string, unknown>) => void;

export interface ClusterSettings {
  redisUrl: string;
  name: string;
  nodeId?: string;
  partitions: number;
  leaseMs: number;
  /** External broker: each lease (a partition, the leader) holds its own MQTT session there. */
  mqtt?: { url: string; clientId: string };
}

export interface ClusterNodeDeps {
  events: DomainEvents;
  latest: LatestValues;
  catalog: CatalogService;
  ingest: IngestService;
  /** Sensor rules of the partitions this node holds (role `sensors`, owns = this.owns). */
  alerting: AlertingService;
  /** Area rules, run by the leader (role `areas`, active = this.isLeader). */
  areaAlerting: AlertingService;
  log: Log;
}

/**
 * One node of a CityOps cluster (docs/DEPLOYMENT.md): leases from Redis decide which partitions
 * of the sensors it judges and whether it leads; the Redis bus brings the other nodes' events
 * and committed readings. A partition it gains first has its state restored and the stored
 * readings the saved state had not seen judged (readings arriving meanwhile wait), then its
 * MQTT session is taken up; one it loses stops at once and its state is saved for the next owner.
 */
export class ClusterNode {
  readonly nodeId: string;
  readonly redis: Redis;
  /**
   * Redis for the Socket.IO adapter, without the command timeout: its reader blocks in XREAD and
   * moves its offset only when a reply arrives, so a blocking read cut short by a client-side
   * timeout had its reply (the next message) thrown away, and while the offset was still `$`
   * every message that came later than the timeout was lost to this node's dashboards.
   */
  readonly socketRedis: Redis;
  private readonly coordinator: ClusterCoordinator;
  private readonly bus: RedisBus;
  /** Partitions judged here (taken up and caught up). */
  private readonly owned = new Set<number>();
  /** Partitions being taken up: their readings wait here until the restored state has caught up. */
  private readonly taking = new Map<number, Reading[]>();
  /** Generation of each partition's current take: a take that finds it changed was cancelled. */
  private readonly generation = new Map<number, number>();
  private nextGeneration = 1;
  private readonly sessions = new Map<number | 'leader', ExternalMqttIngest>();
  private leading = false;
  /** Leadership changes, applied one after the other (a flap must not interleave them). */
  private leaderChain: Promise<void> = Promise.resolve();
  /** Readings that arrive while the area rules are being restored (null: not restoring). */
  private areaWaiting: Reading[] | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly settings: ClusterSettings,
    private readonly deps: ClusterNodeDeps,
  ) {
    this.nodeId = settings.nodeId ?? `${hostname()}-${process.pid}`;
    // Commands time out well within a lease, so a blackholed Redis fails rounds instead of hanging them.
    this.redis = new Redis(settings.redisUrl, {
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      commandTimeout: Math.max(500, Math.floor(settings.leaseMs / 3)),
    });
    this.redis.on('error', (err: Error) => deps.log('warn', 'redis error', { err: err.message }));
    this.socketRedis = this.redis.duplicate({ commandTimeout: undefined });
    this.socketRedis.on('error', (err: Error) =>
      deps.log('warn', 'redis error (socket adapter)', { err: err.message }),
    );
    const prefix = `cityops:${settings.name}:`;
    this.bus = new RedisBus({
      redis: this.redis,
      prefix,
      nodeId: this.nodeId,
      events: deps.events,
      onRemoteReadings: (readings) => this.onRemoteReadings(readings),
      onLog: deps.log,
    });
    this.coordinator = new ClusterCoordinator(
      {
        redis: this.redis,
        prefix,
        nodeId: this.nodeId,
        partitions: settings.partitions,
        leaseMs: settings.leaseMs,
        tickMs: Math.max(200, Math.floor(settings.leaseMs / 5)),
        onLog: deps.log,
      },
      {
        gained: (p) => this.gain(p),
        lost: (p) => this.lose(p),
        leader: (isLeader) => this.lead(isLeader),
      },
    );
  }

  /** Whether this node judges `sensorId` now (it holds the sensor's partition, caught up). */
  readonly owns = (sensorId: string): boolean =>
    this.owned.has(partitionOf(sensorId, this.settings.partitions));

  readonly isLeader = (): boolean => this.leading;

  async start(): Promise<void> {
    await this.bus.start();
    // This node's committed readings: judged here if owned (the bus carries them to the others).
    this.unsubscribe = this.deps.events.on('readings.accepted', (e) => this.route(e.readings));
    await this.coordinator.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    try {
      // Hand everything over now rather than after the leases expire.
      await this.coordinator.stop();
      for (const session of this.sessions.values()) await session.close();
      this.sessions.clear();
      await this.bus.stop();
    } finally {
      // Whatever failed above, the connections go (a process embedding the node lives on).
      this.redis.disconnect();
      this.socketRedis.disconnect();
    }
  }

  async status(): Promise<Omit<ClusterStatus, 'clustered'>> {
    return {
      nodeId: this.nodeId,
      leader: this.leading,
      partitions: this.settings.partitions,
      owned: [...this.owned].sort((a, b) => a - b),
      liveNodes: await this.coordinator.liveNodes(),
      takenAt: Object.fromEntries([...this.coordinator.takenAt].map(([p, at]) => [String(p), at])),
      bus: { ...this.bus.counts },
    };
  }

  private onRemoteReadings(readings: readonly Reading[]): void {
    for (const r of readings) this.deps.latest.apply(r);
    // Other nodes' readings reach this node's dashboards from here (Broadcaster listens).
    this.deps.events.emitRemote('readings.accepted', { readings });
    this.route(readings);
  }

  /** Readings committed anywhere in the cluster: to the engines that judge them. */
  private route(readings: readonly Reading[]): void {
    // The leader's area rules read every sensor, whoever holds its partition.
    if (this.areaWaiting) for (const r of readings) this.areaWaiting.push(r);
    else this.deps.areaAlerting.onReadings(readings);
    if (this.taking.size === 0) return this.deps.alerting.onReadings(readings);
    // Readings of a partition being taken up wait until its restored state has caught up.
    const now: Reading[] = [];
    for (const r of readings) {
      const waiting = this.taking.get(partitionOf(r.sensorId, this.settings.partitions));
      if (waiting) waiting.push(r);
      else now.push(r);
    }
    this.deps.alerting.onReadings(now);
  }

  private sensorsOf(p: number): Set<string> {
    const ids = new Set<string>();
    for (const s of this.deps.catalog.listSensors())
      if (partitionOf(s.id, this.settings.partitions) === p) ids.add(s.id);
    return ids;
  }

  /**
   * Take a partition up: restore its state and catch up (its readings wait meanwhile), then judge
   * it and open its MQTT session. If the partition is lost meanwhile (a hand-back, an expired
   * lease, a stop), the take notices after each step and undoes itself.
   */
  private async gain(p: number): Promise<void> {
    const started = Date.now();
    const generation = this.nextGeneration++;
    this.generation.set(p, generation);
    const current = () => this.generation.get(p) === generation;
    this.taking.set(p, []);
    const ids = this.sensorsOf(p);
    try {
      const replayed = await this.deps.alerting.take(ids);
      if (!current()) return await this.deps.alerting.forget(ids);
      this.owned.add(p);
      const waited = this.taking.get(p) ?? [];
      this.taking.delete(p);
      this.deps.alerting.feedNewer(waited);
      this.deps.log('info', 'took partition', {
        partition: p,
        replayed,
        waited: waited.length,
        ms: Date.now() - started,
      });
      if (this.settings.mqtt) {
        const session = await startExternalMqttIngest({
          url: this.settings.mqtt.url,
          clientId: `${this.settings.mqtt.clientId}-p${p}`,
          filters: partitionTopicFilters(p),
          ingest: this.deps.ingest,
          log: this.deps.log,
        });
        if (!current()) return await session.close();
        this.sessions.set(p, session);
      }
    } catch (err) {
      // Could not take it up: the coordinator gives the lease back; nothing of it stays here.
      if (current()) {
        this.generation.delete(p);
        this.owned.delete(p);
        this.taking.delete(p);
        await this.deps.alerting.forget(ids);
      }
      throw err;
    }
  }

  private async lose(p: number): Promise<void> {
    const wasOwned = this.owned.has(p);
    // Cancels a take in progress (it checks its generation).
    this.generation.delete(p);
    this.taking.delete(p);
    const session = this.sessions.get(p);
    this.sessions.delete(p);
    // Stop taking the partition's messages first: the session stays on the broker for the next owner.
    await session?.close();
    this.owned.delete(p);
    const ids = this.sensorsOf(p);
    if (wasOwned) await this.deps.alerting.release(ids);
    else await this.deps.alerting.forget(ids);
    this.deps.log('info', 'released partition', { partition: p });
  }

  /** Leadership changed: applied in order, each change complete before the next starts. */
  private lead(isLeader: boolean): Promise<void> {
    this.leaderChain = this.leaderChain
      .then(() => (isLeader ? this.becomeLeader() : this.stepDown()))
      .catch((err: unknown) => this.deps.log('error', 'changing leadership failed', { err: String(err) }));
    return this.leaderChain;
  }

  private async becomeLeader(): Promise<void> {
    // Area rules: restore and catch up, with the readings arriving meanwhile held back.
    this.areaWaiting = [];
    try {
      this.leading = true;
      await this.deps.areaAlerting.activate();
    } finally {
      const waited = this.areaWaiting ?? [];
      this.areaWaiting = null;
      this.deps.areaAlerting.feedNewer(waited);
    }
    // The leader also holds the plain topics' session (devices that do not partition).
    const mqtt = this.settings.mqtt;
    if (mqtt)
      this.sessions.set(
        'leader',
        await startExternalMqttIngest({
          url: mqtt.url,
          clientId: mqtt.clientId,
          ingest: this.deps.ingest,
          log: this.deps.log,
        }),
      );
  }

  private async stepDown(): Promise<void> {
    this.leading = false;
    const session = this.sessions.get('leader');
    this.sessions.delete('leader');
    await session?.close();
    await this.deps.areaAlerting.deactivate();
  }
}
