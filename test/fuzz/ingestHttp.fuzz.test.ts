import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestResultSchema, REJECTION_REASONS } from '../../shared/schemas/ingest.schema';
import { deviceFor } from '../helpers/auth';
import { ingestStats, readApiError } from '../helpers/ingestChecks';
import { startTestServer, type TestServer } from '../helpers/server';
import { expectAlive, fuzzParameters, fuzzTimeout, prototypeSnapshot, within } from './fuzzRun';
import { POLLUTER } from './hostile';
import {
  FIELD_REASONS,
  acceptedValues,
  bodyPlan,
  expectCounted,
  expectStored,
  goodsInPayload,
  expectationOf,
  goodItem,
  materialize,
  tally,
  type BodyPlan,
  type Expectation,
  type SentGood,
} from './readingPlans';

/** Small enough that bodies beyond it stay cheap to send; the huge plans go past it. */
const LIMIT = 65_536;
const RUNS = 40;

/** Content types a client may send; only `application/json` (any case, any parameters) is read. */
const JSON_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/json;charset=utf-16',
];
const OTHER_TYPES = [
  '',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/vnd.api+json',
  'application/json-seq',
  'json',
];

type Encoding = 'none' | 'gzip' | 'deflate' | 'gzip-garbage' | 'br-garbage' | 'x-fuzz';

interface RequestPlan {
  body: BodyPlan;
  contentType: string;
  encoding: Encoding;
  /** The admin session (patched fetch), the test gateway's device key, or a key nobody issued. */
  auth: 'session' | 'device' | 'bad-key';
}

const requestPlan: fc.Arbitrary<RequestPlan> = fc.record({
  body: bodyPlan,
  contentType: fc.oneof(
    { arbitrary: fc.constantFrom(...JSON_TYPES), weight: 8 },
    { arbitrary: fc.constantFrom(...OTHER_TYPES), weight: 1 },
  ),
  encoding: fc.oneof(
    { arbitrary: fc.constant('none' as const), weight: 12 },
    { arbitrary: fc.constantFrom('gzip' as const, 'deflate' as const), weight: 2 },
    {
      arbitrary: fc.constantFrom('gzip-garbage' as const, 'br-garbage' as const, 'x-fuzz' as const),
      weight: 1,
    },
  ),
  auth: fc.oneof(
    { arbitrary: fc.constantFrom('session' as const, 'device' as const), weight: 12 },
    { arbitrary: fc.constant('bad-key' as const), weight: 1 },
  ),
});

/** What the server must answer, from the request alone (docs/INGEST.md, "HTTP"). */
type HttpExpectation =
  | { kind: 'unauthorized' }
  | { kind: 'refused'; status: number; reason: string; units: number }
  | { kind: 'read'; expectation: Expectation };

function encode(bytes: Buffer, encoding: Encoding): Buffer {
  if (encoding === 'gzip') return gzipSync(bytes);
  if (encoding === 'deflate') return deflateSync(bytes);
  if (encoding === 'gzip-garbage') return Buffer.concat([Buffer.from('not gzip: '), bytes]);
  if (encoding === 'br-garbage') return brotliCompressSync(bytes).subarray(0, 3);
  return bytes;
}

function expected(plan: RequestPlan, bytes: Buffer): HttpExpectation {
  if (plan.auth === 'bad-key') return { kind: 'unauthorized' };
  if (!JSON_TYPES.includes(plan.contentType))
    return { kind: 'refused', status: 415, reason: 'unsupported_media_type', units: 1 };
  if (plan.encoding === 'x-fuzz')
    return { kind: 'refused', status: 415, reason: 'unsupported_media_type', units: 1 };
  if (plan.encoding === 'gzip-garbage' || plan.encoding === 'br-garbage')
    return { kind: 'refused', status: 400, reason: 'malformed_json', units: 1 };
  return { kind: 'read', expectation: expectationOf(bytes, 'http', LIMIT) };
}

/** Statuses and reasons of a body refused whole (docs/INGEST.md). */
const WHOLE_STATUS: Record<string, number> = {
  payload_too_large: 413,
  batch_too_large: 413,
  malformed_json: 400,
  invalid_shape: 400,
  unsupported_media_type: 415,
};

interface Outcome {
  /** Readings this request counts as accepted. */
  accepted: number;
  /** Rejections per reason this request must have added to the counters. */
  rejected: Map<string, number>;
  /** Values of the readings the server said it accepted: they must be stored. */
  stored: SentGood[];
}

/** Check one answer against the contract; return what it must have counted. */
async function checkAnswer(
  res: Response,
  exp: HttpExpectation,
  bytes: Buffer,
  goods: SentGood[],
): Promise<Outcome> {
  const outcome: Outcome = { accepted: 0, rejected: new Map(), stored: [] };
  if (exp.kind === 'unauthorized') {
    expect(res.status).toBe(401);
    expect((await readApiError(res)).error.code).toBe('unauthorized');
    return outcome;
  }
  if (exp.kind === 'refused' || (exp.kind === 'read' && exp.expectation.whole)) {
    const units = exp.kind === 'refused' ? exp.units : exp.expectation.units;
    const { error } = await readApiError(res);
    expect(error.details).toHaveLength(1);
    const detail = error.details[0]!;
    expect(REJECTION_REASONS).toContain(detail.reason);
    expect(detail.message).not.toBe('');
    expect(['', 'readings']).toContain(detail.path);
    expect(detail.reason).toBe(exp.kind === 'refused' ? exp.reason : exp.expectation.reason);
    expect(res.status).toBe(WHOLE_STATUS[detail.reason!]);
    tally(outcome.rejected, detail.reason!, units);
    return outcome;
  }
  const { units } = exp.expectation;
  const present = goodsInPayload(bytes, 'http', goods);
  const goodIndex = new Set(present.map((g) => g.index));
  if (res.status === 200) {
    const body = IngestResultSchema.parse(await res.json());
    expect(body.accepted + body.rejected.length).toBe(units);
    expect(body.duplicates).toBeLessThanOrEqual(body.accepted);
    const indices = body.rejected.map((r) => r.index);
    expect(indices).toEqual([...new Set(indices)].sort((a, b) => a - b));
    for (const r of body.rejected) {
      expect(r.index).toBeGreaterThanOrEqual(0);
      expect(r.index).toBeLessThan(units);
      expect(r.message).not.toBe('');
      if (FIELD_REASONS.has(r.reason)) expect(r.path).not.toBe('');
      expect(goodIndex.has(r.index), `good reading ${r.index} refused: ${r.reason} ${r.message}`).toBe(false);
      tally(outcome.rejected, r.reason);
    }
    outcome.accepted = body.accepted;
    // With no duplicate in the body, every accepted value is new and must be stored as sent.
    outcome.stored = body.duplicates === 0 ? acceptedValues(bytes, 'http', new Set(indices)) : present;
    return outcome;
  }
  expect(res.status).toBe(422);
  expect(present, 'good readings refused with the rest').toEqual([]);
  const { error } = await readApiError(res);
  expect(error.code).toBe('invalid_request');
  expect(error.details).toHaveLength(units);
  error.details.forEach((d, i) => {
    expect(d.path).toMatch(new RegExp(`^readings\\.${i}(\\.|$)`));
    expect(REJECTION_REASONS).toContain(d.reason);
    expect(d.message).not.toBe('');
    if (FIELD_REASONS.has(d.reason!)) expect(d.path).not.toBe(`readings.${i}`);
    tally(outcome.rejected, d.reason!);
  });
  return outcome;
}

describe('fuzzing POST /api/v1/readings', () => {
  let server: TestServer;
  let prototypeUnchanged: () => void;
  beforeAll(async () => {
    prototypeUnchanged = prototypeSnapshot();
    server = await startTestServer({ MAX_PAYLOAD_BYTES: String(LIMIT) });
  });
  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
  });

  async function send(plan: RequestPlan, body: Buffer): Promise<Response> {
    const headers: Record<string, string> = {};
    if (plan.contentType) headers['content-type'] = plan.contentType;
    if (plan.encoding !== 'none') headers['content-encoding'] = plan.encoding.replace(/-garbage$/, '');
    if (plan.auth === 'device') headers['x-device-key'] = deviceFor(server.mqttUrl)!.apiKey;
    if (plan.auth === 'bad-key') headers['x-device-key'] = 'dev-fuzz.0000';
    return within(
      fetch(`${server.url}/api/v1/readings`, { method: 'POST', headers, body: new Uint8Array(body) }),
      15_000,
      'POST /api/v1/readings',
    );
  }

  const good = (n: number) => fc.sample(goodItem, { seed: n, numRuns: 3 });
  const examples: RequestPlan[][] = [
    [
      {
        body: { kind: 'deep', shape: 'array', where: 'top' },
        contentType: 'application/json',
        encoding: 'none',
        auth: 'session',
      },
      {
        body: { kind: 'deep', shape: 'object', where: 'value' },
        contentType: 'application/json',
        encoding: 'none',
        auth: 'device',
      },
      {
        body: { kind: 'huge', what: 'far' },
        contentType: 'application/json',
        encoding: 'none',
        auth: 'session',
      },
      {
        body: { kind: 'huge', what: 'batch' },
        contentType: 'application/json',
        encoding: 'gzip',
        auth: 'session',
      },
    ],
    [
      {
        body: {
          kind: 'items',
          items: good(1),
          single: false,
          extras: [
            ['__proto__', POLLUTER],
            ['constructor', POLLUTER],
          ],
        },
        contentType: 'application/json',
        encoding: 'none',
        auth: 'device',
      },
      {
        body: { kind: 'items', items: good(2), single: false, extras: [] },
        contentType: 'application/json',
        encoding: 'gzip-garbage',
        auth: 'session',
      },
      {
        body: { kind: 'items', items: good(3), single: false, extras: [] },
        contentType: 'application/json',
        encoding: 'x-fuzz',
        auth: 'session',
      },
    ],
    [
      {
        // A `__proto__` metric was once dropped silently from an accepted reading.
        body: {
          kind: 'items',
          items: [
            { kind: 'mutant', sensor: 0, mutations: [{ op: 'value', metric: '__proto__', text: '12' }] },
            ...good(4),
          ],
          single: false,
          extras: [],
        },
        contentType: 'application/json',
        encoding: 'none',
        auth: 'session',
      },
    ],
  ];

  it(
    'answers every hostile body with 200 or a documented refusal naming field and reason, counts every reading and stores every good one',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(requestPlan, { minLength: 1, maxLength: 6 }), async (plans) => {
          const before = await ingestStats(server.url);
          const sent = plans.map((plan) => {
            const { bytes, goods } = materialize(plan.body, 'http', LIMIT);
            return { plan, bytes, goods, exp: expected(plan, bytes) };
          });
          // Concurrently, as many clients would.
          const answers = await Promise.all(sent.map((s) => send(s.plan, encode(s.bytes, s.plan.encoding))));
          const outcomes: Outcome[] = [];
          for (const [i, s] of sent.entries())
            outcomes.push(await checkAnswer(answers[i]!, s.exp, s.bytes, s.goods));

          const after = await ingestStats(server.url);
          const rejected = new Map<string, number>();
          for (const o of outcomes) for (const [reason, n] of o.rejected) tally(rejected, reason, n);
          const units = sent.reduce(
            (n, s) =>
              n +
              (s.exp.kind === 'unauthorized'
                ? 0
                : s.exp.kind === 'refused'
                  ? s.exp.units
                  : s.exp.expectation.units),
            0,
          );
          // Published = accepted + rejected, exactly; every rejection counted with its reason.
          expectCounted(before, after, 'http', {
            units,
            accepted: outcomes.reduce((n, o) => n + o.accepted, 0),
            rejected,
          });

          // Nothing accepted is lost: every good reading of an accepted body is in the store.
          await expectStored(
            server.url,
            outcomes.flatMap((o) => o.stored),
          );
          await expectAlive(server.url);
          prototypeUnchanged();
        }),
        fuzzParameters(
          'ingestHttp',
          RUNS,
          examples.map((e) => [e] as [RequestPlan[]]),
        ),
      );
    },
    fuzzTimeout(RUNS, 1000),
  );
});
