import mqtt, { type MqttClient } from 'mqtt';
import { deviceFor } from '../helpers/auth';

/** One MQTT message to publish and how many readings it carries. */
export interface BenchMessage {
  topic: string;
  payload: string;
  readings: number;
}

export interface WindowedLoad {
  publishers: number;
  /** Most un-acknowledged QoS 1 messages per publisher. */
  window: number;
  durationMs: number;
  /** The next message for publisher `index`. */
  nextMessage(index: number): BenchMessage;
}

export interface LoadResult {
  /** Messages acknowledged with a PUBACK (for this broker: stored). */
  messages: number;
  /** Readings in the acknowledged messages. */
  readings: number;
  /** Messages whose publish failed (no PUBACK). */
  failed: number;
  /** From the first publish to the last acknowledgement, ms. */
  elapsedMs: number;
}

/** How long after the end of the load un-acknowledged messages may keep us waiting. */
const STALL_MS = 30_000;
/** Client ids must differ between loads: the broker drops a session whose id connects again. */
let runs = 0;

/** Connect a publisher as the bench's gateway (a device credential covering every sensor, issued at start). */
export async function connectPublisher(url: string, clientId: string): Promise<MqttClient> {
  const device = deviceFor(url);
  return mqtt.connectAsync(url, {
    clientId,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...(device ? { username: device.username, password: device.password } : {}),
  });
}

/**
 * Publish QoS 1 messages from several clients for a fixed time, each client
 * keeping at most `window` messages un-acknowledged: a new message goes out
 * only when one is acknowledged, so the rate measured is what the server
 * sustains, not what socket buffers swallow.
 */
export async function runWindowedLoad(url: string, load: WindowedLoad): Promise<LoadResult> {
  const run = ++runs;
  const clients = await Promise.all(
    Array.from({ length: load.publishers }, (_, i) =>
      connectPublisher(url, `bench-${process.pid}-${run}-${i}`),
    ),
  );
  const result: LoadResult = { messages: 0, readings: 0, failed: 0, elapsedMs: 0 };
  const started = performance.now();
  const deadline = started + load.durationMs;
  let lastAck = started;
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`publishers still waited for acknowledgements ${STALL_MS / 1000} s after the end`)),
      load.durationMs + STALL_MS,
    );
  });
  try {
    const done = Promise.all(
      clients.map(
        (client, index) =>
          new Promise<void>((resolve) => {
            let inFlight = 0;
            const send = () => {
              const msg = load.nextMessage(index);
              inFlight += 1;
              client.publish(msg.topic, msg.payload, { qos: 1 }, (err) => {
                inFlight -= 1;
                lastAck = performance.now();
                if (err) result.failed += 1;
                else {
                  result.messages += 1;
                  result.readings += msg.readings;
                }
                if (lastAck < deadline && !err) send();
                else if (inFlight === 0) resolve();
              });
            };
            for (let i = 0; i < load.window; i++) send();
          }),
      ),
    );
    await Promise.race([done, stalled]);
  } finally {
    clearTimeout(timer);
    await Promise.all(clients.map((c) => c.endAsync(true)));
  }
  result.elapsedMs = lastAck - started;
  return result;
}
