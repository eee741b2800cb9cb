import { randomUUID } from 'node:crypto';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
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
