import type {
  IngestPath,
  IngestResult,
  RejectedReading,
  RejectionReason,
} from '@shared/schemas/ingest.schema';
import { MAX_READINGS_PER_BATCH, type Reading } from '@shared/schemas/reading.schema';
import { checkReading, type ReadingCheckContext } from '../domain/readingValidation';
import type { CatalogService } from './catalog.service';
import type { DeviceIdentity } from './devices.service';
import type { DomainEvents } from './events';
import type { IngestCounters } from './ingestStats';
import type { LatestValues } from './latest.service';
import { StoreWriteError, type ReadingStore } from './ports';

/**
 * After a failed commit (disk full, database busy), payloads are refused at once for this long,
 * ms, instead of queueing behind a store that just failed; then writes are tried again. It is
 * also the Retry-After of a 503 for a store failure.
 */
export const STORE_RETRY_MS = 2000;

export interface IngestLimits {
  maxPayloadBytes: number;
  maxFutureMs: number;
  maxAgeMs: number;
  autoRegister: boolean;
  /** Queued (uncommitted) readings above which HTTP ingest sheds with `overloaded`. */
  writeQueueMax: number;
}

/** A refusal of the whole payload (nothing in it was looked at one by one). */
export interface PayloadRejection {
  reason: RejectionReason;
  message: string;
  /** When the producer may try again, seconds (overload, rate limit). */
  retryAfterSec?: number;
}

export type IngestOutcome = IngestResult & { payload?: PayloadRejection };
/** The outcome of a payload refused as a whole. */
export type RefusedOutcome = IngestResult & { payload: PayloadRejection };

export interface IngestOptions {
  /** Sensor named by the MQTT topic; readings for another sensor are refused. */
  topicSensorId?: string | undefined;
  /** The device credential the payload came with; readings of sensors it does not cover are refused. */
  device?: DeviceIdentity | undefined;
}

/**
 * The one way readings enter the platform, whatever the transport: parse,
 * validate with the shared schema and the catalog, write durably, then tell
 * the rest of the platform. A producer may be acknowledged when the returned
 * promise resolves; if the store fails it rejects and nothing was acknowledged.
 */
export class IngestService {
  constructor(
    private readonly deps: {
      catalog: CatalogService;
      store: ReadingStore;
      latest: LatestValues;
      events: DomainEvents;
      counters: IngestCounters;
      clock: () => number;
      limits: IngestLimits;
    },
  ) {}

  /** Clock time until which payloads are refused without trying the store (after a failed commit). */
  private storeRetryAt = 0;

  /** True while the write queue is over its bound: HTTP answers 503, MQTT slows publishers. */
  overloaded(): boolean {
    return this.deps.store.stats().queued > this.deps.limits.writeQueueMax;
  }

  /**
   * Ingest a raw MQTT payload: one reading or an array of readings (JSON).
   * HTTP bodies come through `ingestBody`.
   */
  ingestMqttPayload(payload: Buffer, options: IngestOptions = {}): Promise<IngestOutcome> {
    return this.ingestRaw('mqtt', payload, options, (json) =>
      Array.isArray(json) ? json : typeof json === 'object' && json !== null ? [json] : null,
    );
  }

  /** Ingest an HTTP body `{ "readings": [ … ] }` given as raw bytes. */
  ingestHttpBody(body: Buffer, options: IngestOptions = {}): Promise<IngestOutcome> {
    return this.ingestRaw('http', body, options, (json) => {
      if (typeof json !== 'object' || json === null || Array.isArray(json)) return null;
      const readings = (json as Record<string, unknown>)['readings'];
      return Array.isArray(readings) ? readings : null;
    });
  }

  /**
   * Refuse (and count) a payload the transport stopped reading because it is
   * far over the limit; `bytes` is its announced size when known.
   */
  refuseOversize(path: IngestPath, bytes: number | undefined): RefusedOutcome {
    const size = bytes === undefined ? 'larger than the limit' : `${bytes} bytes`;
    return this.refuse(
      path,
      'payload_too_large',
      `payload is ${size}; the limit is ${this.deps.limits.maxPayloadBytes}`,
    );
  }

  /** Count and answer a request refused by the per-client rate limit. */
  refuseRateLimited(path: IngestPath, retryAfterMs: number): RefusedOutcome {
    const sec = Math.max(1, Math.ceil(retryAfterMs / 1000));
    return this.refuse(path, 'rate_limited', `too many requests from this client; retry in ${sec} s`, 0, sec);
  }

  /** Count and answer a payload refused unread because the node is overloaded (`why` says by what). */
  refuseOverloaded(path: IngestPath, why: string): PayloadRejection {
    return this.refuse(path, 'overloaded', `the node is overloaded (${why}); retry shortly`, 0, 1).payload;
  }

  /** Count a payload the transport refused by its announced size, before buffering it (an MQTT packet). */
  refuseOversized(path: IngestPath, bytes: number, limit: number): PayloadRejection {
    return this.refuse(path, 'payload_too_large', `a packet of ${bytes} bytes; the limit is ${limit}`)
      .payload;
  }

  /** Count and answer a body the transport refused before reading it as JSON (wrong content type). */
  refuseContentType(path: IngestPath, contentType: string | undefined): RefusedOutcome {
    return this.refuse(
      path,
      'unsupported_media_type',
      `content type is ${contentType ?? 'missing'}; send readings as application/json`,
    );
  }

  /**
   * Count and answer a body the transport could not decode: a Content-Encoding it does not
   * know (`unsupported_media_type`), or compressed data that is corrupt (`malformed_json`).
   */
  refuseUndecodable(
    path: IngestPath,
    encoding: string | undefined,
    problem: 'unsupported' | 'corrupt',
  ): RefusedOutcome {
    return problem === 'unsupported'
      ? this.refuse(
          path,
          'unsupported_media_type',
          `content encoding ${encoding ?? 'missing'} is not supported; send identity, gzip, deflate or br`,
        )
      : this.refuse(path, 'malformed_json', `payload is not valid ${encoding ?? 'compressed'} data`);
  }

  private refuse(
    path: IngestPath,
    reason: RejectionReason,
    message: string,
    readings = 0,
    retryAfterSec?: number,
  ): RefusedOutcome {
    this.deps.counters.payload(path, readings);
    this.deps.counters.rejected(path, reason, Math.max(readings, 1));
    const payload: PayloadRejection = {
      reason,
      message,
      ...(retryAfterSec !== undefined ? { retryAfterSec } : {}),
    };
    return { accepted: 0, duplicates: 0, rejected: [], payload };
  }

  private async ingestRaw(
    path: IngestPath,
    raw: Buffer,
    options: IngestOptions,
    itemsOf: (json: unknown) => unknown[] | null,
  ): Promise<IngestOutcome> {
    const { limits } = this.deps;
    const refuse = (
      reason: RejectionReason,
      message: string,
      readings = 0,
      retryAfterSec?: number,
    ): IngestOutcome => this.refuse(path, reason, message, readings, retryAfterSec);
    if (raw.length > limits.maxPayloadBytes) {
      return refuse(
        'payload_too_large',
        `payload is ${raw.length} bytes; the limit is ${limits.maxPayloadBytes}`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      return refuse('malformed_json', `payload is not valid JSON: ${(err as Error).message}`);
    }
    const items = itemsOf(json);
    if (!items) {
      return refuse(
        'invalid_shape',
        path === 'http'
          ? 'body must be an object with a "readings" array'
          : 'payload must be a reading object or an array of readings',
      );
    }
    if (items.length === 0) return refuse('invalid_shape', 'no readings in the payload');
    if (items.length > MAX_READINGS_PER_BATCH) {
      return refuse(
        'batch_too_large',
        `${items.length} readings in one payload; the limit is ${MAX_READINGS_PER_BATCH}`,
        items.length,
      );
    }
    if (path === 'http' && this.overloaded()) {
      return refuse('overloaded', 'the write queue is full; retry shortly', items.length, 2);
    }
    const wait = this.storeRetryAt - this.deps.clock();
    if (wait > 0) {
      // Shed while the store is failing: counted, never acknowledged (HTTP 503, no PUBACK).
      this.refuse(path, 'store_unavailable', 'the store is failing', items.length);
      const failing = this.deps.store.stats().failing;
      throw new StoreWriteError(
        failing?.code ?? 'STORE_UNAVAILABLE',
        `writes are failing (${failing?.message ?? 'store unavailable'}); nothing was stored`,
        Math.max(1, Math.ceil(wait / 1000)),
      );
    }
    return this.ingestItems(path, items, options);
  }

  /** Validate and store already-parsed readings. */
  async ingestItems(
    path: IngestPath,
    items: readonly unknown[],
    options: IngestOptions = {},
  ): Promise<IngestResult> {
    const { catalog, store, latest, events, counters, clock, limits } = this.deps;
    counters.payload(path, items.length);
    const ctx: ReadingCheckContext = {
      now: clock(),
      maxFutureMs: limits.maxFutureMs,
      maxAgeMs: limits.maxAgeMs,
      autoRegister: limits.autoRegister,
      topicSensorId: options.topicSensorId,
      sensorOf: (id) => catalog.knownSensor(id),
    };
    const valid: Reading[] = [];
    const rejected: RejectedReading[] = [];
    for (let i = 0; i < items.length; i++) {
      const check = checkReading(items[i], ctx);
      if (check.ok && options.device && !options.device.covers(check.reading.sensorId)) {
        const message = `credential ${options.device.credentialId} may not report for sensor ${check.reading.sensorId}`;
        rejected.push({ index: i, reason: 'forbidden_sensor', path: 'sensorId', message });
        counters.rejected(path, 'forbidden_sensor');
      } else if (check.ok) {
        if (!check.known || catalog.isAutoRegistered(check.reading.sensorId)) {
          catalog.registerFromReading(check.reading.sensorId, Object.keys(check.reading.values));
        }
        valid.push(check.reading);
      } else {
        rejected.push({ index: i, ...check.rejection });
        counters.rejected(path, check.rejection.reason);
      }
    }

    let outcome;
    try {
      outcome = await store.write(valid);
    } catch (err) {
      counters.rejected(path, 'store_unavailable', valid.length);
      if (err instanceof StoreWriteError) this.storeRetryAt = clock() + STORE_RETRY_MS;
      throw err;
    }
    this.storeRetryAt = 0;
    const { inserted, duplicates } = outcome;
    counters.duplicates(path, duplicates);
    if (inserted.length > 0) {
      const byKind = new Map<string, number>();
      let newest = 0;
      for (const r of inserted) {
        latest.apply(r);
        const kind = catalog.sensor(r.sensorId)?.kind ?? 'unknown';
        byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
        if (r.observedAt > newest) newest = r.observedAt;
      }
      counters.accepted(path, byKind, newest);
      events.emit('readings.accepted', { readings: inserted });
    }
    return { accepted: valid.length, duplicates, rejected };
  }
}
