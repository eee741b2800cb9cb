import { METRICS, isMetricId } from '@shared/metrics';
import type { Sensor } from '@shared/schemas/sensor.schema';

/** One generated reading: its identity (for latency bookkeeping) and its wire JSON. */
export interface GeneratedReading {
  sensorId: string;
  /** Epoch ms; unique per sensor over the whole bench run. */
  observedAt: number;
  json: string;
}

interface MetricPlan {
  key: string;
  min: number;
  span: number;
  /** 0/1 metrics (lamp on, feeder online) get 0 or 1, never a fraction. */
  bool: boolean;
  decimals: number;
}

interface SensorPlan {
  id: string;
  /** `{"sensorId":"…","observedAt":` — the constant head of every reading of this sensor. */
  head: string;
  metrics: MetricPlan[];
  /** Readings generated so far: the sensor's next observedAt is `baseMs + issued`. */
  issued: number;
}

/**
 * Plausible readings of the city pack's real sensors, in round-robin order.
 * Values fall inside each metric's catalogued range (10–50 % of the span, so
 * nothing is refused as out_of_range). Observation times start an hour ago and
 * advance one millisecond per reading of a sensor: every (sensor, observedAt)
 * is new to the store, and none is in the future while fewer than ~3.6 million
 * readings of one sensor are issued.
 */
export class ReadingFactory {
  private readonly plans: SensorPlan[];
  private cursor = 0;
  private readonly baseMs: number;

  constructor(sensors: readonly Sensor[], now: number = Date.now()) {
    if (sensors.length === 0) throw new Error('the city pack has no sensors to generate readings for');
    this.baseMs = now - 3_600_000;
    this.plans = sensors.map((s) => ({
      id: s.id,
      head: `{"sensorId":${JSON.stringify(s.id)},"observedAt":`,
      metrics: s.metrics.map(({ metric }) => {
        if (!isMetricId(metric))
          throw new Error(`sensor ${s.id} reports ${metric}, which is not in the metric catalog`);
        const info = METRICS[metric];
        const span = info.max - info.min;
        return {
          key: JSON.stringify(metric),
          min: info.min,
          span,
          bool: info.unit === 'bool',
          decimals: span <= 1 ? 3 : 1,
        };
      }),
      issued: 0,
    }));
  }

  get sensorCount(): number {
    return this.plans.length;
  }

  /** The next reading, cycling through the sensors. */
  next(): GeneratedReading {
    const plan = this.plans[this.cursor]!;
    this.cursor = (this.cursor + 1) % this.plans.length;
    const observedAt = this.baseMs + plan.issued++;
    if (observedAt > Date.now())
      throw new Error(`sensor ${plan.id} ran out of past timestamps; shorten the bench`);
    let values = '';
    for (const m of plan.metrics) {
      const v = m.bool
        ? Math.random() < 0.5
          ? 0
          : 1
        : (m.min + m.span * (0.1 + 0.4 * Math.random())).toFixed(m.decimals);
      values += `${values ? ',' : ''}${m.key}:${v}`;
    }
    return { sensorId: plan.id, observedAt, json: `${plan.head}${observedAt},"values":{${values}}}` };
  }

  /** `count` readings as a JSON array text, with their identities. */
  batch(count: number): { readings: GeneratedReading[]; json: string } {
    const readings: GeneratedReading[] = [];
    for (let i = 0; i < count; i++) readings.push(this.next());
    return { readings, json: `[${readings.map((r) => r.json).join(',')}]` };
  }
}
