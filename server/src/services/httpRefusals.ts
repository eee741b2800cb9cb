import type { HttpRefusals } from '@shared/schemas/httpRefusals.schema';

/** Route key of a request no route of ROUTE_ACCESS matches. */
export const UNMATCHED_ROUTE = 'unmatched';
/** Route key of a request Node's HTTP parser refused before any route saw it. */
export const UNPARSED_ROUTE = 'unparsed';

const bump = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * HTTP refusals since start, by status, reason and route. Keys are bounded: routes are the
 * ROUTE_ACCESS keys plus two, reasons the API's error codes plus a few of Open311 and the parser,
 * so a flood of random paths or bodies cannot grow it.
 */
export class HttpRefusalCounters {
  private readonly since: number;
  private total = 0;
  private readonly byStatus: Record<string, number> = {};
  private readonly byReason: Record<string, number> = {};
  private readonly byRoute: Record<string, Record<string, number>> = {};

  constructor(clock: () => number) {
    this.since = clock();
  }

  count(route: string, status: number, reason: string): void {
    this.total += 1;
    bump(this.byStatus, String(status));
    bump(this.byReason, reason);
    bump((this.byRoute[route] ??= {}), reason);
  }

  snapshot(): HttpRefusals {
    return {
      since: this.since,
      total: this.total,
      byStatus: { ...this.byStatus },
      byReason: { ...this.byReason },
      byRoute: Object.fromEntries(Object.entries(this.byRoute).map(([k, v]) => [k, { ...v }])),
    };
  }
}
