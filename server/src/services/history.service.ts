import { isMetricId, METRICS } from '@shared/metrics';
import type { HistoryQuery, HistoryResponse } from '@shared/schemas/reading.schema';
import { chooseResolution } from '../domain/historyResolution';
import type { CatalogService } from './catalog.service';
import type { ReadingStore } from './ports';

/** A request the caller got wrong; the HTTP layer turns it into a 4xx naming the field. */
export class RequestError extends Error {
  constructor(
    readonly code: 'invalid_request' | 'not_found',
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export interface RetentionMs {
  raw: number;
  '1m': number;
  '1h': number;
}

const toMs = (v: string | number | undefined): number | undefined =>
  v === undefined ? undefined : typeof v === 'number' ? v : Date.parse(v);

export class HistoryService {
  constructor(
    private readonly deps: {
      catalog: CatalogService;
      store: ReadingStore;
      clock: () => number;
      retentionMs: RetentionMs;
    },
  ) {}

  async history(sensorId: string, query: HistoryQuery): Promise<HistoryResponse> {
    const { catalog, store, clock, retentionMs } = this.deps;
    const sensor = catalog.sensor(sensorId);
    if (!sensor) throw new RequestError('not_found', 'sensorId', `sensor ${sensorId} does not exist`);
    if (!isMetricId(query.metric) || !sensor.metrics.some((m) => m.metric === query.metric)) {
      throw new RequestError(
        'invalid_request',
        'metric',
        `sensor ${sensorId} does not report ${query.metric}`,
      );
    }
    const now = clock();
    const to = toMs(query.to) ?? now;
    const from = toMs(query.from) ?? to - 3_600_000;
    if (!(from < to)) throw new RequestError('invalid_request', 'from', '"from" must be before "to"');
    const choice = chooseResolution({
      from,
      to,
      now,
      requested: query.resolution,
      maxPoints: query.maxPoints,
      reportIntervalMs: sensor.reportIntervalSec * 1000,
      retentionMs,
    });
    const points = await store.history({ sensorId, metric: query.metric, from, to, ...choice });
    return {
      sensorId,
      metric: query.metric,
      unit: METRICS[query.metric].unit,
      resolution: choice.resolution,
      bucketMs: choice.bucketMs,
      from,
      to,
      points,
    };
  }
}
