import mqtt, { type MqttClient } from 'mqtt';
import type { ReadingInput } from '@shared/schemas/reading.schema';
import type { Sensor } from '@shared/schemas/sensor.schema';
import { gatewayTopic } from '@shared/version';
import { cityDayValues } from './cityDay.generator';
import { hashString } from './noise';

export interface FeedOptions {
  /** Broker to publish to, e.g. mqtt://127.0.0.1:1883. */
  mqttUrl: string;
  /** Device credential id (MQTT username) of the gateway the feed publishes as. */
  username?: string;
  /** Its secret (MQTT password). */
  password?: string;
  sensors: readonly Sensor[];
  seed?: number;
  /** Gateway id the feed publishes as (topic cityops/v1/gateways/{id}/readings). */
  gatewayId?: string;
  /** Start the simulated clock this far in the past and run faster until it reaches now, ms. */
  backfillMs?: number;
  /** Speed of the simulated clock while it is behind real time (1 = real time). */
  catchUpSpeed?: number;
  /** How often the feed wakes up to publish what became due, ms. */
  tickMs?: number;
  /** Most readings per MQTT message. */
  maxBatch?: number;
  clock?: () => number;
  onError?: (err: Error) => void;
}

export interface Feed {
  stats(): { published: number; messages: number; simTime: number };
  stop(): Promise<void>;
}

/**
 * The built-in simulated feed: every sensor reports at its own interval
 * (staggered so they do not all report at once) with plain city-day values,
 * published through MQTT like any gateway — the platform's real ingest path.
 */
export async function startFeed(options: FeedOptions): Promise<Feed> {
  const clock = options.clock ?? Date.now;
  const seed = options.seed ?? 20261121;
  const tickMs = options.tickMs ?? 250;
  const maxBatch = options.maxBatch ?? 1000;
  const speed = options.catchUpSpeed ?? 1;
  const topic = gatewayTopic(options.gatewayId ?? 'simulator');
  const realStart = clock();
  const simStart = realStart - (options.backfillMs ?? 0);
  const simNow = () => Math.min(simStart + (clock() - realStart) * speed, clock());

  // Next due observation time per sensor; phases spread by a hash of the id.
  const next = options.sensors.map((s) => {
    const period = s.reportIntervalSec * 1000;
    const phase = hashString(s.id) % period;
    const first = simStart - (simStart % period) + phase;
    return first < simStart ? first + period : first;
  });

  const client: MqttClient = await mqtt.connectAsync(options.mqttUrl, {
    clientId: `cityops-sim-${process.pid}-${seed}`,
    reconnectPeriod: 1000,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
  });
  let published = 0;
  let messages = 0;
  let stopped = false;

  const tick = () => {
    if (stopped) return;
    const now = simNow();
    let batch: ReadingInput[] = [];
    const flush = () => {
      if (batch.length === 0) return;
      const payload = JSON.stringify(batch);
      published += batch.length;
      messages += 1;
      batch = [];
      client.publish(topic, payload, { qos: 1 }, (err) => {
        if (err && !stopped) options.onError?.(err);
      });
    };
    for (let i = 0; i < options.sensors.length; i++) {
      const sensor = options.sensors[i]!;
      const period = sensor.reportIntervalSec * 1000;
      while (next[i]! <= now) {
        const t = next[i]!;
        batch.push({ sensorId: sensor.id, observedAt: t, values: cityDayValues(sensor, t, { seed }) });
        next[i] = t + period;
        if (batch.length >= maxBatch) flush();
      }
    }
    flush();
  };
  const timer = setInterval(tick, tickMs);
  tick();

  return {
    stats: () => ({ published, messages, simTime: simNow() }),
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await client.endAsync(true);
    },
  };
}
