import { z } from 'zod';

/** GET /api/v1/cluster: this node's part in the cluster (docs/DEPLOYMENT.md). */
export const ClusterStatusSchema = z.object({
  /** False on a single node (no REDIS_URL): it judges everything and leads itself. */
  clustered: z.boolean(),
  nodeId: z.string(),
  leader: z.boolean(),
  /** Partitions of the cluster (0 on a single node). */
  partitions: z.number().int().nonnegative(),
  /** Partitions whose sensors this node judges. */
  owned: z.array(z.number().int().nonnegative()),
  /** Nodes whose heartbeat is younger than a lease. */
  liveNodes: z.array(z.string()),
  /** When this node took each partition it holds (epoch ms), by partition. */
  takenAt: z.record(z.string(), z.number()),
  /** Cluster bus counts since start: reading batches published and read, events out and in. */
  bus: z
    .object({
      published: z.number(),
      read: z.number(),
      eventsOut: z.number(),
      eventsIn: z.number(),
      readErrors: z.number(),
    })
    .nullable(),
});
export type ClusterStatus = z.infer<typeof ClusterStatusSchema>;
