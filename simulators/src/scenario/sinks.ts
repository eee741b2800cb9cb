import { createWriteStream, type WriteStream } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { MAX_READINGS_PER_BATCH } from '@shared/schemas/reading.schema';
import { gatewayTopic, REJECTIONS_TOPIC_PREFIX } from '@shared/version';
import type { Emission } from './generate';

/** Where generated messages go: a live server (MQTT or HTTP) or a file. */
export interface Sink {
  /** Send one step's messages, in order; resolves when the receiver acknowledged them. */
  send(emissions: readonly Emission[]): Promise<void>;
  /** Messages and readings sent, readings the receiver refused (as far as it tells). */
  stats(): { messages: number; readings: number; rejected: number };
  close(): Promise<void>;
}

/** A device credential `<id>.<secret>` split in two. */
export function splitDeviceKey(key: string): { id: string; secret: string } {
  const dot = key.indexOf('.');
  return { id: key.slice(0, dot), secret: key.slice(dot + 1) };
}

/**
 * Publishes as a gateway on `cityops/v1/gateways/{gateway}/readings` (QoS 1, batches of
 * readings; a malformed payload goes alone, as a faulty device would send it) and counts
 * the refusals the server reports on `cityops/v1/rejections/{gateway}`.
 */
export async function mqttSink(options: {
  url: string;
  /** The gateway's device credential: id (MQTT username) and secret (password). */
  username: string;
  password: string;
  gateway: string;
  batch?: number;
}): Promise<Sink> {
  const client: MqttClient = await mqtt.connectAsync(options.url, {
    clientId: `cityops-sim-${options.gateway}-${process.pid}`,
    username: options.username,
    password: options.password,
    reconnectPeriod: 1000,
  });
  const stats = { messages: 0, readings: 0, rejected: 0 };
  client.on('message', (_topic, payload) => {
    try {
      const report = JSON.parse(payload.toString()) as { rejected?: unknown[] };
      stats.rejected += Array.isArray(report.rejected) ? report.rejected.length : 0;
    } catch {
      // Not a report we understand: nothing to count.
    }
  });
  await client.subscribeAsync(`${REJECTIONS_TOPIC_PREFIX}${options.gateway}`, { qos: 0 });
  const topic = gatewayTopic(options.gateway);
  const max = Math.min(options.batch ?? 1000, MAX_READINGS_PER_BATCH);
  return {
    async send(emissions) {
      // Counted when the broker acknowledges (QoS 1), so a summary never claims what did not arrive.
      const pending: Array<Promise<unknown>> = [];
      const publish = (payload: string, readings: number) =>
        pending.push(
          client.publishAsync(topic, payload, { qos: 1 }).then(() => {
            stats.messages++;
            stats.readings += readings;
          }),
        );
      let batch: string[] = [];
      const flush = () => {
        if (batch.length === 0) return;
        publish(`[${batch.join(',')}]`, batch.length);
        batch = [];
      };
      for (const e of emissions) {
        if (e.reading === null) {
          flush();
          publish(e.line, 0);
          continue;
        }
        batch.push(e.line);
        if (batch.length >= max) flush();
      }
      flush();
      await Promise.all(pending);
    },
    stats: () => ({ ...stats }),
    close: () => client.endAsync(),
  };
}

/**
 * Posts batches to `POST /api/v1/readings` with the device key (`X-Device-Key`); the answer
 * says what was refused. A malformed payload is posted alone as the body a faulty device
 * would send.
 */
export function httpSink(options: { url: string; key: string; batch?: number }): Sink {
  const stats = { messages: 0, readings: 0, rejected: 0 };
  const endpoint = new URL('/api/v1/readings', options.url).toString();
  const max = Math.min(options.batch ?? 1000, MAX_READINGS_PER_BATCH);
  // Counted once the server answered, so a summary never claims what did not arrive.
  const post = async (body: string, readings: number) => {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-device-key': options.key },
      body,
    });
    const answer = (await res.json().catch(() => null)) as { rejected?: unknown[] } | null;
    if (res.status === 503 || res.status === 429)
      throw new Error(`${endpoint} answered ${res.status}: the server is shedding load`);
    stats.messages++;
    stats.readings += readings;
    if (res.ok) stats.rejected += Array.isArray(answer?.rejected) ? answer.rejected.length : 0;
    else stats.rejected += Math.max(1, readings);
  };
  return {
    async send(emissions) {
      let batch: string[] = [];
      for (const e of emissions) {
        if (e.reading === null) {
          if (batch.length) await post(`{"readings":[${batch.join(',')}]}`, batch.length);
          batch = [];
          await post(e.line, 0);
          continue;
        }
        batch.push(e.line);
        if (batch.length >= max) {
          await post(`{"readings":[${batch.join(',')}]}`, batch.length);
          batch = [];
        }
      }
      if (batch.length) await post(`{"readings":[${batch.join(',')}]}`, batch.length);
    },
    stats: () => ({ ...stats }),
    close: async () => {},
  };
}

/** Writes every message as one line (a reading's JSON, or a malformed payload as sent). */
export function fileSink(file: string): Sink {
  const out: WriteStream = createWriteStream(file);
  const stats = { messages: 0, readings: 0, rejected: 0 };
  return {
    async send(emissions) {
      if (emissions.length === 0) return;
      let text = '';
      for (const e of emissions) {
        text += `${e.line.replace(/\n/g, '\\n')}\n`;
        stats.messages++;
        if (e.reading) stats.readings++;
      }
      if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    },
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((resolve, reject) =>
        out.end((err?: Error | null) => (err ? reject(err) : resolve())),
      ),
  };
}
