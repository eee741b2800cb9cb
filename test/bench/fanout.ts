import type { ReadingsBatch } from '../../shared/schemas/live.schema';
import { connectClient, type TestSocket as LiveSocket } from '../helpers/socket';
import { connectPublisher } from './mqttLoad';
import type { ReadingFactory } from '../../simulators/src/load/readingFactory';
import { distribution, Samples, type Distribution } from './stats';
import { testGatewayTopic } from '../helpers/auth';

export interface FanoutLoad {
  clients: number;
  /** Readings published per second (through MQTT, QoS 1, on one gateway topic). */
  ratePerSec: number;
  /** Readings per MQTT message. */
  batchSize: number;
  durationMs: number;
}

export interface FanoutResult {
  /** Readings published (and acknowledged, i.e. stored). */
  published: number;
  /** Send → `readings:batch` arrival at a client, over every (reading, client) pair received, ms. */
  latencyMs: Distribution;
  /** Send → PUBACK (reading stored) per message, ms: the part of the latency before the push wait. */
  storedMs: Distribution;
  /** (reading, client) pairs expected: published × clients. */
  expected: number;
  /** Pushed items that matched no reading this row sent (should be 0). */
  unmatched: number;
  elapsedMs: number;
}

/**
 * Connect `clients` dashboards to the city room, publish readings at a steady
 * rate and time each reading from the publish call to its arrival in a
 * `readings:batch` at each client. Send times are kept per (sensorId,
 * observedAt) in this process, so both ends read the same clock.
 */
export async function runFanout(
  url: string,
  mqttUrl: string,
  factory: ReadingFactory,
  load: FanoutLoad,
): Promise<FanoutResult> {
  const sockets: LiveSocket[] = [];
  const sentAt = new Map<string, number>();
  const latency = new Samples();
  const stored: number[] = [];
  let unmatched = 0;
  const onBatch = (batch: ReadingsBatch) => {
    const now = performance.now();
    for (const item of batch.items) {
      const t = sentAt.get(`${item.sensorId}|${item.observedAt}`);
      if (t === undefined) unmatched += 1;
      else latency.push(now - t);
    }
  };
  const publisher = await connectPublisher(mqttUrl, `bench-fanout-${process.pid}`);
  try {
    // Connect a few at a time: 50 simultaneous snapshots would measure the handshake, not the fan-out.
    for (let i = 0; i < load.clients; i += 10) {
      const group = await Promise.all(
        Array.from({ length: Math.min(10, load.clients - i) }, () =>
          connectClient(url, { kind: 'city' }).then((c) => c.socket),
        ),
      );
      for (const s of group) {
        s.on('readings:batch', onBatch);
        sockets.push(s);
      }
    }
    // Let the snapshot traffic settle before timing anything.
    await new Promise((r) => setTimeout(r, 500));

    const topic = testGatewayTopic(mqttUrl);
    const total = Math.floor((load.ratePerSec * load.durationMs) / 1000 / load.batchSize) * load.batchSize;
    const meanGapMs = (1000 * load.batchSize) / load.ratePerSec;
    let published = 0;
    let acked = 0;
    let failed = 0;
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      publisher.once('error', reject);
      // Poisson arrivals (exponential gaps): devices are not synchronised with the server's push timer,
      // and a fixed period would lock the publish phase to it and bias the latency by a constant.
      let due = started;
      const tick = () => {
        const now = performance.now();
        while (due <= now && published < total) {
          const { readings, json } = factory.batch(load.batchSize);
          const t = performance.now();
          for (const r of readings) sentAt.set(`${r.sensorId}|${r.observedAt}`, t);
          published += readings.length;
          publisher.publish(topic, json, { qos: 1 }, (err) => {
            if (err) failed += 1;
            else {
              acked += readings.length;
              stored.push(performance.now() - t);
            }
          });
          due += -Math.log(1 - Math.random()) * meanGapMs;
        }
        if (published >= total) {
          publisher.off('error', reject);
          resolve();
        } else setTimeout(tick, Math.max(0, due - performance.now()));
      };
      tick();
    });
    // The last readings need one push interval (and a margin) to reach every client.
    const deadline = performance.now() + 10_000;
    while (acked + failed * load.batchSize < published && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 1000));
    if (failed > 0) throw new Error(`${failed} fan-out messages were not acknowledged`);
    return {
      published: acked,
      latencyMs: distribution(latency.toArray()),
      storedMs: distribution(stored),
      expected: acked * sockets.length,
      unmatched,
      elapsedMs: performance.now() - started,
    };
  } finally {
    for (const s of sockets) s.disconnect();
    await publisher.endAsync(true);
  }
}
