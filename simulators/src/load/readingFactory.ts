import type { Sensor } from '@shared/schemas/sensor.schema';
import { quietValues } from './quietValues';

/** One generated reading: its identity (for latency bookkeeping) and its wire JSON. */
export interface GeneratedReading {
  sensorId: string;
  /** Epoch ms; unique per sensor over the whole run. */
  observedAt: number;
  json: string;
}

/**
 * Readings of the city pack's real sensors in round-robin order, as a quiet city reports them
 * now: the city-day values of `quietValues` (nothing a default rule fires on), and on request a
 * breaching reading. A load built on it measures ingest, rules and fan-out on an ordinary day, not
 * an alert storm; and since every reading is current, a sensor that reports keeps its no-data rule
 * quiet too (sensors that will breach report quiet readings as well: one never heard from would go
 * offline two minutes in).
 *
 * `observedAt` is the send time rounded to the ms, so whoever receives a reading can time it from
 * its own clock; it moves on by at least 1 ms per reading of a sensor, since the store keys
 * readings by (sensor, observedAt). The values move slowly: they are taken at construction and
 * again at each `refresh` (a long run refreshes every half minute or so).
 */
export class ReadingFactory {
  private readonly sensors: readonly Sensor[];
  private readonly index = new Map<string, number>();
  private readonly heads: string[];
  private values: string[] = [];
  private readonly last: Float64Array;
  private cursor = 0;

  constructor(sensors: readonly Sensor[], now: number = Date.now()) {
    if (sensors.length === 0) throw new Error('the city pack has no sensors to generate readings for');
    this.sensors = sensors;
    sensors.forEach((s, i) => this.index.set(s.id, i));
    this.heads = sensors.map((s) => `{"sensorId":${JSON.stringify(s.id)},"observedAt":`);
    this.last = new Float64Array(sensors.length).fill(Number.NEGATIVE_INFINITY);
    this.refresh(now);
  }

  get sensorCount(): number {
    return this.sensors.length;
  }

  /** Take every sensor's quiet values again, as at `t`. */
  refresh(t: number): void {
    this.values = this.sensors.map((s) => JSON.stringify(quietValues(s, t)));
  }

  /** The next sensor's quiet reading, observed at `now` (ms). */
  next(now: number = Date.now()): GeneratedReading {
    const i = this.cursor;
    this.cursor = (this.cursor + 1) % this.sensors.length;
    return this.build(i, now, this.values[i]!);
  }

  /** A reading of `sensorId` with `values` merged over its quiet ones, observed at `now`. */
  breach(sensorId: string, values: Record<string, number>, now: number = Date.now()): GeneratedReading {
    const i = this.index.get(sensorId);
    if (i === undefined) throw new Error(`no sensor ${sensorId} to breach`);
    const quiet = JSON.parse(this.values[i]!) as Record<string, number>;
    return this.build(i, now, JSON.stringify({ ...quiet, ...values }));
  }

  /** `count` quiet readings observed at `now`, as a JSON array text, with their identities. */
  batch(count: number, now: number = Date.now()): { readings: GeneratedReading[]; json: string } {
    const readings: GeneratedReading[] = [];
    for (let i = 0; i < count; i++) readings.push(this.next(now));
    return { readings, json: `[${readings.map((r) => r.json).join(',')}]` };
  }

  private build(i: number, now: number, values: string): GeneratedReading {
    const observedAt = Math.max(Math.round(now), this.last[i]! + 1);
    this.last[i] = observedAt;
    return {
      sensorId: this.sensors[i]!.id,
      observedAt,
      json: `${this.heads[i]}${observedAt},"values":${values}}`,
    };
  }
}
