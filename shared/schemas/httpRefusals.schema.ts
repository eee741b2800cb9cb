import { z } from 'zod';

const Counts = z.record(z.string(), z.number().int().nonnegative());

/**
 * `GET /api/v1/http/refusals`: every HTTP request answered with a 4xx or 5xx since start, counted
 * by status, by reason (the error body's `code`, or `http_<status>` where a response names none)
 * and by route (the `METHOD /path` of ROUTE_ACCESS it matched; `unmatched` for any other path,
 * `unparsed` for bytes Node's HTTP parser refused). Counts of this node since it started. Ingest
 * has finer counters of its own in `GET /api/v1/ingest/stats`.
 */
export const HttpRefusalsSchema = z.object({
  since: z.number().int(),
  total: z.number().int().nonnegative(),
  byStatus: Counts,
  byReason: Counts,
  /** Route → reason → count. */
  byRoute: z.record(z.string(), Counts),
});
export type HttpRefusals = z.infer<typeof HttpRefusalsSchema>;
