import { gatewayIdFromTopic, REJECTIONS_TOPIC_PREFIX, sensorIdFromTopic } from '@shared/version';
import type { DeviceIdentity } from '../services/devices.service';
import type { IngestOutcome, IngestService } from '../services/ingest.service';

/** What a transport does with a readings message once the platform has dealt with it. */
export interface MqttIngestResult {
  /** The outcome (counts and rejections) of the message. */
  outcome: IngestOutcome;
  /** A report for the device on `cityops/v1/rejections/{sensorId}`, when something was refused. */
  rejectionReport: { topic: string; payload: string } | null;
}

/**
 * Ingest one MQTT message from a readings topic, shared by the embedded broker
 * and the external-broker subscriber. Resolves once accepted readings are
 * durable; the transport acknowledges (PUBACK) only then.
 */
export async function ingestMqttMessage(
  ingest: IngestService,
  topic: string,
  payload: Buffer,
  device?: DeviceIdentity,
): Promise<MqttIngestResult> {
  const topicSensorId = sensorIdFromTopic(topic) ?? undefined;
  const outcome = await ingest.ingestMqttPayload(payload, { topicSensorId, device });
  if (!outcome.payload && outcome.rejected.length === 0) return { outcome, rejectionReport: null };
  const report = {
    v: 'v1',
    topic,
    accepted: outcome.accepted,
    rejected: outcome.payload ? [{ index: -1, path: '', ...outcome.payload }] : outcome.rejected,
  };
  return {
    outcome,
    rejectionReport: {
      topic: `${REJECTIONS_TOPIC_PREFIX}${topicSensorId ?? gatewayIdFromTopic(topic) ?? '_unknown'}`,
      payload: JSON.stringify(report),
    },
  };
}

/** True for the topics the platform ingests: a sensor's own topic or a gateway's. */
export function isReadingsTopic(topic: string): boolean {
  return sensorIdFromTopic(topic) !== null || gatewayIdFromTopic(topic) !== null;
}

/**
 * May this device publish on this topic? A sensor only on its own readings
 * topic; a gateway on its gateway topic and on the topics of the sensors it
 * covers. Anything else is refused.
 */
export function devicePublishAllowed(device: DeviceIdentity, topic: string): boolean {
  const sensorId = sensorIdFromTopic(topic);
  if (sensorId !== null) return device.covers(sensorId);
  const gatewayId = gatewayIdFromTopic(topic);
  return gatewayId !== null && device.kind === 'gateway' && device.subjectId === gatewayId;
}

/**
 * A device may subscribe to the rejection reports of its own topics; a wildcard
 * only when it covers every sensor anyway.
 */
export function deviceSubscribeAllowed(device: DeviceIdentity, topic: string): boolean {
  if (!topic.startsWith(REJECTIONS_TOPIC_PREFIX)) return false;
  const id = topic.slice(REJECTIONS_TOPIC_PREFIX.length);
  if (id === '#' || id === '+') return device.coversAll;
  if (id.includes('/') || id.includes('+') || id.includes('#')) return false;
  return id === device.subjectId || device.covers(id);
}
