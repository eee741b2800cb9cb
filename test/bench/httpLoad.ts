import type { IngestResult } from '../../shared/schemas/ingest.schema';

export interface HttpLoad {
  /** Concurrent requesters, each with one request in flight. */
  requesters: number;
  durationMs: number;
  /** The next request body (`{"readings":[…]}`) and how many readings it carries. */
  nextBody(): { body: string; readings: number };
}

export interface HttpLoadResult {
  /** Requests answered 200 with every reading accepted. */
  requests: number;
  readings: number;
  /** Requests answered otherwise (status or a partial acceptance). */
  failed: number;
  /** The first failure, for the report. */
  firstFailure: string | null;
  /** From the first request to the last answer, ms. */
  elapsedMs: number;
}

/** POST /api/v1/readings back to back from several requesters for a fixed time. */
export async function runHttpLoad(url: string, load: HttpLoad): Promise<HttpLoadResult> {
  const result: HttpLoadResult = { requests: 0, readings: 0, failed: 0, firstFailure: null, elapsedMs: 0 };
  const started = performance.now();
  const deadline = started + load.durationMs;
  let lastAnswer = started;
  const requester = async () => {
    while (performance.now() < deadline) {
      const { body, readings } = load.nextBody();
      const res = await fetch(`${url}/api/v1/readings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const text = await res.text();
      lastAnswer = performance.now();
      const answer = res.ok ? (JSON.parse(text) as IngestResult) : null;
      if (answer && answer.accepted === readings && answer.rejected.length === 0) {
        result.requests += 1;
        result.readings += readings;
      } else {
        result.failed += 1;
        result.firstFailure ??= `${res.status} ${text.slice(0, 300)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: load.requesters }, requester));
  result.elapsedMs = lastAnswer - started;
  return result;
}
