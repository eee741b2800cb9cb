import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Open311CreatedSchema, Open311ServiceRequestSchema } from '../../shared/schemas/open311.schema';
import type { GridCell } from '../../shared/schemas/geo.schema';
import { rawFetch } from '../helpers/auth';
import { startTestServer, type TestServer } from '../helpers/server';
import {
  expectRefusalsCounted,
  expectUnharmed,
  fuzzParameters,
  fuzzTimeout,
  prototypeSnapshot,
  tally,
  within,
} from './fuzzRun';
import { httpRefusals } from '../helpers/cityOpsApi';
import {
  PROTO_KEYS,
  deepPlan,
  hostileNumberText,
  hostileString,
  jsonMutation,
  jsonString,
  notJsonPlan,
  rawBodyText,
  renderMutated,
  type JsonMutation,
  type RawBodyPlan,
} from './hostile';

const RUNS = 40;
/** Open311's body limits (server/src/http/open311.routes.ts). */
const BODY_LIMIT = 64 * 1024;
const PARAMETER_LIMIT = 100;

/** The spec's fields; a 400 must name one of them (or the body as a whole). */
const FIELDS = [
  'api_key',
  'service_code',
  'lat',
  'long',
  'address_string',
  'address_id',
  'description',
  'media_url',
  'email',
  'device_id',
  'account_id',
  'first_name',
  'last_name',
  'phone',
] as const;
const NAMES_A_FIELD = new RegExp(`^(${FIELDS.join('|')}|lat/long|request body|send the fields)\\b`);

/** A change to a form body: a field set to something hostile, removed, or sent twice. */
type FormMutation =
  | { op: 'set'; field: string; value: string }
  | { op: 'delete'; field: string }
  | { op: 'twice'; field: string; value: string };

type KeyPlan = 'valid' | 'wrong' | 'missing';

type Open311Body =
  | { kind: 'form'; key: KeyPlan; mutations: FormMutation[] }
  /** Form text written by hand: bad percent escapes, separators, no `=`. */
  | { kind: 'rawForm'; key: KeyPlan; tail: string }
  | { kind: 'json'; key: KeyPlan; mutations: JsonMutation[] }
  | Exclude<RawBodyPlan, { kind: 'json' }>
  | { kind: 'huge'; what: 'value' | 'parameters' };

interface Open311Request {
  body: Open311Body;
  /** `natural` is the type that matches the body; the others test the refusals. */
  contentType: 'natural' | 'crossed' | 'text/plain' | 'none' | 'application/json; charset=latin1';
}

const field = fc.oneof(
  { arbitrary: fc.constantFrom(...FIELDS), weight: 4 },
  { arbitrary: fc.constantFrom(...PROTO_KEYS, 'toString', 'hasOwnProperty'), weight: 2 },
  { arbitrary: hostileString, weight: 1 },
);
const fieldValue = fc.oneof(
  hostileString,
  hostileNumberText,
  fc.constantFrom('101', '0', '-0', '90.0000001', 'https://x.example/a.jpg'),
);

const formMutation: fc.Arbitrary<FormMutation> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), field, value: fieldValue }),
  fc.record({ op: fc.constant('delete' as const), field }),
  fc.record({ op: fc.constant('twice' as const), field, value: fieldValue }),
);
const keyPlan = fc.oneof(
  { arbitrary: fc.constant('valid' as const), weight: 6 },
  { arbitrary: fc.constantFrom('wrong' as const, 'missing' as const), weight: 1 },
);

const open311Request: fc.Arbitrary<Open311Request> = fc.record({
  body: fc.oneof(
    {
      arbitrary: fc.record({
        kind: fc.constant('form' as const),
        key: keyPlan,
        mutations: fc.array(formMutation, { maxLength: 3 }),
      }),
      weight: 6,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant('rawForm' as const),
        key: keyPlan,
        tail: fc.constantFrom(
          '&description=%ff%fe',
          '&description=%zz',
          '&=&&==',
          '&description',
          '&lat=%2B30.2&long=1%00',
          '&__proto__[polluted]=yes',
          '&constructor[prototype][polluted]=yes',
        ),
      }),
      weight: 2,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant('json' as const),
        key: keyPlan,
        mutations: fc.array(jsonMutation, { maxLength: 3 }),
      }),
      weight: 5,
    },
    { arbitrary: notJsonPlan, weight: 1 },
    { arbitrary: deepPlan, weight: 1 },
    {
      arbitrary: fc.record({
        kind: fc.constant('huge' as const),
        what: fc.constantFrom('value' as const, 'parameters' as const),
      }),
      weight: 1,
    },
  ),
  contentType: fc.oneof(
    { arbitrary: fc.constant('natural' as const), weight: 10 },
    {
      arbitrary: fc.constantFrom(
        'crossed' as const,
        'text/plain' as const,
        'none' as const,
        'application/json; charset=latin1' as const,
      ),
      weight: 1,
    },
  ),
});

describe('fuzzing Open311 POST /open311/v2/requests.json (form and JSON bodies)', () => {
  let server: TestServer;
  let apiKey: string;
  let site: [number, number];
  let prototypeUnchanged: () => void;

  beforeAll(async () => {
    prototypeUnchanged = prototypeSnapshot();
    server = await startTestServer();
    const res = await fetch(`${server.url}/api/v1/open311/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'fuzz' }),
    });
    expect(res.status).toBe(201);
    apiKey = ((await res.json()) as { secret: string }).secret;
    const cells = (await (await fetch(`${server.url}/api/v1/grid-cells?limit=1`)).json()) as {
      items: GridCell[];
    };
    site = cells.items[0]!.centroid;
  });
  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
  });

  /** A submission every check accepts. */
  function validFields(key: KeyPlan): Array<[string, string]> {
    const fields: Array<[string, string]> = [
      ['service_code', '101'],
      ['lat', String(site[1])],
      ['long', String(site[0])],
      ['description', '井盖缺失 fuzz'],
      ['address_string', '湖滨路 1 号'],
    ];
    if (key === 'valid') fields.unshift(['api_key', apiKey]);
    if (key === 'wrong') fields.unshift(['api_key', 'o311-fuzz.not-a-key']);
    return fields;
  }

  function bodyOf(body: Open311Body): { text: string; natural: string; sent: Map<string, unknown> | null } {
    const form = 'application/x-www-form-urlencoded';
    switch (body.kind) {
      case 'form': {
        let fields = validFields(body.key);
        for (const m of body.mutations) {
          if (m.op === 'delete') fields = fields.filter(([k]) => k !== m.field);
          else if (m.op === 'twice') fields.push([m.field, m.value]);
          else fields = [...fields.filter(([k]) => k !== m.field), [m.field, m.value]];
        }
        const sent = new Map<string, unknown>(fields);
        return { text: new URLSearchParams(fields).toString(), natural: form, sent };
      }
      case 'rawForm':
        return {
          text: new URLSearchParams(validFields(body.key)).toString() + body.tail,
          natural: form,
          sent: null,
        };
      case 'json': {
        const doc = Object.fromEntries(
          validFields(body.key).map(([k, v]) => [k, k === 'lat' || k === 'long' ? Number(v) : v]),
        );
        const text = renderMutated(doc, body.mutations);
        let sent: Map<string, unknown> | null = null;
        try {
          const parsed = JSON.parse(text) as unknown;
          if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
            sent = new Map(Object.entries(parsed));
        } catch {
          // Not JSON: refused before any field is read.
        }
        return { text, natural: 'application/json', sent };
      }
      case 'notJson':
      case 'deep':
        return {
          text: rawBodyText(body, (deep) => [
            ['api_key', jsonString(apiKey)],
            ['service_code', deep],
          ]),
          natural: 'application/json',
          sent: null,
        };
      case 'huge':
        if (body.what === 'value') {
          return {
            text: new URLSearchParams([
              ...validFields('valid'),
              ['description', 'x'.repeat(BODY_LIMIT)],
            ]).toString(),
            natural: form,
            sent: null,
          };
        }
        return {
          text: new URLSearchParams([
            ...validFields('valid'),
            ...Array.from({ length: PARAMETER_LIMIT }, (_, i): [string, string] => [`p${i}`, 'x']),
          ]).toString(),
          natural: form,
          sent: null,
        };
    }
  }

  const examples: Open311Request[][] = [
    [
      { body: { kind: 'deep', shape: 'object' }, contentType: 'natural' },
      { body: { kind: 'huge', what: 'value' }, contentType: 'natural' },
      { body: { kind: 'huge', what: 'parameters' }, contentType: 'natural' },
      { body: { kind: 'rawForm', key: 'valid', tail: '&__proto__[polluted]=yes' }, contentType: 'natural' },
    ],
    [
      { body: { kind: 'form', key: 'valid', mutations: [] }, contentType: 'natural' },
      {
        body: {
          kind: 'json',
          key: 'valid',
          mutations: [{ at: 0, op: 'add', key: '__proto__', text: '{"polluted":"yes"}' }],
        },
        contentType: 'natural',
      },
      {
        body: {
          kind: 'form',
          key: 'valid',
          mutations: [{ op: 'set', field: 'description', value: '\ud800 \u202e😀 \u0000' }],
        },
        contentType: 'natural',
      },
      {
        body: { kind: 'form', key: 'valid', mutations: [{ op: 'twice', field: 'api_key', value: 'x' }] },
        contentType: 'natural',
      },
    ],
  ];

  it(
    'creates a case for every valid report and answers everything else with a 4xx naming the field, without crashing',
    async () => {
      const statuses = new Map<number, number>();
      const refusedBefore = await httpRefusals(server.url);
      await fc.assert(
        fc.asyncProperty(fc.array(open311Request, { minLength: 1, maxLength: 4 }), async (requests) => {
          for (const req of requests) {
            const { text, natural, sent } = bodyOf(req.body);
            const contentType =
              req.contentType === 'natural'
                ? natural
                : req.contentType === 'crossed'
                  ? natural === 'application/json'
                    ? 'application/x-www-form-urlencoded'
                    : 'application/json'
                  : req.contentType;
            const headers: Record<string, string> =
              contentType === 'none' ? {} : { 'content-type': contentType };
            // A citizen's app has no session: the unpatched fetch.
            const res = await within(
              rawFetch(`${server.url}/open311/v2/requests.json`, { method: 'POST', headers, body: text }),
              15_000,
              'POST /open311/v2/requests.json',
            );
            tally(statuses, res.status);
            expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
            const answer = (await res.json()) as unknown;
            if (res.status === 201) {
              const [created] = Open311CreatedSchema.array().length(1).parse(answer);
              // Nothing accepted is lost: the request is there to follow, as sent.
              const read = await rawFetch(
                `${server.url}/open311/v2/requests/${encodeURIComponent(created!.service_request_id)}.json`,
              );
              expect(read.status).toBe(200);
              const [stored] = Open311ServiceRequestSchema.array()
                .length(1)
                .parse(await read.json());
              expect(stored!.service_request_id).toBe(created!.service_request_id);
              const code = sent?.get('service_code');
              if (typeof code === 'string') expect(stored!.service_code).toBe(code.trim());
              const description = sent?.get('description');
              if (typeof description === 'string' && description.trim() !== '') {
                // As sent; where text passes through UTF-8 a lone surrogate may come back as U+FFFD.
                const sentText = description.trim();
                expect([sentText, sentText.replace(/\p{Cs}/gu, '\ufffd')]).toContain(stored!.description);
              }
              continue;
            }
            expect([400, 403, 413, 415], `status ${res.status}: ${JSON.stringify(answer)}`).toContain(
              res.status,
            );
            // Open311's error body: [{ code, description }] with the HTTP status as the code.
            expect(answer).toEqual([{ code: res.status, description: expect.any(String) }]);
            const description = (answer as Array<{ description: string }>)[0]!.description;
            expect(description.trim()).not.toBe('');
            if (res.status === 400) expect(description).toMatch(NAMES_A_FIELD);
          }
          await expectUnharmed(server, prototypeUnchanged);
        }),
        fuzzParameters(
          'open311',
          RUNS,
          examples.map((e) => [e] as [Open311Request[]]),
        ),
      );
      expect([...statuses.keys()]).toEqual(expect.arrayContaining([201, 400, 403, 413]));
      // Every refusal was counted by the server (Open311's body carries only the status).
      await expectRefusalsCounted(server.url, refusedBefore, statuses);
    },
    fuzzTimeout(RUNS, 1000),
  );
});
