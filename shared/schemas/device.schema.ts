import { z } from 'zod';
import { EpochMsSchema, IdSchema } from './common.schema';

/**
 * A device credential: what a sensor or a gateway presents to publish
 * readings. MQTT: username = credential id, password = secret. HTTP:
 * `X-Device-Key: <id>.<secret>`. The secret is shown once, when issued or
 * rotated; only its hash is stored.
 */
export const DeviceKindSchema = z.enum(['sensor', 'gateway']);
export type DeviceKind = z.infer<typeof DeviceKindSchema>;

export const DeviceCredentialSchema = z.object({
  id: IdSchema,
  kind: DeviceKindSchema,
  /** The sensor's id (kind sensor) or the gateway's id (kind gateway, as in its MQTT topic). */
  subjectId: IdSchema,
  name: z.string().min(1).max(64),
  /** Sensors this credential may report for: its own sensor, a gateway's list, or 'all' (e.g. the simulator). */
  sensorIds: z.union([z.literal('all'), z.array(IdSchema)]),
  createdAt: EpochMsSchema,
  /** When the current secret was issued (creation or last rotation). */
  rotatedAt: EpochMsSchema,
  /** Refused from this time on; null while valid. */
  revokedAt: EpochMsSchema.nullable(),
});
export type DeviceCredential = z.infer<typeof DeviceCredentialSchema>;

/** `POST /api/v1/devices` (devices:manage) */
export const DeviceCredentialCreateSchema = z
  .object({
    kind: DeviceKindSchema,
    subjectId: IdSchema,
    name: z.string().min(1).max(64).optional(),
    /** Gateways only: the sensors it may report for ('all' or a list). A sensor reports for itself. */
    sensorIds: z.union([z.literal('all'), z.array(IdSchema).min(1).max(100_000)]).optional(),
  })
  .strict();
export type DeviceCredentialCreate = z.infer<typeof DeviceCredentialCreateSchema>;

/** A credential with its secret, returned once by issue and rotate. */
export const IssuedDeviceCredentialSchema = z.object({
  credential: DeviceCredentialSchema,
  /** The secret (MQTT password). Shown once; store it in the device. */
  secret: z.string(),
  /** `<id>.<secret>`: the value of the X-Device-Key header for HTTP ingest. */
  apiKey: z.string(),
});
export type IssuedDeviceCredential = z.infer<typeof IssuedDeviceCredentialSchema>;

/** HTTP header carrying a device key. */
export const DEVICE_KEY_HEADER = 'x-device-key';
