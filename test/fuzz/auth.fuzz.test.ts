import { connect } from 'node:net';
import fc from 'fast-check';
import { io as connectSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionToken } from '../../server/src/services/sessionToken';
import { SESSION_COOKIE } from '../../shared/schemas/auth.schema';
import { createUser } from '../helpers/accessActors';
import { rawFetch } from '../helpers/auth';
import { readApiError } from '../helpers/ingestChecks';
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
  DEEP_LEVELS,
  NASTY_STRINGS,
  NOT_JSON_TEXTS,
  POLLUTER,
  deepJson,
  deepPlan,
  deepShape,
  hostileJsonText,
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

const RUNS = 20;
const BODY_LIMIT = 64 * 1024;

/** Text an HTTP header can carry through fetch: Latin-1 without controls (no CR, LF, NUL or DEL). */
const headerChar = fc
  .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }))
  .map((c) => String.fromCharCode(c));
const headerText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: headerChar, maxLength: 80 }),
  fc.constantFrom(...NASTY_STRINGS.filter((s) => /^[\t\x20-\x7e\x80-\xff]*$/.test(s))),
  fc.constantFrom(
    'Bearer',
    'Bearer ',
    'Bearer  ',
    'bearer x',
    'Basic YWRtaW46YWRtaW4=',
    `Bearer ${'a'.repeat(201)}`,
    `Bearer ${'0'.repeat(64)}`,
  ),
);

/** What a fuzzed request does with the admin's real token: the attack is a near miss of it. */
type TokenPlan =
  | { kind: 'text'; text: string }
  | { kind: 'near'; how: 'flip' | 'truncate' | 'append' | 'upper' | 'percent'; at: number };

const tokenPlan: fc.Arbitrary<TokenPlan> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('text' as const), text: headerText }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant('near' as const),
      how: fc.constantFrom(
        'flip' as const,
        'truncate' as const,
        'append' as const,
        'upper' as const,
        'percent' as const,
      ),
      at: fc.nat(),
    }),
    weight: 2,
  },
);

function nearMiss(token: string, plan: TokenPlan): string {
  if (plan.kind === 'text') return plan.text;
  const at = plan.at % token.length;
  switch (plan.how) {
    case 'flip':
      return token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
    case 'truncate':
      return token.slice(0, at);
    case 'append':
      return `${token}x`;
    case 'upper':
      return token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase();
    case 'percent':
      return encodeURIComponent(token).replace(/%/g, '%25') + '%';
  }
}

type LoginBody =
  | { kind: 'doc'; who: 'valid' | 'victim' | 'stranger'; mutations: JsonMutation[] }
  | RawBodyPlan
  | { kind: 'huge' };

interface LoginPlan {
  body: LoginBody;
  contentType: string;
}

const loginPlan: fc.Arbitrary<LoginPlan> = fc.record({
  body: fc.oneof(
    {
      arbitrary: fc.record({
        kind: fc.constant('doc' as const),
        who: fc.constantFrom('valid' as const, 'victim' as const, 'stranger' as const),
        mutations: fc.array(jsonMutation, { maxLength: 2 }),
      }),
      weight: 8,
    },
    { arbitrary: jsonTextPlan, weight: 2 },
    { arbitrary: notJsonPlan, weight: 1 },
    { arbitrary: deepPlan, weight: 1 },
    { arbitrary: fc.constant({ kind: 'huge' as const }), weight: 1 },
  ),
  contentType: fc.oneof(
    { arbitrary: fc.constant('application/json'), weight: 8 },
    { arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', ''), weight: 1 },
  ),
});

/** A raw HTTP/1.1 exchange: bytes fetch refuses to send (NUL, CR/LF, UTF-8 in headers, 20 KB headers). */
interface RawPlan {
  header: 'authorization' | 'cookie' | 'both';
  bytes: Uint8Array;
  repeat: number;
}

const rawPlan: fc.Arbitrary<RawPlan> = fc.record({
  header: fc.constantFrom('authorization' as const, 'cookie' as const, 'both' as const),
  bytes: fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.constantFrom(
      ...[
        'Bearer \u0000',
        'Bearer x\r\nX-Device-Key: a.b',
        'Bearer 杭州',
        'Bearer \r\n\r\nGET / HTTP/1.1',
        `${SESSION_COOKIE}=\u00ff\u00fe`,
        'Bearer\t\t',
      ].map((s) => Uint8Array.from(Buffer.from(s))),
    ),
  ),
  // 1: one header; 300: about 20 KB of it, beyond Node's 16 KB header limit.
  repeat: fc.constantFrom(1, 1, 1, 300),
});

/** A Socket.IO handshake: hostile `auth`, hostile headers, or the real token with a hostile scope. */
interface HandshakePlan {
  transport: 'websocket' | 'polling';
  token: TokenPlan | { kind: 'valid' } | { kind: 'json'; text: string } | { kind: 'none' };
  scope: { kind: 'none' } | { kind: 'json'; text: string } | { kind: 'mutated'; mutations: JsonMutation[] };
  header: { kind: 'none' } | { kind: 'authorization' | 'cookie'; text: string };
}

const handshakePlan: fc.Arbitrary<HandshakePlan> = fc.record({
  transport: fc.constantFrom('websocket' as const, 'polling' as const),
  token: fc.oneof(
    { arbitrary: tokenPlan, weight: 3 },
    { arbitrary: fc.constant({ kind: 'valid' as const }), weight: 2 },
    { arbitrary: jsonTextPlan, weight: 1 },
    { arbitrary: fc.constant({ kind: 'none' as const }), weight: 1 },
  ),
  scope: fc.oneof(
    { arbitrary: fc.constant({ kind: 'none' as const }), weight: 2 },
    { arbitrary: jsonTextPlan, weight: 1 },
    {
      // Not 10,000 levels here: socket.io-client itself overflows encoding that (the raw property sends it).
      arbitrary: fc.record({
        kind: fc.constant('mutated' as const),
        mutations: fc.array(
          jsonMutation.filter((m) => m.op !== 'deep'),
          { maxLength: 2 },
        ),
      }),
      weight: 2,
    },
  ),
  header: fc.oneof(
    { arbitrary: fc.constant({ kind: 'none' as const }), weight: 3 },
    {
      arbitrary: fc.record({
        kind: fc.constantFrom('authorization' as const, 'cookie' as const),
        text: headerText,
      }),
      weight: 1,
    },
  ),
});

describe('fuzzing sign-in, session tokens and Socket.IO handshakes', () => {
  let server: TestServer;
  let token: string;
  let prototypeUnchanged: () => void;
  /** The account valid sign-ins use; wrong passwords go to the victim only (it may lock, this one never). */
  const user = { username: 'fz-user', password: '' };
  const victim = 'fz-victim';

  beforeAll(async () => {
    prototypeUnchanged = prototypeSnapshot();
    server = await startTestServer({ LOGIN_MAX_FAILURES: '100' });
    token = server.token;
    user.password = (await createUser(server.url, { username: user.username, role: 'viewer' })).password;
    await createUser(server.url, { username: victim, role: 'viewer' });
  });
  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
  });

  async function afterEachBatch(): Promise<void> {
    await expectUnharmed(server, prototypeUnchanged);
    // The admin's own session still works: no hostile request ended or confused it.
    const me = await rawFetch(`${server.url}/api/v1/auth/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.status).toBe(200);
    await me.arrayBuffer();
  }

  function loginBody(body: LoginBody): string {
    switch (body.kind) {
      case 'doc': {
        const doc =
          body.who === 'valid'
            ? user
            : { username: body.who === 'victim' ? victim : 'fz-nobody', password: 'not the password 123' };
        return renderMutated(doc, body.mutations);
      }
      case 'json':
      case 'notJson':
      case 'deep':
        return rawBodyText(body, (deep) => [
          ['username', deep],
          ['password', jsonString('x')],
        ]);
      case 'huge':
        return objectText([
          ['username', jsonString(user.username)],
          ['password', jsonString('p'.repeat(BODY_LIMIT))],
        ]);
    }
  }

  it(
    'signs in only with the right password and refuses every other body with a 4xx naming field and reason',
    async () => {
      const statuses = new Map<number, number>();
      const reasons = new Map<string, number>();
      const refusedBefore = await httpRefusals(server.url);
      await fc.assert(
        fc.asyncProperty(fc.array(loginPlan, { minLength: 1, maxLength: 3 }), async (plans) => {
          for (const plan of plans) {
            const text = loginBody(plan.body);
            const headers: Record<string, string> = plan.contentType
              ? { 'content-type': plan.contentType }
              : {};
            const res = await within(
              rawFetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers, body: text }),
              15_000,
              'POST /api/v1/auth/login',
            );
            tally(statuses, res.status);
            let sent: unknown = null;
            try {
              sent = JSON.parse(text);
            } catch {
              // not JSON
            }
            const rightPassword =
              plan.contentType === 'application/json' &&
              typeof sent === 'object' &&
              sent !== null &&
              (sent as Record<string, unknown>)['username'] === user.username &&
              (sent as Record<string, unknown>)['password'] === user.password;
            if (res.status === 200) {
              expect(rightPassword, 'signed in without the password').toBe(true);
              const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
              expect(cookie).toBeDefined();
              const session = cookie!.slice(SESSION_COOKIE.length + 1).split(';')[0]!;
              await res.arrayBuffer();
              const out = await rawFetch(`${server.url}/api/v1/auth/logout`, {
                method: 'POST',
                headers: { authorization: `Bearer ${session}` },
              });
              expect(out.status).toBe(204);
              continue;
            }
            expect(rightPassword, `the right password was refused with ${res.status}`).toBe(false);
            expect([400, 401, 413, 423], `status ${res.status}`).toContain(res.status);
            const { error } = await readApiError(res);
            tally(reasons, error.code);
            expect(error.message).not.toBe('');
            if (res.status === 400 || res.status === 413) {
              expect(error.details.length).toBeGreaterThan(0);
              for (const d of error.details) expect(d.message).not.toBe('');
            }
          }
          await afterEachBatch();
        }),
        fuzzParameters<[LoginPlan[]]>('login', RUNS, [
          [[{ body: { kind: 'doc', who: 'valid', mutations: [] }, contentType: 'application/json' }]],
          [
            [
              {
                body: {
                  kind: 'doc',
                  who: 'stranger',
                  mutations: [{ at: 1, op: 'replace', text: jsonString('ab\ud800c') }],
                },
                contentType: 'application/json',
              },
              { body: { kind: 'deep', shape: 'array' }, contentType: 'application/json' },
              { body: { kind: 'huge' }, contentType: 'application/json' },
              { body: { kind: 'json', text: POLLUTER }, contentType: 'application/json' },
            ],
          ],
        ]),
      );
      expect([...statuses.keys()]).toEqual(expect.arrayContaining([200, 400, 401, 413]));
      await expectRefusalsCounted(server.url, refusedBefore, statuses, reasons);
    },
    fuzzTimeout(RUNS, 1500),
  );

  it(
    'answers every malformed or near-miss token with 401 and never with data',
    async () => {
      const statuses = new Map<number, number>();
      const refusedBefore = await httpRefusals(server.url);
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ plan: tokenPlan, where: fc.constantFrom('bearer', 'raw', 'cookie') }), {
            minLength: 1,
            maxLength: 6,
          }),
          async (attempts) => {
            for (const { plan, where } of attempts) {
              const value = nearMiss(token, plan);
              if (value.trim() === token) continue; // the token itself (HTTP trims whitespace)
              const headers: Record<string, string> =
                where === 'cookie'
                  ? { cookie: `${SESSION_COOKIE}=${value}` }
                  : { authorization: where === 'bearer' ? `Bearer ${value}` : value };
              for (const path of ['/api/v1/auth/me', '/api/v1/sensors?limit=1', '/api/v1/ingest/stats']) {
                const res = await within(
                  rawFetch(`${server.url}${path}`, { headers }),
                  15_000,
                  `GET ${path}`,
                );
                tally(statuses, res.status);
                expect(res.status, `${path} with ${JSON.stringify(headers)}`).toBe(401);
                expect((await readApiError(res)).error.code).toBe('unauthorized');
              }
            }
            await afterEachBatch();
          },
        ),
        fuzzParameters('tokens', RUNS),
      );
      await expectRefusalsCounted(
        server.url,
        refusedBefore,
        statuses,
        new Map([['unauthorized', statuses.get(401) ?? 0]]),
      );
    },
    fuzzTimeout(RUNS, 1000),
  );

  /** One raw HTTP/1.1 request; resolves with the status codes of every response the server wrote. */
  function rawRequest(head: Buffer): Promise<{ statuses: number[]; text: string }> {
    return within(
      new Promise((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1');
        const chunks: Buffer[] = [];
        socket.on('data', (d: Buffer) => chunks.push(d));
        socket.on('error', reject);
        socket.on('close', () => {
          const text = Buffer.concat(chunks).toString('latin1');
          resolve({ statuses: [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1])), text });
        });
        socket.end(head);
      }),
      15_000,
      'a raw HTTP request',
    );
  }

  it(
    'answers raw requests with bytes fetch cannot send (NUL, CR/LF, UTF-8, 20 KB headers) with a JSON 4xx',
    async () => {
      const answered = new Map<number, number>();
      const refusedBefore = await httpRefusals(server.url);
      await fc.assert(
        fc.asyncProperty(fc.array(rawPlan, { minLength: 1, maxLength: 4 }), async (plans) => {
          for (const plan of plans) {
            const value = Buffer.concat(
              Array.from({ length: plan.repeat }, () => Buffer.from(plan.bytes)).concat(
                plan.repeat > 1 ? [Buffer.alloc(20_000, 0x61)] : [],
              ),
            );
            const lines: Buffer[] = [
              Buffer.from(`GET /api/v1/auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`),
            ];
            if (plan.header !== 'cookie')
              lines.push(Buffer.from('Authorization: '), value, Buffer.from('\r\n'));
            if (plan.header !== 'authorization')
              lines.push(Buffer.from(`Cookie: ${SESSION_COOKIE}=`), value, Buffer.from('\r\n'));
            lines.push(Buffer.from('\r\n'));
            const { statuses, text } = await rawRequest(Buffer.concat(lines));
            expect(
              statuses.length,
              `no answer to ${JSON.stringify(Buffer.concat(lines).toString('latin1').slice(0, 200))}`,
            ).toBeGreaterThan(0);
            for (const status of statuses) {
              expect([400, 401, 404, 431]).toContain(status);
              tally(answered, status);
            }
            // Every answer carries the JSON error body.
            const bodies = text.split(/\r\n\r\n/).slice(1);
            expect(bodies.some((b) => b.startsWith('{"error":{"code":'))).toBe(true);
          }
          await afterEachBatch();
        }),
        fuzzParameters<[RawPlan[]]>('rawHttp', RUNS, [
          [[{ header: 'both', bytes: Uint8Array.from([0x42, 0x00]), repeat: 300 }]],
        ]),
      );
      // Refused by Node's parser or by a route, each answer was counted.
      await expectRefusalsCounted(server.url, refusedBefore, answered);
    },
    fuzzTimeout(RUNS, 1000),
  );

  /** Connect a Socket.IO client; resolves with 'connected' or the connect_error message. */
  function handshake(plan: HandshakePlan): Promise<string> {
    const parse = (text: string): unknown => {
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    };
    const auth: Record<string, unknown> = {};
    if (plan.token.kind === 'valid') auth['token'] = token;
    else if (plan.token.kind === 'json') auth['token'] = parse(plan.token.text);
    else if (plan.token.kind !== 'none') auth['token'] = nearMiss(token, plan.token);
    if (plan.scope.kind === 'json') auth['scope'] = parse(plan.scope.text);
    if (plan.scope.kind === 'mutated')
      auth['scope'] = parse(renderMutated({ kind: 'district', id: '330106' }, plan.scope.mutations));
    const extraHeaders: Record<string, string> =
      plan.header.kind === 'none' ? {} : { [plan.header.kind]: plan.header.text };
    const socket = connectSocket(server.url, {
      transports: [plan.transport],
      reconnection: false,
      forceNew: true,
      timeout: 10_000,
      auth,
      extraHeaders,
    });
    return within(
      new Promise<string>((resolve) => {
        socket.once('connect', () => resolve('connected'));
        socket.once('connect_error', (err) => resolve(err.message));
      }),
      15_000,
      'a Socket.IO handshake',
    ).finally(() => socket.disconnect());
  }

  it(
    'refuses every Socket.IO handshake without a valid token, and every hostile scope with the field and reason',
    async () => {
      const outcomes = new Set<string>();
      await fc.assert(
        fc.asyncProperty(fc.array(handshakePlan, { minLength: 1, maxLength: 4 }), async (plans) => {
          for (const plan of plans) {
            const result = await handshake(plan);
            // The server reads the session cookie, then Authorization, then auth.token (docs/SECURITY.md).
            const fromHeaders =
              plan.header.kind === 'none' ? null : sessionToken({ [plan.header.kind]: plan.header.text });
            const authorised = fromHeaders === null ? plan.token.kind === 'valid' : fromHeaders === token;
            expect(result, 'an internal error').not.toBe('unavailable');
            if (!authorised) {
              expect(result).toBe('unauthorized');
              outcomes.add('unauthorized');
              continue;
            }
            if (result === 'connected') {
              outcomes.add('connected');
              continue;
            }
            // A refusal of the scope names the field and the reason.
            expect(result).toMatch(/^(invalid scope: \S.*: \S|unknown (district|cell) in scope|forbidden: )/);
            outcomes.add('scope');
          }
          await afterEachBatch();
        }),
        fuzzParameters<[HandshakePlan[]]>('handshake', RUNS, [
          [
            [
              {
                transport: 'websocket',
                token: { kind: 'valid' },
                scope: { kind: 'none' },
                header: { kind: 'none' },
              },
              {
                transport: 'polling',
                token: { kind: 'valid' },
                scope: { kind: 'json', text: POLLUTER },
                header: { kind: 'none' },
              },
              {
                transport: 'websocket',
                token: { kind: 'near', how: 'flip', at: 3 },
                scope: { kind: 'none' },
                header: { kind: 'authorization', text: 'Bearer \u00ff' },
              },
            ],
          ],
        ]),
      );
      expect([...outcomes].sort()).toEqual(['connected', 'scope', 'unauthorized']);
    },
    fuzzTimeout(RUNS, 1500),
  );
  /** The payload of a CONNECT packet as hand-written JSON text (or not JSON at all). */
  type ConnectPayload =
    | { kind: 'text'; text: string }
    | { kind: 'deep'; shape: 'array' | 'object'; withToken: boolean }
    | { kind: 'withToken'; scope: string };

  const connectPayload: fc.Arbitrary<ConnectPayload> = fc.oneof(
    {
      arbitrary: fc.record({
        kind: fc.constant('text' as const),
        text: fc.oneof(hostileJsonText, fc.constantFrom(...NOT_JSON_TEXTS)),
      }),
      weight: 3,
    },
    { arbitrary: fc.record({ kind: fc.constant('withToken' as const), scope: hostileJsonText }), weight: 3 },
    {
      arbitrary: fc.record({
        kind: fc.constant('deep' as const),
        shape: deepShape,
        withToken: fc.boolean(),
      }),
      weight: 1,
    },
  );

  function connectText(p: ConnectPayload): string {
    if (p.kind === 'text') return p.text;
    const scope = p.kind === 'deep' ? deepJson(DEEP_LEVELS, p.shape) : p.scope;
    return p.kind === 'deep' && !p.withToken
      ? objectText([['token', scope]])
      : objectText([
          ['token', jsonString(token)],
          ['scope', scope],
        ]);
  }

  /**
   * An Engine.IO polling session by hand: open, send a Socket.IO CONNECT packet (`40` + payload),
   * and read the answer: `40…` connected, `44{"message":…}` refused, or the session closed.
   */
  async function pollingConnect(
    payload: string,
  ): Promise<{ connected: boolean; refusal: string | null; closed: boolean }> {
    const base = `${server.url}/socket.io/?EIO=4&transport=polling`;
    const open = await rawFetch(base);
    expect(open.status).toBe(200);
    const { sid } = JSON.parse((await open.text()).slice(1)) as { sid: string };
    const sent = await rawFetch(`${base}&sid=${sid}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: `40${payload}`,
    });
    const sentText = await sent.text();
    if (sent.status !== 200) return { connected: false, refusal: null, closed: true };
    expect(sentText).toBe('ok');
    const poll = await rawFetch(`${base}&sid=${sid}`);
    const packets = poll.status === 200 ? (await poll.text()).split('\x1e') : [];
    const refused = packets.find((p) => p.startsWith('44'));
    const result = {
      connected: packets.some((p) => p.startsWith('40')),
      // `44` [`/namespace,`] `{"message":…}`
      refusal: refused
        ? (JSON.parse(refused.replace(/^44(\/[^,]*,)?/, '')) as { message: string }).message
        : null,
      closed: poll.status !== 200 || packets.includes('1'),
    };
    // Leave: a close packet ends the session on the server.
    await rawFetch(`${base}&sid=${sid}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: '1',
    })
      .then((r) => r.arrayBuffer())
      .catch(() => undefined);
    return result;
  }

  it(
    'refuses hand-written Socket.IO CONNECT packets (not JSON, 10,000 levels, hostile scopes) without crashing',
    async () => {
      const outcomes = new Set<string>();
      await fc.assert(
        fc.asyncProperty(fc.array(connectPayload, { minLength: 1, maxLength: 4 }), async (payloads) => {
          for (const p of payloads) {
            const answer = await within(pollingConnect(connectText(p)), 15_000, 'a polling handshake');
            const hasToken = p.kind === 'withToken' || (p.kind === 'deep' && p.withToken);
            expect(answer.refusal, 'an internal error').not.toBe('unavailable');
            if (answer.connected) {
              expect(hasToken, 'connected without a token').toBe(true);
              outcomes.add('connected');
            } else if (answer.refusal !== null) {
              // A packet for a namespace other than the default one gets Socket.IO's own refusal.
              if (answer.refusal === 'Invalid namespace') expect(connectText(p).startsWith('/')).toBe(true);
              else if (hasToken)
                expect(answer.refusal).toMatch(
                  /^(invalid scope: \S.*: \S|unknown (district|cell) in scope|forbidden: )/,
                );
              else expect(answer.refusal).toBe('unauthorized');
              outcomes.add('refused');
            } else {
              // A packet Socket.IO cannot decode ends the session: refused too.
              expect(answer.closed, JSON.stringify(answer)).toBe(true);
              outcomes.add('closed');
            }
          }
          await afterEachBatch();
        }),
        fuzzParameters<[ConnectPayload[]]>('pollingConnect', RUNS, [
          [
            [
              { kind: 'deep', shape: 'array', withToken: true },
              { kind: 'deep', shape: 'object', withToken: false },
              { kind: 'text', text: 'not json' },
              { kind: 'withToken', scope: POLLUTER },
              { kind: 'withToken', scope: '{"kind":"city"}' },
            ],
          ],
        ]),
      );
      expect([...outcomes].sort()).toEqual(['closed', 'connected', 'refused']);
    },
    fuzzTimeout(RUNS, 1500),
  );
});
