import type { LatestReading, Reading } from '@shared/schemas/reading.schema';

/**
 * Latest values per sensor, in memory. Each metric keeps its newest value, so a
 * sensor that reports metrics in separate readings still shows all of them;
 * a late reading never overwrites a newer one.
 */
export class LatestValues {
  private readonly bySensor = new Map<string, LatestReading & { metricTs: Record<string, number> }>();

  warm(rows: readonly LatestReading[]): void {
    for (const r of rows)
      this.apply({ sensorId: r.sensorId, observedAt: r.observedAt, values: r.values, quality: r.quality });
  }

  apply(reading: Reading): void {
    let cur = this.bySensor.get(reading.sensorId);
    if (!cur) {
      cur = { sensorId: reading.sensorId, observedAt: reading.observedAt, values: {}, metricTs: {} };
      this.bySensor.set(reading.sensorId, cur);
    }
    for (const metric in reading.values) {
      const ts = cur.metricTs[metric];
      if (ts === undefined || ts <= reading.observedAt) {
        cur.values[metric] = reading.values[metric]!;
        cur.metricTs[metric] = reading.observedAt;
      }
    }
    if (reading.observedAt >= cur.observedAt) {
      cur.observedAt = reading.observedAt;
      if (reading.quality) cur.quality = reading.quality;
      else delete cur.quality;
    }
  }

  get(sensorId: string): LatestReading | undefined {
    const cur = this.bySensor.get(sensorId);
    return cur ? toPublic(cur) : undefined;
  }

  /** A sensor's held values without copying them, for readers that only look (the vitals, at every push). */
  peek(
    sensorId: string,
  ): { readonly observedAt: number; readonly values: Readonly<Record<string, number>> } | undefined {
    return this.bySensor.get(sensorId);
  }

  /** Latest values of the given sensors (those that have reported). */
  forSensors(sensorIds: Iterable<string>): LatestReading[] {
    const out: LatestReading[] = [];
    for (const id of sensorIds) {
      const cur = this.bySensor.get(id);
      if (cur) out.push(toPublic(cur));
    }
    return out;
  }

  /** Newest observation time across all sensors, or null before the first reading. */
  newestObservedAt(): number | null {
    let max: number | null = null;
    for (const cur of this.bySensor.values()) if (max === null || cur.observedAt > max) max = cur.observedAt;
    return max;
  }
}

function toPublic(cur: LatestReading & { metricTs: Record<string, number> }): LatestReading {
  return {
    sensorId: cur.sensorId,
    observedAt: cur.observedAt,
    values: { ...cur.values },
    ...(cur.quality ? { quality: cur.quality } : {}),
  };
}
