/** Min/max/sum/count of one metric of one sensor over one bucket. */
export interface RollupCell {
  sensorId: string;
  metric: string;
  /** Bucket start, epoch ms. */
  bucket: number;
  min: number;
  max: number;
  sum: number;
  count: number;
}

interface OpenBuckets {
  minute: RollupCell;
  hour: RollupCell;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

const cell = (sensorId: string, metric: string, bucket: number, v: number): RollupCell => ({
  sensorId,
  metric,
  bucket,
  min: v,
  max: v,
  sum: 0,
  count: 0,
});

function add(c: RollupCell, v: number): void {
  if (v < c.min) c.min = v;
  if (v > c.max) c.max = v;
  c.sum += v;
  c.count += 1;
}

/**
 * 1-minute and 1-hour rollups of readings not yet written, kept as one open
 * bucket per (sensor, metric). A reading in another bucket closes the open one
 * (readings mostly arrive in time order, so this is rare and cheap). The same
 * bucket may therefore appear more than once in `drain()`; the store merges
 * cells with min/max/sum/count upserts, so that is correct, and it spares the
 * hot path a string key per metric per reading.
 */
export class RollupAccumulator {
  private readonly open = new Map<string, Map<string, OpenBuckets>>();
  private closedMinutes: RollupCell[] = [];
  private closedHours: RollupCell[] = [];

  add(sensorId: string, observedAt: number, values: Readonly<Record<string, number>>): void {
    const minute = observedAt - (observedAt % MINUTE);
    const hour = observedAt - (observedAt % HOUR);
    let bySensor = this.open.get(sensorId);
    if (!bySensor) this.open.set(sensorId, (bySensor = new Map()));
    for (const metric in values) {
      const v = values[metric]!;
      let b = bySensor.get(metric);
      if (!b) {
        b = { minute: cell(sensorId, metric, minute, v), hour: cell(sensorId, metric, hour, v) };
        bySensor.set(metric, b);
      }
      if (b.minute.bucket !== minute) {
        this.closedMinutes.push(b.minute);
        b.minute = cell(sensorId, metric, minute, v);
      }
      if (b.hour.bucket !== hour) {
        this.closedHours.push(b.hour);
        b.hour = cell(sensorId, metric, hour, v);
      }
      add(b.minute, v);
      add(b.hour, v);
    }
  }

  /** Everything accumulated since the last drain, then start empty. */
  drain(): { minutes: RollupCell[]; hours: RollupCell[] } {
    return this.drainSome(Number.POSITIVE_INFINITY);
  }

  /**
   * The closed buckets, plus the open buckets of the `sensors` sensors whose
   * buckets have been open longest. Called every few seconds with a share of
   * the sensors, it writes every open bucket within a bounded time while each
   * write stays small: one large flush of all open buckets held the writer
   * for tens of milliseconds and showed in the acknowledgement tail.
   */
  drainSome(sensors: number): { minutes: RollupCell[]; hours: RollupCell[] } {
    const minutes = this.closedMinutes;
    const hours = this.closedHours;
    let taken = 0;
    // Map iteration follows insertion order and a drained sensor is re-inserted at the end
    // on its next reading, so taking from the front is a round-robin over sensors.
    for (const [sensorId, bySensor] of this.open) {
      if (taken >= sensors) break;
      for (const b of bySensor.values()) {
        minutes.push(b.minute);
        hours.push(b.hour);
      }
      this.open.delete(sensorId);
      taken += 1;
    }
    this.closedMinutes = [];
    this.closedHours = [];
    return { minutes, hours };
  }

  /**
   * Hold again cells a drain returned that could not be written. They join the closed
   * buckets: the store merges cells of one bucket, so an open bucket drained and restored
   * while new readings opened it again is still counted once per reading.
   */
  restore(drained: { minutes: readonly RollupCell[]; hours: readonly RollupCell[] }): void {
    for (const c of drained.minutes) this.closedMinutes.push(c);
    for (const c of drained.hours) this.closedHours.push(c);
  }

  /** Sensors with open buckets. */
  openSensors(): number {
    return this.open.size;
  }

  /**
   * A lower bound of the observation time of everything still held (the
   * earliest bucket start), or null when nothing is held.
   */
  oldestHeld(): number | null {
    let min: number | null = null;
    const consider = (t: number) => {
      if (min === null || t < min) min = t;
    };
    for (const c of this.closedHours) consider(c.bucket);
    for (const bySensor of this.open.values()) for (const b of bySensor.values()) consider(b.hour.bucket);
    return min;
  }
}
