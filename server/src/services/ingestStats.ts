import {
  REJECTION_REASONS,
  type EventLoopLag,
  type IngestPath,
  type IngestStats,
  type RejectionReason,
} from '@shared/schemas/ingest.schema';
import type { ReadingStoreStats } from './ports';

interface PathCounters {
  payloads: number;
  received: number;
  accepted: number;
  duplicates: number;
  rejected: number;
}

const zero = (): PathCounters => ({ payloads: 0, received: 0, accepted: 0, duplicates: 0, rejected: 0 });

/** Ingest counters since start, per path, per rejection reason and per sensor kind; plus a 10 s rate. */
export class IngestCounters {
  readonly since: number;
  private readonly byPath: Record<IngestPath, PathCounters> = { mqtt: zero(), http: zero() };
  private readonly byReason = Object.fromEntries(REJECTION_REASONS.map((r) => [r, 0])) as Record<
    RejectionReason,
    number
  >;
  private readonly byKind: Record<string, number> = {};
  /** Accepted readings per whole second, ring of the last 10 s. */
  private readonly ring = new Array<number>(11).fill(0);
  private ringSecond = 0;
  private newestObservedAt: number | null = null;

  /** `eventLoop`: the process's event-loop lag monitor, reported with the counters. */
  constructor(
    private readonly clock: () => number,
    private readonly eventLoop?: { snapshot(): EventLoopLag },
  ) {
    this.since = clock();
  }

  payload(path: IngestPath, readings: number): void {
    this.byPath[path].payloads += 1;
    this.byPath[path].received += readings;
  }

  rejected(path: IngestPath, reason: RejectionReason, count = 1): void {
    this.byPath[path].rejected += count;
    this.byReason[reason] += count;
  }

  duplicates(path: IngestPath, count: number): void {
    this.byPath[path].duplicates += count;
    this.byPath[path].accepted += count;
  }

  /** Count readings committed for the first time: per kind, for the rate, and the newest observation. */
  accepted(path: IngestPath, byKind: ReadonlyMap<string, number>, newestObservedAt: number): void {
    let n = 0;
    for (const [kind, count] of byKind) {
      this.byKind[kind] = (this.byKind[kind] ?? 0) + count;
      n += count;
    }
    this.byPath[path].accepted += n;
    if (this.newestObservedAt === null || newestObservedAt > this.newestObservedAt) {
      this.newestObservedAt = newestObservedAt;
    }
    const slot = this.advance();
    this.ring[slot] = (this.ring[slot] ?? 0) + n;
  }

  /** Move the rate ring to the current second, zeroing skipped seconds; returns the current slot. */
  private advance(): number {
    const sec = Math.floor(this.clock() / 1000);
    if (sec !== this.ringSecond) {
      const gap = Math.min(sec - this.ringSecond, this.ring.length);
      for (let i = 1; i <= gap; i++) this.ring[(this.ringSecond + i) % this.ring.length] = 0;
      this.ringSecond = sec;
    }
    return sec % this.ring.length;
  }

  /** Accepted readings per second over the last 10 whole seconds. */
  ratePerSec(): number {
    const cur = this.advance();
    let sum = 0;
    for (let i = 0; i < this.ring.length; i++) if (i !== cur) sum += this.ring[i]!;
    return sum / (this.ring.length - 1);
  }

  totals(): {
    accepted: number;
    rejected: number;
    byKind: Record<string, number>;
    newestObservedAt: number | null;
  } {
    return {
      accepted: this.byPath.mqtt.accepted + this.byPath.http.accepted,
      rejected: this.byPath.mqtt.rejected + this.byPath.http.rejected,
      byKind: { ...this.byKind },
      newestObservedAt: this.newestObservedAt,
    };
  }

  /** The counters with the store's figures and, with an embedded broker, its connections. */
  snapshot(store: ReadingStoreStats, mqttConnections: IngestStats['mqttConnections'] = null): IngestStats {
    const { mqtt, http } = this.byPath;
    const total: PathCounters = {
      payloads: mqtt.payloads + http.payloads,
      received: mqtt.received + http.received,
      accepted: mqtt.accepted + http.accepted,
      duplicates: mqtt.duplicates + http.duplicates,
      rejected: mqtt.rejected + http.rejected,
    };
    return {
      since: this.since,
      total,
      byPath: { mqtt: { ...mqtt }, http: { ...http } },
      rejectedByReason: { ...this.byReason },
      acceptedByKind: { ...this.byKind },
      store: {
        queued: store.queued,
        queuedPeak: store.queuedPeak,
        written: store.written,
        flushes: store.flushes,
        lastFlushMs: store.lastFlushMs,
        failures: store.failures,
        failing: store.failing ? { ...store.failing } : null,
      },
      ratePerSec: this.ratePerSec(),
      eventLoop: this.eventLoop?.snapshot() ?? null,
      mqttConnections,
    };
  }
}
