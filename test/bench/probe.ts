import type { IngestStats } from '../../shared/schemas/ingest.schema';
import { distribution, type Distribution } from './stats';

export async function fetchIngestStats(url: string): Promise<IngestStats> {
  const res = await fetch(`${url}/api/v1/ingest/stats`);
  if (!res.ok) throw new Error(`GET /api/v1/ingest/stats answered ${res.status}`);
  return (await res.json()) as IngestStats;
}

/** Wait until the store has committed everything it queued. */
export async function waitStoreIdle(url: string, timeoutMs = 60_000): Promise<IngestStats> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await fetchIngestStats(url);
    if (stats.store.queued === 0) return stats;
    if (Date.now() > deadline)
      throw new Error(`the store still had ${stats.store.queued} readings queued after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What the server looked like while a row ran, from polling its ingest stats. */
export interface ProbeReport {
  /** Round trip of GET /api/v1/ingest/stats, ms: a proxy for the server's event-loop lag (bench process delays included). */
  rttMs: Distribution;
  /** store.lastFlushMs as sampled (one writer transaction each), ms. */
  flushMs: Distribution;
  /** Largest store.queued seen (readings waiting for the writer). */
  maxQueued: number;
}

/** Poll the ingest stats every `everyMs` until stopped. */
export function startProbe(url: string, everyMs = 250): { stop(): Promise<ProbeReport> } {
  const rtt: number[] = [];
  const flush: number[] = [];
  let maxQueued = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const stats = await fetchIngestStats(url);
        rtt.push(performance.now() - t0);
        if (stats.store.flushes > 0) flush.push(stats.store.lastFlushMs);
        maxQueued = Math.max(maxQueued, stats.store.queued);
      } catch {
        // A failed probe is not a result; the row's own checks report errors.
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { rttMs: distribution(rtt), flushMs: distribution(flush), maxQueued };
    },
  };
}
