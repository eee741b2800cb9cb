import type { GeneratedReading, ReadingFactory } from '../../simulators/src/load/readingFactory';

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

/** What one message carries: its readings, and the breaches among them with their send time. */
export interface BuiltMessage {
  readings: GeneratedReading[];
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
    private readonly readings: ReadingFactory,
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
