import type { Sensor } from '../../shared/schemas/sensor.schema';
import { quietValues } from './browserLoad';

/**
 * Wall-clock time in ms with sub-millisecond precision. Comparable between processes on one
 * machine (each process's time origin is read from the same system clock), so a reading's
 * send time can be compared with its arrival in another process.
 */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** A breaching reading planned for an end-to-end row. */
export interface PlannedBreach {
  sensorId: string;
  /** Values merged over the sensor's quiet ones; a default rule fires on the first of them. */
  values: Record<string, number>;
}

/** A planned breach with its time in the row. */
export interface BreachInjection extends PlannedBreach {
  /** When it is due, ms from the start of the row's load. */
  atMs: number;
}

/**
 * Which planned breach goes into which row. Each sensor breaches once in the whole run: its alert
 * stays open afterwards, and an open alert is not raised again. Rows take the plan's sensors in
 * turn (row r gets entries r, r + rows, …), so each row mixes the plan's subtypes.
 */
export function planInjections(
  breaches: ReadonlyMap<string, Record<string, number>>,
  rows: number,
  perRow: number,
): PlannedBreach[][] {
  if (breaches.size < rows * perRow) {
    throw new Error(
      `${rows} rows × ${perRow} breaches need ${rows * perRow} sensors; the plan has ${breaches.size}`,
    );
  }
  const entries = [...breaches];
  return Array.from({ length: rows }, (_, r) =>
    Array.from({ length: perRow }, (_, j) => {
      const [sensorId, values] = entries[r + j * rows]!;
      return { sensorId, values };
    }),
  );
}

/**
 * A row's breaches due evenly over `windowMs`, at (j + ½) × windowMs ÷ count. The row passes the
 * due time of its last message, so that every breach falls due while messages still leave.
 */
export function spreadBreaches(planned: readonly PlannedBreach[], windowMs: number): BreachInjection[] {
  return planned.map((b, j) => ({ ...b, atMs: ((j + 0.5) * windowMs) / planned.length }));
}

/** One generated reading: its sensor and its wire JSON. */
export interface LiveReading {
  sensorId: string;
  observedAt: number;
  json: string;
}

/**
 * Readings observed "now" for the end-to-end rows and the broker reference: every sensor in turn,
 * with the city-day values of `quietValues` (nothing a default rule fires on), and on request a
 * breaching reading. Sensors that will breach report quiet readings too: a sensor never heard
 * from would go offline (`device-offline`) two minutes in. `observedAt` is the send time rounded
 * to the ms, so whoever receives a reading can time it from its own clock (`wallNow`); it moves on
 * by at least 1 ms per reading of a sensor, since the store keys readings by (sensor, observedAt).
 */
export class LiveReadings {
  private readonly sensors: readonly Sensor[];
  private readonly index = new Map<string, number>();
  private readonly heads: string[];
  private values: string[];
  private readonly last: Float64Array;
  private cursor = 0;

  constructor(sensors: readonly Sensor[]) {
    if (sensors.length === 0) throw new Error('no sensors to report');
    this.sensors = sensors;
    sensors.forEach((s, i) => this.index.set(s.id, i));
    this.heads = sensors.map((s) => `{"sensorId":${JSON.stringify(s.id)},"observedAt":`);
    this.values = sensors.map(() => '{}');
    this.last = new Float64Array(sensors.length).fill(Number.NEGATIVE_INFINITY);
    this.refresh(Date.now());
  }

  /** Values as at `t`: the quiet values move slowly, so a row takes them once. */
  refresh(t: number): void {
    this.values = this.sensors.map((s) => JSON.stringify(quietValues(s, t)));
  }

  /** The next sensor's quiet reading, observed at `now` (ms). */
  next(now: number): LiveReading {
    const i = this.cursor;
    this.cursor = (this.cursor + 1) % this.sensors.length;
    return this.build(i, now, this.values[i]!);
  }

  /** A reading of `sensorId` with `values` merged over its quiet ones, observed at `now`. */
  breach(sensorId: string, values: Record<string, number>, now: number): LiveReading {
    const i = this.index.get(sensorId);
    if (i === undefined) throw new Error(`no sensor ${sensorId} to breach`);
    const quiet = JSON.parse(this.values[i]!) as Record<string, number>;
    return this.build(i, now, JSON.stringify({ ...quiet, ...values }));
  }

  private build(i: number, now: number, values: string): LiveReading {
    const observedAt = Math.max(Math.round(now), this.last[i]! + 1);
    this.last[i] = observedAt;
    return {
      sensorId: this.sensors[i]!.id,
      observedAt,
      json: `${this.heads[i]}${observedAt},"values":${values}}`,
    };
  }
}

/** What one message carries: its readings, and the breaches among them with their send time. */
export interface BuiltMessage {
  readings: LiveReading[];
  breaches: { sensorId: string; sentAt: number }[];
}

/**
 * Builds the messages of one row: `perMessage` readings each, the breaches that fell due since the
 * previous message first (a message skipped because the window was full carries no breach: the
 * next one sent does), then quiet readings.
 */
export class MessageBuilder {
  private pending = 0;

  constructor(
    private readonly readings: LiveReadings,
    private readonly perMessage: number,
    /** Sorted by `atMs`. */
    private readonly injections: readonly BreachInjection[],
  ) {}

  /** The message to send `atMs` after the row's start, stamped `now` (wall-clock ms). */
  build(atMs: number, now: number): BuiltMessage {
    const out: BuiltMessage = { readings: [], breaches: [] };
    while (
      this.pending < this.injections.length &&
      this.injections[this.pending]!.atMs <= atMs &&
      out.readings.length < this.perMessage
    ) {
      const b = this.injections[this.pending++]!;
      out.readings.push(this.readings.breach(b.sensorId, b.values, now));
      out.breaches.push({ sensorId: b.sensorId, sentAt: now });
    }
    while (out.readings.length < this.perMessage) out.readings.push(this.readings.next(now));
    return out;
  }

  /** Breaches not sent yet (the load ended before a message could carry them). */
  unsent(): number {
    return this.injections.length - this.pending;
  }
}

/**
 * `sensorId|observedAt` of the first reading of a payload (one reading or an array of them), read
 * from its head without parsing the rest: how the broker reference matches a delivered message
 * with its publish.
 */
export function firstReadingKey(payload: Buffer | string): string | null {
  const head =
    typeof payload === 'string'
      ? payload.slice(0, 240)
      : payload.toString('latin1', 0, Math.min(payload.length, 240));
  const m = /"sensorId":"([^"]+)","observedAt":(\d+)/.exec(head);
  return m ? `${m[1]}|${m[2]}` : null;
}
