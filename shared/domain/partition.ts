/**
 * Which partition of a cluster a sensor belongs to (docs/DEPLOYMENT.md). The node holding a
 * partition's lease judges its sensors' readings; devices of a cluster behind an external
 * broker publish on the partition's topics so that the partition's MQTT session, which moves
 * with the lease, holds their messages. Devices, gateways and the simulator compute it the same way.
 */

/** FNV-1a, 32 bits: a stable, well-spread hash of a string. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function partitionOf(sensorId: string, partitions: number): number {
  return fnv1a(sensorId) % partitions;
}
