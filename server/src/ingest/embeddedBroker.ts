import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type Client } from 'aedes';
import type { IngestService } from '../services/ingest.service';
import type { DeviceCredentialService, DeviceIdentity } from '../services/devices.service';
import type { DomainEvents } from '../services/events';
import { devicePublishAllowed, deviceSubscribeAllowed, ingestMqttMessage } from './mqttIngest';

export interface EmbeddedBroker {
  /** The port the broker listens on (useful when started on port 0). */
  readonly port: number;
  /** Connected MQTT clients. */
  clients(): number;
  /** Open TCP connections, the cap, and connections closed at once because the cap was reached. */
  connections(): { open: number; max: number; refused: number };
  health(): { ok: boolean; detail: string };
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  /** Open connections accepted at most (MQTT_MAX_CONNECTIONS); more are closed at once and counted. */
  maxConnections: number;
  /**
   * Largest MQTT packet read, bytes (the payload limit plus room for topic and headers): a packet
   * announcing more closes its connection before it is buffered, counted as `payload_too_large`.
   */
  maxPacketBytes: number;
  ingest: IngestService;
  devices: DeviceCredentialService;
  events: DomainEvents;
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
  // Which credential each connected client authenticated with (to check publishes and drop revoked ones).
  const deviceOf = new WeakMap<Client, DeviceIdentity>();
  const clientsOf = new Map<string, Set<Client>>();

  const broker = await Aedes.createBroker({
    // Every client is a device: username = credential id, password = secret.
    authenticate: (client, username, password, callback) => {
      const device =
        username && password ? options.devices.verify(username, password.toString('utf8')) : null;
      if (!device) {
        const err = Object.assign(new Error('bad device credential'), { returnCode: 4 });
        return callback(err as Parameters<typeof callback>[0], false);
      }
      deviceOf.set(client, device);
      let set = clientsOf.get(device.credentialId);
      if (!set) clientsOf.set(device.credentialId, (set = new Set()));
      set.add(client);
      callback(null, true);
    },
    authorizeSubscribe: (client, sub, callback) => {
      const device = client ? deviceOf.get(client) : undefined;
      if (!device || !deviceSubscribeAllowed(device, sub.topic)) {
        return callback(new Error(`${sub.topic} is not a topic of this device`), null);
      }
      callback(null, sub);
    },
    authorizePublish: (client, packet, callback) => {
      const topic = packet.topic;
      const device = client ? deviceOf.get(client) : undefined;
      if (!device || !options.devices.isLive(device.credentialId)) {
        return callback(new Error('the device credential is no longer valid'));
      }
      if (!devicePublishAllowed(device, topic)) {
        options.log('warn', 'MQTT publish refused: not a topic of this device', {
          clientId: client?.id,
          topic,
        });
        return callback(new Error(`${topic} is not a topic of this device`));
      }
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      ingestMqttMessage(options.ingest, topic, payload, device).then(
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

  broker.on('clientDisconnect', (client) => {
    const device = deviceOf.get(client);
    if (device) clientsOf.get(device.credentialId)?.delete(client);
  });
  // A revoked or rotated credential loses its open connections at once.
  const unsubscribe = options.events.on(
    'device.revoked',
    ({ credentialId }) => {
      for (const client of clientsOf.get(credentialId) ?? []) client.close();
      clientsOf.delete(credentialId);
    },
    // Revoked on another node of a cluster: this node's connections of it go too.
    { remote: true },
  );

  broker.on('clientError', (client, err) => {
    options.log('warn', 'MQTT client error', { clientId: client.id, err: err.message });
  });

  const server: Server = createServer((conn) => {
    const client = broker.handle(conn) as unknown as { _parser?: PacketParser };
    limitPacketSize(client._parser, options.maxPacketBytes, (bytes, limit) => {
      options.ingest.refuseOversized('mqtt', bytes, limit);
      options.log('warn', 'MQTT packet refused: larger than the limit', { bytes, limit });
    });
  });
  // Past the cap Node closes a new connection before aedes sees it, and says so with 'drop'.
  server.maxConnections = options.maxConnections;
  let open = 0;
  let refused = 0;
  let warnedAt = 0;
  server.on('connection', (socket) => {
    open += 1;
    socket.once('close', () => (open -= 1));
  });
  server.on('drop', () => {
    refused += 1;
    if (Date.now() - warnedAt > 60_000) {
      warnedAt = Date.now();
      options.log('warn', 'MQTT connection refused: the broker is at MQTT_MAX_CONNECTIONS', {
        max: options.maxConnections,
        refused,
      });
    }
  });
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
    connections: () => ({ open, max: options.maxConnections, refused }),
    health: () =>
      server.listening && !broker.closed
        ? { ok: true, detail: `embedded broker on port ${port}, ${broker.connectedClients} clients` }
        : { ok: false, detail: 'embedded broker is not listening' },
    close: async () => {
      unsubscribe();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Largest CONNECT packet read: before signing in a client gets no room for more than its ids, password and will. */
const MAX_CONNECT_BYTES = 64 * 1024;

/** mqtt-packet's parser (aedes keeps one per client as `_parser`), as far as the size guard uses it. */
interface PacketParser {
  packet: { cmd?: string; length: number };
  _parseLength(): boolean;
  _emitError(err: Error): void;
}

/**
 * Neither aedes nor mqtt-packet limits a packet's size: the parser buffers a whole packet (up to
 * MQTT's 256 MB, a CONNECT of a client that never signs in included) before anything looks at it.
 * This wraps the parser's length step: once a packet's remaining length is known and over `max`,
 * it fails the parse, and aedes closes the connection as for any malformed packet — after a few
 * header bytes, not after the whole packet. Throws at start if the parser no longer has that step,
 * so an upgrade of aedes or mqtt-packet cannot silently drop the limit.
 */
function limitPacketSize(
  parser: PacketParser | undefined,
  max: number,
  refused: (bytes: number, limit: number) => void,
): void {
  if (!parser || typeof parser._parseLength !== 'function' || typeof parser._emitError !== 'function') {
    throw new Error('the MQTT packet parser changed: cannot limit the packet size');
  }
  const parseLength = parser._parseLength.bind(parser);
  parser._parseLength = () => {
    const done = parseLength();
    // A CONNECT (sent before the device is known) carries ids and a password, not readings.
    const limit = parser.packet.cmd === 'connect' ? Math.min(max, MAX_CONNECT_BYTES) : max;
    if (!done || parser.packet.length <= limit) return done;
    refused(parser.packet.length, limit);
    parser._emitError(new Error(`MQTT packet of ${parser.packet.length} bytes; the limit is ${limit}`));
    return false;
  };
}
