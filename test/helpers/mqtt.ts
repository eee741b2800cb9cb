import { randomUUID } from 'node:crypto';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { z } from 'zod';
import { RejectedReadingSchema } from '../../shared/schemas/ingest.schema';
import { REJECTIONS_TOPIC_PREFIX } from '../../shared/version';
import { deviceFor } from './auth';

/** A client id no other test run uses (sessions on a shared broker must never collide). */
export function uniqueClientId(prefix = 'cityops-test'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * Connect a real mqtt.js client; no automatic reconnection, so a broken
 * connection fails the test. It presents the test gateway's credential of that
 * broker (issued by startTestServer) unless `options` bring their own.
 */
export function connectMqtt(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const device = deviceFor(url);
  return connectAsync(url, {
    clientId: uniqueClientId(),
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...(device ? { username: device.username, password: device.password } : {}),
    ...options,
  });
}

/**
 * Publish `payload` as JSON with QoS 1 and resolve on the broker's PUBACK
 * (for the embedded broker that means the readings are stored).
 */
export async function publishJson(client: MqttClient, topic: string, payload: unknown): Promise<void> {
  await client.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
}

/**
 * Remove a persistent session from the broker: connect with the same client id
 * and a clean session, then leave. Keeps the shared broker from queueing
 * readings for a server that will never come back.
 */
export async function dropSession(url: string, clientId: string): Promise<void> {
  const client = await connectMqtt(url, { clientId, clean: true });
  await client.endAsync();
}

/** What the platform publishes on `cityops/v1/rejections/{id}` for a message with refusals (see server/src/ingest/mqttIngest.ts). */
export const RejectionReportSchema = z
  .object({
    v: z.literal('v1'),
    /** The topic the refused message came on. */
    topic: z.string(),
    accepted: z.number().int().nonnegative(),
    rejected: z.array(RejectedReadingSchema).min(1),
  })
  .strict();
export type RejectionReport = z.infer<typeof RejectionReportSchema>;

/** A client subscribed to every rejection report, and the reports it received, checked against the contract. */
export interface RejectionWatcher {
  client: MqttClient;
  /** In the order they arrived (the broker's order of publishing); callers may empty it. */
  reports: Array<{ topic: string; report: RejectionReport }>;
}

/** Connect a client that watches every rejection report (QoS 1) of the broker at `url`. */
export async function watchRejections(url: string): Promise<RejectionWatcher> {
  const client = await connectMqtt(url);
  const reports: RejectionWatcher['reports'] = [];
  client.on('message', (topic, payload) => {
    reports.push({ topic, report: RejectionReportSchema.parse(JSON.parse(payload.toString('utf8'))) });
  });
  await client.subscribeAsync(`${REJECTIONS_TOPIC_PREFIX}#`, { qos: 1 });
  return { client, reports };
}
