import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { REJECTIONS_TOPIC_PREFIX } from '@shared/version';
import type { IngestService } from '../services/ingest.service';
import { ingestMqttMessage, isReadingsTopic } from './mqttIngest';

export interface EmbeddedBroker {
  /** The port the broker listens on (useful when started on port 0). */
  readonly port: number;
  /** Connected MQTT clients. */
  clients(): number;
  health(): { ok: boolean; detail: string };
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  ingest: IngestService;
  log: (level: 'info' | 'warn' | 'error', message: string, extra?: Record<string, unknown>) => void;
}

/**
 * The in-process MQTT broker (aedes). A publish on `cityops/v1/readings/{id}`
 * is ingested inside the broker's authorizePublish hook, which runs before
 * aedes writes the PUBACK: for QoS 1 the PUBACK therefore means "stored".
 * While a message is being stored aedes reads no further packets from that
 * client, which is the broker's back-pressure on a fast publisher.
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker({
    authorizePublish: (client, packet, callback) => {
      const topic = packet.topic;
      if (topic.startsWith('$SYS') || topic.startsWith(REJECTIONS_TOPIC_PREFIX)) {
        return callback(new Error(`${topic} is reserved for the platform`));
      }
      if (!isReadingsTopic(topic)) return callback(null);
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      ingestMqttMessage(options.ingest, topic, payload).then(
        ({ rejectionReport }) => {
          if (rejectionReport) {
            broker.publish(
              {
                cmd: 'publish',
                topic: rejectionReport.topic,
                payload: rejectionReport.payload,
                qos: 0,
                retain: false,
                dup: false,
              },
              () => {},
            );
          }
          callback(null);
        },
        (err: unknown) => {
          // Not stored: refuse the publish so the client keeps (and resends) its QoS 1 message.
          options.log('error', 'MQTT ingest failed; message not acknowledged', {
            clientId: client?.id,
            err: (err as Error).message,
          });
          callback(err as Error);
        },
      );
    },
  });

  broker.on('clientError', (client, err) => {
    options.log('warn', 'MQTT client error', { clientId: client.id, err: err.message });
  });

  const server: Server = createServer(broker.handle);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    // Release the broker's timers so a failed start leaves nothing running.
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw err;
  }
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    clients: () => broker.connectedClients,
    health: () =>
      server.listening && !broker.closed
        ? { ok: true, detail: `embedded broker on port ${port}, ${broker.connectedClients} clients` }
        : { ok: false, detail: 'embedded broker is not listening' },
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
