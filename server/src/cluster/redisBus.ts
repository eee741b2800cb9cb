import type { Redis } from 'ioredis';
import type { Reading } from '@shared/schemas/reading.schema';
import {
  CLUSTER_EVENTS,
  type ClusterEventType,
  type DomainEventMap,
  type DomainEvents,
} from '../services/events';

export interface RedisBusOptions {
  /** Connection for commands (XADD, PUBLISH). */
  redis: Redis;
  /** Key prefix of this cluster (`cityops:<CLUSTER_NAME>:`). */
  prefix: string;
  nodeId: string;
  events: DomainEvents;
  /** Committed readings of the other nodes, in stream order. */
  onRemoteReadings: (readings: readonly Reading[]) => void;
  /** How long stream entries are kept for readers that fell behind, ms (approximate trim). */
  streamKeepMs?: number;
  onLog?: (level: 'info' | 'warn' | 'error', message: string, extra?: Record<string, unknown>) => void;
}

const CLUSTER_EVENT_SET = new Set<string>(CLUSTER_EVENTS);

/**
 * How the nodes of a cluster hear each other, all through Redis:
 * - domain events (an alert raised, a rule saved, a session revoked…) on one pub/sub channel,
 *   re-emitted on the other nodes as remote events (caches reload, sockets close);
 * - every batch of readings a node committed on one stream, which every other node reads from
 *   where it was (so a short Redis disconnect loses nothing), to keep its latest values whole
 *   and to judge the sensors it owns.
 * A node skips its own messages: it handled them when they happened.
 */
export class RedisBus {
  private readonly sub: Redis;
  private readonly reader: Redis;
  private readonly unsubscribe: Array<() => void> = [];
  private lastId = '$';
  private stopped = false;
  private readLoop: Promise<void> | null = null;
  /** Batches published and read, for /api/v1/cluster. */
  readonly counts = { published: 0, read: 0, eventsOut: 0, eventsIn: 0, readErrors: 0 };

  constructor(private readonly options: RedisBusOptions) {
    // Subscribed and blocking connections cannot run other commands: each gets its own.
    this.sub = options.redis.duplicate();
    // The reader blocks up to a second on XREAD: the commands' timeout (a fraction of a lease)
    // would cut idle waits short, so this connection has none.
    this.reader = options.redis.duplicate({ commandTimeout: undefined });
  }

  private get eventsChannel(): string {
    return `${this.options.prefix}events`;
  }

  private get readingsStream(): string {
    return `${this.options.prefix}readings`;
  }

  async start(): Promise<void> {
    const { events, nodeId } = this.options;
    await this.sub.subscribe(this.eventsChannel);
    this.sub.on('message', (_channel: string, message: string) => this.onEvent(message));
    // Events published while this node's subscription was down are lost (pub/sub keeps nothing):
    // after a reconnection every cache that follows other nodes reloads from the store.
    let connected = true;
    this.sub.on('close', () => (connected = false));
    this.sub.on('ready', () => {
      if (connected) return;
      connected = true;
      this.options.onLog?.('warn', 'cluster events resumed after a Redis disconnection: reloading caches');
      for (const type of [
        'rules.changed',
        'suppression.changed',
        'devices.changed',
        'policy.changed',
      ] as const)
        events.emitRemote(type, {});
    });
    this.unsubscribe.push(
      events.tap((type, event) => {
        if (!CLUSTER_EVENT_SET.has(type)) return;
        this.counts.eventsOut += 1;
        void this.options.redis
          .publish(this.eventsChannel, JSON.stringify({ origin: nodeId, type, event }))
          .catch((err: unknown) => this.log('warn', 'publishing a cluster event failed', err));
      }),
      events.on('readings.accepted', (e) => this.publishReadings(e.readings)),
    );
    // Read from the stream's end as it is now: what came before is in the store.
    const last = (await this.options.redis.xrevrange(this.readingsStream, '+', '-', 'COUNT', 1)) as Array<
      [string, string[]]
    >;
    this.lastId = last[0]?.[0] ?? '0-0';
    this.readLoop = this.readForever();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const u of this.unsubscribe.splice(0)) u();
    this.reader.disconnect();
    await this.readLoop?.catch(() => undefined);
    await this.sub.quit().catch(() => undefined);
  }

  private onEvent(message: string): void {
    let parsed: { origin: string; type: ClusterEventType; event: unknown };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch (err) {
      this.log('warn', 'unreadable cluster event', err);
      return;
    }
    if (parsed.origin === this.options.nodeId || !CLUSTER_EVENT_SET.has(parsed.type)) return;
    this.counts.eventsIn += 1;
    this.options.events.emitRemote(parsed.type, parsed.event as DomainEventMap[ClusterEventType]);
  }

  private publishReadings(readings: readonly Reading[]): void {
    if (readings.length === 0) return;
    this.counts.published += 1;
    void this.options.redis
      .xadd(
        this.readingsStream,
        // Entries of the last half minute are kept: enough for a reader that paused; older
        // readings are in the store (and a partition's new owner catches up from there).
        'MINID',
        '~',
        String(Date.now() - (this.options.streamKeepMs ?? 30_000)),
        '*',
        'origin',
        this.options.nodeId,
        'readings',
        JSON.stringify(readings),
      )
      .catch((err: unknown) => this.log('warn', 'publishing readings to the cluster failed', err));
  }

  private async readForever(): Promise<void> {
    while (!this.stopped) {
      try {
        const batch = (await this.reader.xread(
          'COUNT',
          200,
          'BLOCK',
          1000,
          'STREAMS',
          this.readingsStream,
          this.lastId,
        )) as Array<[string, Array<[string, string[]]>]> | null;
        if (!batch) continue;
        for (const [, entries] of batch) {
          for (const [id, fields] of entries) {
            this.lastId = id;
            const field = (name: string) => fields[fields.indexOf(name) + 1];
            if (field('origin') === this.options.nodeId) continue;
            this.counts.read += 1;
            this.options.onRemoteReadings(JSON.parse(field('readings') ?? '[]') as Reading[]);
          }
        }
      } catch (err) {
        if (this.stopped) return;
        this.counts.readErrors += 1;
        this.log('warn', 'reading the cluster readings stream failed; retrying', err);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private log(level: 'warn' | 'error', message: string, err: unknown): void {
    this.options.onLog?.(level, message, { err: (err as Error).message });
  }
}
