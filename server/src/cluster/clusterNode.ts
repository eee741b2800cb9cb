import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { partitionOf } from '@shared/domain/partition';
import { partitionTopicFilters } from '@shared/version';
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

/** What /api/v1/cluster and the failover test read. */
export interface ClusterStatus {
  nodeId: string;
  leader: boolean;
  partitions: number;
  owned: number[];
  liveNodes: string[];
  /** When this node took each partition it holds, epoch ms. */
  takenAt: Record<string, number>;
  bus: RedisBus['counts'];
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
  private readonly coordinator: ClusterCoordinator;
  private readonly bus: RedisBus;
  private readonly owned = new Set<number>();
  /** Partitions being taken up: their readings wait here until the restored state has caught up. */
  private readonly taking = new Map<number, Reading[]>();
  private readonly sessions = new Map<number | 'leader', ExternalMqttIngest>();
  private leading = false;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly settings: ClusterSettings,
    private readonly deps: ClusterNodeDeps,
  ) {
    this.nodeId = settings.nodeId ?? `${hostname()}-${process.pid}`;
    this.redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
    this.redis.on('error', (err: Error) => deps.log('warn', 'redis error', { err: err.message }));
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
    // Hand everything over now rather than after the leases expire.
    await this.coordinator.stop();
    for (const session of this.sessions.values()) await session.close();
    this.sessions.clear();
    await this.bus.stop();
    this.redis.disconnect();
  }

  async status(): Promise<ClusterStatus> {
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
    if (this.taking.size > 0) {
      const now: Reading[] = [];
      for (const r of readings) {
        const waiting = this.taking.get(partitionOf(r.sensorId, this.settings.partitions));
        if (waiting) waiting.push(r);
        else now.push(r);
      }
      readings = now;
    }
    this.deps.alerting.onReadings(readings);
    this.deps.areaAlerting.onReadings(readings);
  }

  private sensorsOf(p: number): Set<string> {
    const ids = new Set<string>();
    for (const s of this.deps.catalog.listSensors())
      if (partitionOf(s.id, this.settings.partitions) === p) ids.add(s.id);
    return ids;
  }

  private async gain(p: number): Promise<void> {
    const started = Date.now();
    this.taking.set(p, []);
    try {
      const replayed = await this.deps.alerting.take(this.sensorsOf(p));
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
    } catch (err) {
      this.taking.delete(p);
      throw err;
    }
    if (this.settings.mqtt) {
      this.sessions.set(
        p,
        await startExternalMqttIngest({
          url: this.settings.mqtt.url,
          clientId: `${this.settings.mqtt.clientId}-p${p}`,
          filters: partitionTopicFilters(p),
          ingest: this.deps.ingest,
          log: this.deps.log,
        }),
      );
    }
  }

  private async lose(p: number): Promise<void> {
    const session = this.sessions.get(p);
    this.sessions.delete(p);
    // Stop taking the partition's messages first: the session stays on the broker for the next owner.
    await session?.close();
    this.owned.delete(p);
    await this.deps.alerting.release(this.sensorsOf(p));
    this.deps.log('info', 'released partition', { partition: p });
  }

  private lead(isLeader: boolean): void {
    this.leading = isLeader;
    const mqtt = this.settings.mqtt;
    if (isLeader) {
      void this.deps.areaAlerting
        .activate()
        .catch((err: unknown) => this.deps.log('error', 'starting area rules failed', { err: String(err) }));
      // The leader also holds the plain topics' session (devices that do not partition).
      if (mqtt)
        void startExternalMqttIngest({
          url: mqtt.url,
          clientId: mqtt.clientId,
          ingest: this.deps.ingest,
          log: this.deps.log,
        })
          .then((s) => (this.leading ? this.sessions.set('leader', s) : void s.close()))
          .catch((err: unknown) =>
            this.deps.log('error', 'leader MQTT session failed', { err: String(err) }),
          );
    } else {
      const session = this.sessions.get('leader');
      this.sessions.delete('leader');
      void session?.close();
      void this.deps.areaAlerting
        .deactivate()
        .catch((err: unknown) => this.deps.log('error', 'stopping area rules failed', { err: String(err) }));
    }
  }
}
