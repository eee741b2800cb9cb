import { z } from 'zod';

/** Error codes the HTTP API and socket acks may return. Nothing else is ever sent. */
export const API_ERROR_CODES = [
  'invalid_request',
  'malformed_json',
  'payload_too_large',
  'unsupported_media_type',
  'not_found',
  'forbidden',
  'unauthorized',
  'conflict',
  'overloaded',
  'unavailable',
  'internal',
] as const;
export const ApiErrorCodeSchema = z.enum(API_ERROR_CODES);
export type ApiErrorCode = z.infer<typeof ApiErrorCodeSchema>;

export const ErrorDetailSchema = z.object({
  /** Path of the offending field, e.g. `readings.3.values.pm25`. Empty for the whole body. */
  path: z.string(),
  /** Why the field was refused, in words. */
  message: z.string(),
  /** Machine-readable reason where one exists (e.g. an ingest rejection reason). */
  reason: z.string().optional(),
});
export type ErrorDetail = z.infer<typeof ErrorDetailSchema>;

/** Every HTTP error body: `{ error: { code, message, details[] } }`. Never a stack trace. */
export const ApiErrorBodySchema = z.object({
  error: z.object({
    code: ApiErrorCodeSchema,
    message: z.string(),
    details: z.array(ErrorDetailSchema),
  }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBodySchema>;
