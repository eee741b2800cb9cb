import { gatewayIdFromTopic, REJECTIONS_TOPIC_PREFIX, sensorIdFromTopic } from '@shared/version';
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
): Promise<MqttIngestResult> {
  const topicSensorId = sensorIdFromTopic(topic) ?? undefined;
  const outcome = await ingest.ingestMqttPayload(payload, { topicSensorId });
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
