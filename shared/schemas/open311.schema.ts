import { z } from 'zod';

/**
 * Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) on the wire: citizens' reports
 * (12345 hotline apps and other clients) that become 案卷 (work orders, source `citizen`).
 * Everything is in the spec's format: snake_case fields, `open`/`closed` status with the detail
 * in `status_notes`, W3C datetimes. The API keys that clients submit with are our own API's
 * (camelCase).
 */

/** The spec's limits: a description of at most 4,000 characters, a search of at most 90 days and 1,000 results. */
export const MAX_DESCRIPTION_CHARS = 4000;
export const MAX_RANGE_MS = 90 * 86_400_000;
export const MAX_RESULTS = 1000;

/** An API key as listed to administrators: never its secret nor its hash. */
export const Open311KeySchema = z.object({
  id: z.string(),
  /** Who the key was issued to, e.g. `12345 热线 App`. */
  name: z.string(),
  /** Epoch ms. */
  createdAt: z.number().int(),
  /** User id of the issuer. */
  createdBy: z.string(),
  /** When it was revoked (epoch ms), or null while it works. */
  revokedAt: z.number().int().nullable(),
});
export type Open311Key = z.infer<typeof Open311KeySchema>;

/** `POST /api/v1/open311/keys` answer: the key and its secret, shown this once. */
export const IssuedOpen311KeySchema = z.object({ key: Open311KeySchema, secret: z.string() });
export type IssuedOpen311Key = z.infer<typeof IssuedOpen311KeySchema>;

/** An element of `services.json`: a service citizens can report under (a case category). */
export const GeoReportServiceSchema = z.object({
  service_code: z.string(),
  /** The category's Chinese name (小类). */
  service_name: z.string(),
  description: z.string(),
  metadata: z.literal(false),
  type: z.literal('realtime'),
  /** Comma-separated. */
  keywords: z.string(),
  /** The category's class (大类), in Chinese. */
  group: z.string(),
});
export type GeoReportService = z.infer<typeof GeoReportServiceSchema>;

/** A service request as GET requests.json answers it. Absent facts are null, as the spec's examples show. */
export const Open311ServiceRequestSchema = z.object({
  /** The work order (案卷) id. */
  service_request_id: z.string(),
  /** `closed` once the case is closed, evaluated or cancelled. */
  status: z.enum(['open', 'closed']),
  /** Where the case stands, in Chinese and English (the cancel reason, the verifier's comment). */
  status_notes: z.string(),
  service_name: z.string(),
  service_code: z.string(),
  description: z.string().nullable(),
  agency_responsible: z.string().nullable(),
  service_notice: z.string(),
  /** W3C datetimes, Asia/Shanghai offset (+08:00). */
  requested_datetime: z.string(),
  updated_datetime: z.string(),
  /** 处置时限: the case's deadline. */
  expected_datetime: z.string(),
  address: z.string().nullable(),
  address_id: z.string().nullable(),
  zipcode: z.string().nullable(),
  lat: z.number(),
  long: z.number(),
  media_url: z.string().nullable(),
});
export type Open311ServiceRequest = z.infer<typeof Open311ServiceRequestSchema>;
/** A request's Open311 status: `open` while anyone still works on the case. */
export type Open311Status = Open311ServiceRequest['status'];

/** The answer to a created request: we register synchronously, so the id comes at once (no token). */
export const Open311CreatedSchema = z.object({
  service_request_id: z.string(),
  service_notice: z.string(),
  /** The `account_id` sent, echoed; null without one. */
  account_id: z.string().nullable(),
});
export type Open311Created = z.infer<typeof Open311CreatedSchema>;

const text = (max: number) => z.string().trim().min(1).max(max);
/** A coordinate as a form field (text) or a JSON number. */
const coordinate = (min: number, max: number) =>
  z
    .union([
      z.number(),
      z
        .string()
        .trim()
        .regex(/^[-+]?\d+(\.\d+)?$/, 'a decimal number')
        .transform(Number),
    ])
    .pipe(z.number().min(min).max(max));

/**
 * Fields of POST requests.json the server reads after `api_key`; others (`attribute[…]`,
 * `jurisdiction_id`) are ignored.
 */
export const Open311SubmitSchema = z.object({
  service_code: text(64),
  lat: coordinate(-90, 90).optional(),
  long: coordinate(-180, 180).optional(),
  address_string: text(500).optional(),
  address_id: text(128).optional(),
  description: z.string().trim().max(MAX_DESCRIPTION_CHARS).optional(),
  media_url: z
    .url({ protocol: /^https?$/, error: 'an http(s) URL' })
    .max(2000)
    .optional(),
  email: z.email().max(254).optional(),
  device_id: text(128).optional(),
  account_id: text(128).optional(),
  first_name: text(100).optional(),
  last_name: text(100).optional(),
  phone: text(40).optional(),
});
export type Open311Submit = z.output<typeof Open311SubmitSchema>;

/**
 * A comma-separated list, as the spec writes lists. Not `csvEnum` (common.schema.ts): the ids and
 * service codes are free text, a list may name up to 1,000 requests (csvEnum stops at 50), and a
 * repeated parameter is refused here rather than merged, the same for every field.
 */
const csv = z
  .string()
  .max(100_000)
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

/** Query of GET requests.json; lists are comma-separated. */
export const Open311SearchSchema = z.object({
  service_request_id: csv.optional(),
  service_code: csv.optional(),
  start_date: z.string().optional(),
  end_date: z.string().optional(),
  status: csv.pipe(z.array(z.enum(['open', 'closed']))).optional(),
});
export type Open311Search = z.output<typeof Open311SearchSchema>;
