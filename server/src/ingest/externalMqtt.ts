import mqtt, { type MqttClient } from 'mqtt';
import { GATEWAY_TOPIC_FILTER, READINGS_TOPIC_FILTER, withoutPartition } from '@shared/version';
import type { IngestService } from '../services/ingest.service';
import { ingestMqttMessage, isReadingsTopic } from './mqttIngest';

export interface ExternalMqttIngest {
  health(): { ok: boolean; detail: string };
  close(): Promise<void>;
}

export interface ExternalMqttOptions {
  url: string;
  /** The persistent session's id: in a cluster, one per lease (a partition's, the leader's). */
  clientId: string;
  /** Topics to take (default: every sensor's and gateway's readings topic). */
  filters?: readonly string[];
  ingest: IngestService;
  log: (level: 'info' | 'warn' | 'error', message: string, extra?: Record<string, unknown>) => void;
}

/**
 * Subscribe to an external broker (MQTT_URL) instead of embedding one. The
 * session is persistent (clean: false, QoS 1), so the broker keeps messages
 * while the server is down; each message is acknowledged to the broker only
 * after its readings are stored (mqtt.js sends the PUBACK when `handleMessage`
 * calls back). The device's own PUBACK comes from that broker, which holds the
 * message until then.
 */
export async function startExternalMqttIngest(options: ExternalMqttOptions): Promise<ExternalMqttIngest> {
  let client: MqttClient | null = null;
  let lastError = '';
  client = mqtt.connect(options.url, {
    clientId: options.clientId,
    clean: false,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    resubscribe: true,
  });
  // `handleMessage` (not `customHandleAcks`, which mqtt.js honours only over MQTT 5) works with any
  // broker: mqtt.js sends the PUBACK of a QoS 1 message once it calls back.
  client.handleMessage = (packet, callback) => {
    // A partition's topics carry the plain topic after `p/{partition}/`.
    const topic = withoutPartition(packet.topic);
    if (!isReadingsTopic(topic)) return callback();
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    ingestMqttMessage(options.ingest, topic, payload).then(
      ({ rejectionReport }) => {
        if (rejectionReport) client?.publish(rejectionReport.topic, rejectionReport.payload, { qos: 0 });
        callback();
      },
      (err: unknown) => {
        // Not stored: drop the connection without acknowledging; the broker redelivers after reconnect.
        options.log('error', 'MQTT ingest failed; message not acknowledged', { err: (err as Error).message });
        client?.stream.destroy();
      },
    );
  };
  client.on('connect', (connack) => {
    // mqtt.js resubscribes by itself after a reconnect that lost the session (`resubscribe`).
    options.log('info', 'connected to external MQTT broker', {
      url: options.url,
      sessionPresent: connack.sessionPresent,
    });
  });
  client.on('error', (err) => {
    lastError = err.message;
    options.log('warn', 'external MQTT error', { err: err.message });
  });
  client.on('offline', () => options.log('warn', 'external MQTT broker offline; reconnecting'));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Give up for good: a client left reconnecting would later take the session from its owner.
      client?.end(true);
      reject(new Error(`could not connect to ${options.url}: ${lastError || 'timeout'}`));
    }, 10_000);
    client?.once('connect', () => {
      clearTimeout(timer);
      // Wait for the subscription so no message published after start is missed.
      client?.subscribe(
        [...(options.filters ?? [READINGS_TOPIC_FILTER, GATEWAY_TOPIC_FILTER])],
        { qos: 1 },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  });

  return {
    health: () =>
      client?.connected
        ? { ok: true, detail: `subscribed at ${options.url}` }
        : { ok: false, detail: `not connected to ${options.url}${lastError ? `: ${lastError}` : ''}` },
    close: () =>
      new Promise<void>((resolve) => (client ? client.end(false, {}, () => resolve()) : resolve())),
  };
}
