import mqtt, { type MqttClient } from 'mqtt';
import type { Sensor } from '@shared/schemas/sensor.schema';
import { partitionOf } from '@shared/domain/partition';
import { gatewayTopic, partitionedTopic, readingsTopic } from '@shared/version';
import { splitDeviceKey } from '../scenario/sinks';
import { ReadingFactory, type GeneratedReading } from './readingFactory';

export interface LoadOptions {
  /** Broker URL (the server's embedded broker or the external one it subscribes to). */
  url: string;
  /** Gateway device key `<id>.<secret>` covering the sensors. */
  key: string;
  gateway: string;
  /** Sensors to report for (round robin). */
  sensors: readonly Sensor[];
  /** Offered readings per second. */
  rate: number;
  durationSec: number;
  /** `batched`: arrays of `batch` readings on the gateway topic; `single`: one reading per message on its sensor's topic. */
  mode: 'batched' | 'single';
  batch: number;
  /** Most unacknowledged QoS 1 messages; beyond it the generator records that it fell behind. */
  maxInFlight?: number;
  tickMs?: number;
  onProgress?: (p: LoadStats) => void;
  /**
   * A cluster's partitions behind an external broker (docs/DEPLOYMENT.md): each message goes
   * to its sensors' partition topic (`cityops/v1/p/{n}/…`); a batch is split per partition.
   */
  partitions?: number;
  /** Readings the broker acknowledged (PUBACK), for a test's ledger of what is owed. */
  onAcked?: (readings: ReadonlyArray<{ sensorId: string; observedAt: number }>) => void;
  /**
   * Breaching readings to send during the run: each at `atMs` after the start, as one message
   * of its own (the rest of the sensor's readings stay quiet).
   */
  breaches?: ReadonlyArray<{ atMs: number; sensorId: string; values: Record<string, number> }>;
}

export interface LoadStats {
  elapsedMs: number;
  offered: number;
  sent: number;
  acknowledged: number;
  messages: number;
  /** Readings not sent because too many messages were unacknowledged (the receiver is slower than the rate). */
  behind: number;
  failed: number;
}

/**
 * Open-loop load at a fixed offered rate (readings per second) of a quiet city's current
 * readings (ReadingFactory): every tick sends what became due, as batched gateway messages or
 * single-reading messages, QoS 1. It never queues more
 * than `maxInFlight` unacknowledged messages: what it could not send is counted as `behind`,
 * so an overloaded receiver shows as a gap between offered and acknowledged.
 */
export async function runLoad(options: LoadOptions): Promise<LoadStats> {
  const { id, secret } = splitDeviceKey(options.key);
  const client: MqttClient = await mqtt.connectAsync(options.url, {
    clientId: `cityops-load-${process.pid}`,
    username: id,
    password: secret,
    reconnectPeriod: 0,
  });
  const factory = new ReadingFactory(options.sensors);
  const tickMs = options.tickMs ?? 50;
  const maxInFlight = options.maxInFlight ?? (options.mode === 'single' ? 2000 : 64);
  const perMessage = options.mode === 'single' ? 1 : Math.max(1, options.batch);
  const gateway = gatewayTopic(options.gateway);
  const stats: LoadStats = {
    elapsedMs: 0,
    offered: 0,
    sent: 0,
    acknowledged: 0,
    messages: 0,
    behind: 0,
    failed: 0,
  };
  let inFlight = 0;
  const publish = (topic: string, readings: readonly GeneratedReading[], payload: string) => {
    inFlight++;
    stats.messages++;
    stats.sent += readings.length;
    client.publish(topic, payload, { qos: 1 }, (err) => {
      inFlight--;
      if (err) stats.failed += readings.length;
      else {
        stats.acknowledged += readings.length;
        options.onAcked?.(readings);
      }
    });
  };
  const partitions = options.partitions;
  /** One batch, or one message per partition of its sensors. */
  const publishBatch = (readings: readonly GeneratedReading[]) => {
    if (!partitions) return publish(gateway, readings, `[${readings.map((r) => r.json).join(',')}]`);
    const byPartition = new Map<number, GeneratedReading[]>();
    for (const r of readings) {
      const p = partitionOf(r.sensorId, partitions);
      const list = byPartition.get(p);
      if (list) list.push(r);
      else byPartition.set(p, [r]);
    }
    for (const [p, list] of byPartition)
      publish(partitionedTopic(p, gateway), list, `[${list.map((r) => r.json).join(',')}]`);
  };
  const sensorTopic = (sensorId: string) =>
    partitions
      ? partitionedTopic(partitionOf(sensorId, partitions), readingsTopic(sensorId))
      : readingsTopic(sensorId);
  const breaches = [...(options.breaches ?? [])].sort((a, b) => a.atMs - b.atMs);
  let nextBreach = 0;
  const start = Date.now();
  const endAt = start + options.durationSec * 1000;
  let lastProgress = start;
  let valuesAt = start;
  try {
    for (;;) {
      const now = Math.min(Date.now(), endAt);
      const due = Math.floor(((now - start) / 1000) * options.rate);
      while (stats.offered < due) {
        const n = Math.min(perMessage, due - stats.offered);
        stats.offered += n;
        if (inFlight >= maxInFlight) {
          stats.behind += n;
          continue;
        }
        if (n === 1 && options.mode === 'single') {
          const r = factory.next();
          publish(sensorTopic(r.sensorId), [r], r.json);
        } else publishBatch(factory.batch(n).readings);
      }
      while (nextBreach < breaches.length && breaches[nextBreach]!.atMs <= now - start) {
        const b = breaches[nextBreach++]!;
        const r = factory.breach(b.sensorId, b.values);
        publish(sensorTopic(r.sensorId), [r], r.json);
      }
      stats.elapsedMs = Date.now() - start;
      // The city's quiet values move with the time of day: take them again every half minute.
      if (now - valuesAt >= 30_000) {
        factory.refresh(now);
        valuesAt = now;
      }
      if (options.onProgress && Date.now() - lastProgress >= 1000) {
        lastProgress = Date.now();
        options.onProgress({ ...stats });
      }
      if (now >= endAt) break;
      await new Promise((r) => setTimeout(r, tickMs));
    }
    // Let the last messages be acknowledged (at most 10 s).
    const drainUntil = Date.now() + 10_000;
    while (inFlight > 0 && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
    stats.elapsedMs = Date.now() - start;
    return { ...stats };
  } finally {
    await client.endAsync();
  }
}
