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

/**
 * In a cluster behind an external broker, devices publish on their sensor's partition
 * (shared/domain/partition.ts): `cityops/v1/p/{partition}/readings/{sensorId}` and
 * `cityops/v1/p/{partition}/gateways/{gatewayId}/readings` (a gateway sends one message per
 * partition). The node holding the partition's lease holds its MQTT session.
 */
export const PARTITION_TOPIC_PREFIX = `cityops/${WIRE_VERSION}/p/` as const;

/** The topic filters of one partition. */
export function partitionTopicFilters(partition: number): string[] {
  return [
    `${PARTITION_TOPIC_PREFIX}${partition}/readings/+`,
    `${PARTITION_TOPIC_PREFIX}${partition}/gateways/+/readings`,
  ];
}

/** A readings or gateway topic moved into a partition. */
export function partitionedTopic(partition: number, topic: string): string {
  return `${PARTITION_TOPIC_PREFIX}${partition}/${topic.slice(`cityops/${WIRE_VERSION}/`.length)}`;
}

/** The plain topic of a partitioned one (`cityops/v1/p/3/readings/S1` → `cityops/v1/readings/S1`); others unchanged. */
export function withoutPartition(topic: string): string {
  if (!topic.startsWith(PARTITION_TOPIC_PREFIX)) return topic;
  const rest = topic.slice(PARTITION_TOPIC_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || !/^\d+$/.test(rest.slice(0, slash))) return topic;
  return `cityops/${WIRE_VERSION}/${rest.slice(slash + 1)}`;
}
