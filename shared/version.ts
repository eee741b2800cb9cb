/** Wire-format version carried in topics, URLs and socket payloads. */
export const WIRE_VERSION = 'v1' as const;
export type WireVersion = typeof WIRE_VERSION;

/** MQTT topic prefix for readings: `cityops/v1/readings/{sensorId}`. */
export const READINGS_TOPIC_PREFIX = `cityops/${WIRE_VERSION}/readings/` as const;
/** MQTT topic wildcard the server subscribes to. */
export const READINGS_TOPIC_FILTER = `${READINGS_TOPIC_PREFIX}+` as const;
/**
 * A gateway (or the simulator) publishing readings of many sensors in one
 * message: `cityops/v1/gateways/{gatewayId}/readings`.
 */
export const GATEWAY_TOPIC_PREFIX = `cityops/${WIRE_VERSION}/gateways/` as const;
export const GATEWAY_TOPIC_FILTER = `${GATEWAY_TOPIC_PREFIX}+/readings` as const;
/**
 * MQTT topic where the server reports why a device's payload was rejected:
 * `cityops/v1/rejections/{sensorId}` (or `_unknown` when no sensor id could be read).
 */
export const REJECTIONS_TOPIC_PREFIX = `cityops/${WIRE_VERSION}/rejections/` as const;

export function readingsTopic(sensorId: string): string {
  return `${READINGS_TOPIC_PREFIX}${sensorId}`;
}

/** The sensor id named by a readings topic, or null when the topic is not one. */
export function sensorIdFromTopic(topic: string): string | null {
  if (!topic.startsWith(READINGS_TOPIC_PREFIX)) return null;
  const rest = topic.slice(READINGS_TOPIC_PREFIX.length);
  return rest.length > 0 && !rest.includes('/') ? rest : null;
}

export function gatewayTopic(gatewayId: string): string {
  return `${GATEWAY_TOPIC_PREFIX}${gatewayId}/readings`;
}

/** The gateway id named by a gateway readings topic, or null when the topic is not one. */
export function gatewayIdFromTopic(topic: string): string | null {
  if (!topic.startsWith(GATEWAY_TOPIC_PREFIX) || !topic.endsWith('/readings')) return null;
  const id = topic.slice(GATEWAY_TOPIC_PREFIX.length, -'/readings'.length);
  return id.length > 0 && !id.includes('/') ? id : null;
}
