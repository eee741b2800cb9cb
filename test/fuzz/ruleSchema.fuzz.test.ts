import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ruleKindInfos, validateRule } from '../../server/src/domain/rules/registry';
import { RuleSchema } from '../../shared/schemas/rule.schema';
import { readApiError } from '../helpers/ingestChecks';
import { startTestServer, type TestServer } from '../helpers/server';
import {
  BAD_PERCENT,
  expectUnharmed,
  fuzzParameters,
  fuzzTimeout,
  pathSegment,
  prototypeSnapshot,
  within,
  expectRefusalsCounted,
  tally,
} from './fuzzRun';
import { httpRefusals } from '../helpers/cityOpsApi';
import {
  DEEP_LEVELS,
  POLLUTER,
  deepJson,
  deepPlan,
  hostileJsonText,
  hostileKey,
  hostileString,
  jsonMutation,
  jsonString,
  jsonTextPlan,
  notJsonPlan,
  objectText,
  rawBodyText,
  renderMutated,
  type JsonMutation,
  type RawBodyPlan,
} from './hostile';

const RUNS = 40;
/** The management API's JSON body limit (server/src/app.ts). */
const BODY_LIMIT = 64 * 1024;
/** Stands for a fresh rule id in a rendered document; replaced when the request is sent. */
const ID_MARK = 'FZ-ID';

/** A valid rule of every kind, from each kind's own example parameters. */
const BASES = ruleKindInfos().map((info) => ({
  id: ID_MARK,
  name: { zh: '模糊测试规则', en: 'fuzz rule' },
  description: 'made by the fuzz test',
  kind: info.kind,
  enabled: true,
  scope: { districtIds: ['330106'] },
  params: info.example,
  for: '1m',
  keepFiringFor: 30,
  labels: { team: 'fuzz' },
}));

const ruleDocument = fc.record({
  base: fc.nat({ max: BASES.length - 1 }),
  mutations: fc.array(jsonMutation, { maxLength: 3 }),
});
type RuleDocument = { base: number; mutations: JsonMutation[] };

/** `value` with every -0 made 0 (JSON writes both as 0); nothing else changes. */
function unsignedZeros(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(unsignedZeros);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unsignedZeros(v)]));
  }
  return value;
}

/** 10,000 levels of nesting, named rather than spelled out, so that a failure prints readably. */
type Deep = { deep: 'array' | 'object' };

const render = (doc: RuleDocument): string => renderMutated(BASES[doc.base], doc.mutations);

describe('fuzzing the rule schema (validateRule)', () => {
  let prototypeUnchanged: () => void;
  beforeAll(() => {
    prototypeUnchanged = prototypeSnapshot();
  });

  it(
    'answers every document with a valid rule or issues naming path and reason, never throwing',
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            { arbitrary: ruleDocument.map(render), weight: 6 },
            { arbitrary: hostileJsonText, weight: 2 },
            { arbitrary: fc.constantFrom<Deep>({ deep: 'array' }, { deep: 'object' }), weight: 1 },
          ),
          (doc) => {
            const text = typeof doc === 'string' ? doc : deepJson(DEEP_LEVELS, doc.deep);
            let input: unknown;
            try {
              input = JSON.parse(text);
            } catch {
              return; // Not JSON: the HTTP layer refuses it before the schema (the API property covers it).
            }
            const checked = validateRule(input);
            if (!checked.ok) {
              expect(checked.issues.length).toBeGreaterThan(0);
              for (const issue of checked.issues) {
                expect(typeof issue.path).toBe('string');
                expect(issue.message).not.toBe('');
              }
            } else {
              // What is accepted survives storage as JSON and validates again to itself (compared
              // as JSON values: -0 is stored as 0, and the order of members does not matter).
              const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
              const stored = asJson(checked.rule);
              expect(stored).toEqual(unsignedZeros(checked.rule));
              const again = validateRule(stored);
              expect(again.ok && asJson(again.rule)).toEqual(stored);
              for (const key of ['__proto__', 'constructor', 'prototype']) {
                expect(Object.hasOwn(checked.rule, key), key).toBe(false);
                expect(Object.hasOwn(checked.rule.params, key), `params.${key}`).toBe(false);
              }
            }
            prototypeUnchanged();
          },
        ),
        fuzzParameters('ruleSchema', RUNS * 20),
      );
    },
    fuzzTimeout(RUNS * 20, 20),
  );
});

type RuleBody =
  | {
      kind: 'doc';
      doc: RuleDocument;
      reason: string | null;
      extras: Array<[string, string]>;
      expectedVersion: string | null;
    }
  | RawBodyPlan
  | { kind: 'huge' };

interface RuleRequest {
  method: 'POST' | 'PUT';
  /** PUT: the rule this file keeps for updates, a rule that does not exist, or a path that is not an id at all. */
  target: { kind: 'kept' } | { kind: 'id'; id: string } | { kind: 'raw'; raw: string };
  body: RuleBody;
  contentType: string;
}

const ruleBody: fc.Arbitrary<RuleBody> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('doc' as const),
      doc: ruleDocument,
      reason: fc.option(fc.oneof(fc.constant('fuzzing'), hostileString), { nil: null }),
      extras: fc.array(fc.tuple(hostileKey, fc.oneof(fc.constant(POLLUTER), hostileJsonText)), {
        maxLength: 1,
      }),
      expectedVersion: fc.option(fc.oneof(fc.constant('1'), hostileJsonText), { nil: null }),
    }),
    weight: 8,
  },
  { arbitrary: jsonTextPlan, weight: 1 },
  { arbitrary: notJsonPlan, weight: 1 },
  { arbitrary: fc.constant({ kind: 'huge' as const }), weight: 1 },
  { arbitrary: deepPlan, weight: 1 },
);

const ruleRequest: fc.Arbitrary<RuleRequest> = fc.record({
  method: fc.constantFrom('POST' as const, 'PUT' as const),
  target: fc.oneof(
    { arbitrary: fc.constant({ kind: 'kept' as const }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('id' as const), id: hostileString }), weight: 1 },
    {
      arbitrary: fc.record({ kind: fc.constant('raw' as const), raw: fc.constantFrom(...BAD_PERCENT) }),
      weight: 1,
    },
  ),
  body: ruleBody,
  contentType: fc.oneof(
    { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8'), weight: 8 },
    { arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', ''), weight: 1 },
  ),
});

describe('fuzzing the rules API (POST /api/v1/rules, PUT /api/v1/rules/:id)', () => {
  let server: TestServer;
  let prototypeUnchanged: () => void;
  let made = 0;
  const KEPT = 'fz-kept-rule';

  beforeAll(async () => {
    prototypeUnchanged = prototypeSnapshot();
    server = await startTestServer();
    const res = await fetch(`${server.url}/api/v1/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rule: { ...BASES[0], id: KEPT }, reason: 'the rule the fuzz test updates' }),
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
  });

  function bodyText(body: RuleBody, id: string): string {
    switch (body.kind) {
      case 'doc': {
        const members: Array<[string, string]> = [
          ['rule', render(body.doc).replace(jsonString(ID_MARK), jsonString(id))],
        ];
        if (body.reason !== null) members.push(['reason', jsonString(body.reason)]);
        if (body.expectedVersion !== null) members.push(['expectedVersion', body.expectedVersion]);
        return objectText([...members, ...body.extras]);
      }
      case 'json':
      case 'notJson':
      case 'deep':
        return rawBodyText(body, (deep) => [
          ['rule', deep],
          ['reason', jsonString('deep')],
        ]);
      case 'huge':
        return objectText([
          ['rule', JSON.stringify({ ...BASES[0], id })],
          ['reason', jsonString('x'.repeat(BODY_LIMIT))],
        ]);
    }
  }

  const examples: RuleRequest[][] = [
    [
      { method: 'POST', target: { kind: 'kept' }, body: { kind: 'huge' }, contentType: 'application/json' },
      {
        method: 'POST',
        target: { kind: 'kept' },
        body: { kind: 'deep', shape: 'object' },
        contentType: 'application/json',
      },
      {
        method: 'POST',
        target: { kind: 'kept' },
        body: {
          kind: 'doc',
          doc: {
            base: 0,
            mutations: [
              { at: 0, op: 'add', key: '__proto__', text: POLLUTER },
              { at: 9, op: 'deep', shape: 'array' },
            ],
          },
          reason: '\ud800 lone',
          extras: [['constructor', POLLUTER]],
          expectedVersion: null,
        },
        contentType: 'application/json',
      },
    ],
    [
      {
        method: 'POST',
        target: { kind: 'kept' },
        body: {
          kind: 'doc',
          doc: { base: 1, mutations: [] },
          reason: 'ab\ud800c',
          extras: [],
          expectedVersion: null,
        },
        contentType: 'application/json',
      },
      {
        method: 'PUT',
        target: { kind: 'kept' },
        body: {
          kind: 'doc',
          doc: { base: 2, mutations: [] },
          reason: '\u202e😀',
          extras: [],
          expectedVersion: null,
        },
        contentType: 'application/json',
      },
      {
        method: 'PUT',
        target: { kind: 'raw', raw: '%e0%a4%a' },
        body: {
          kind: 'doc',
          doc: { base: 0, mutations: [] },
          reason: 'x',
          extras: [],
          expectedVersion: null,
        },
        contentType: 'application/json',
      },
    ],
  ];

  it(
    'answers every request with the rule or a 4xx naming field and reason, keeps what it accepted, and keeps evaluating rules',
    async () => {
      const statuses = new Map<number, number>();
      const reasons = new Map<string, number>();
      const refusedBefore = await httpRefusals(server.url);
      await fc.assert(
        fc.asyncProperty(fc.array(ruleRequest, { minLength: 1, maxLength: 4 }), async (requests) => {
          const created: string[] = [];
          for (const req of requests) {
            const id =
              req.method === 'POST' || req.target.kind === 'kept'
                ? req.method === 'POST'
                  ? `fz-rule-${++made}`
                  : KEPT
                : '';
            const segment =
              req.method === 'POST'
                ? ''
                : `/${req.target.kind === 'id' ? pathSegment(req.target.id) : req.target.kind === 'raw' ? pathSegment({ raw: req.target.raw }) : KEPT}`;
            const headers: Record<string, string> = req.contentType
              ? { 'content-type': req.contentType }
              : {};
            const res = await within(
              fetch(`${server.url}/api/v1/rules${segment}`, {
                method: req.method,
                headers,
                body: bodyText(req.body, id || 'fz-unused'),
              }),
              15_000,
              `${req.method} /api/v1/rules${segment}`,
            );
            tally(statuses, res.status);
            if (res.status === 200 || res.status === 201) {
              expect(res.status).toBe(req.method === 'POST' ? 201 : 200);
              const rule = RuleSchema.parse(await res.json());
              if (req.method === 'POST') created.push(rule.id);
              // What was accepted is what the API serves from now on.
              const read = await fetch(`${server.url}/api/v1/rules/${pathSegment(rule.id)}`);
              expect(read.status).toBe(200);
              expect(RuleSchema.parse(await read.json())).toEqual(rule);
              continue;
            }
            expect([400, 404, 409, 413, 415, 431], `status ${res.status}`).toContain(res.status);
            const { error } = await readApiError(res);
            tally(reasons, error.code);
            expect(error.message).not.toBe('');
            if ([400, 413, 415, 431].includes(res.status)) {
              expect(error.details.length, `${error.code}: ${error.message}`).toBeGreaterThan(0);
              for (const d of error.details) expect(d.message).not.toBe('');
            }
          }
          // Created rules leave again, so the rule set stays small however long the run.
          for (const id of created) {
            const res = await fetch(`${server.url}/api/v1/rules/${pathSegment(id)}?reason=fuzz%20cleanup`, {
              method: 'DELETE',
            });
            expect(res.status).toBe(204);
          }
          // The engine evaluates readings against whatever was accepted.
          const res = await fetch(`${server.url}/api/v1/readings`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              readings: [{ sensorId: 'AQ-001', observedAt: Date.now(), values: { pm25: 300 } }],
            }),
          });
          expect([200]).toContain(res.status);
          await res.arrayBuffer();
          await expectUnharmed(server, prototypeUnchanged);
        }),
        fuzzParameters(
          'rulesApi',
          RUNS,
          examples.map((e) => [e] as [RuleRequest[]]),
        ),
      );
      // The runs reached both sides of the schema: rules were created and updated, and refused.
      expect([...statuses.keys()]).toEqual(expect.arrayContaining([200, 201, 400, 413]));
      // Every refusal was counted by the server, with its reason.
      await expectRefusalsCounted(server.url, refusedBefore, statuses, reasons);
    },
    fuzzTimeout(RUNS, 1000),
  );
});
