import fc from 'fast-check';

/**
 * Hostile input for the fuzz tests (docs/SECURITY.md, "Hostile input"): text and
 * JSON that a careless or malicious client could send. Everything is generated as
 * JSON *text* (or raw bytes), because JSON.stringify cannot write `1e999`, a
 * duplicate key, a raw invalid UTF-8 byte or a 10,000-level nesting on purpose.
 */

/** Keys that reach an object's prototype when a parser or merge assigns them naively. */
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** The marker a pollution attempt tries to plant on Object.prototype. */
export const POLLUTION_MARK = 'polluted';

/** An object that pollutes Object.prototype through every classic route if merged or assigned naively. */
export const POLLUTER =
  `{"__proto__":{"${POLLUTION_MARK}":"yes"},` +
  `"constructor":{"prototype":{"${POLLUTION_MARK}":"yes"}},` +
  `"prototype":{"${POLLUTION_MARK}":"yes"}}`;

/** Nesting far beyond what any recursive parser or validator can walk on a default stack. */
export const DEEP_LEVELS = 10_000;

/** `[[[…]]]` and `{"a":{"a":…}}` nested `levels` deep, as JSON text. */
export function deepJson(levels: number, shape: 'array' | 'object'): string {
  return shape === 'array'
    ? '['.repeat(levels) + ']'.repeat(levels)
    : '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
}

/** Strings a display, a database or a log must survive: RTL overrides, emoji, NUL, lone surrogates… */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\udc00y',
  '\ud83d',
  '\u202eevil\u202c',
  '\u200f\u05e9\u05dc\u05d5\u05dd',
  'مرحبا',
  '👩‍👩‍👧‍👦',
  '🏳️‍🌈',
  'e\u0301\u0301\u0301',
  '\ufeff',
  '\u2028\u2029',
  '\u200b',
  '杭州市上城区',
  '../../etc/passwd',
  '%00',
  '%ud800',
  "'; DROP TABLE readings; --",
  '<script>alert(1)</script>',
  '{{constructor.constructor("return process")()}}',
  '${7*7}',
  '\r\n\r\nHTTP/1.1 200 OK',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'TRF-0001\u0000',
  'TRF-0001 ',
  'ＴＲＦ-0001',
];

/** One code unit that is a lone surrogate. */
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

/** Short strings of every kind of character, lone surrogates included. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 4 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  {
    arbitrary: fc.string({
      unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), loneSurrogate),
      maxLength: 20,
    }),
    weight: 1,
  },
  // Long, but well inside the body limits: the "huge" payloads have their own generators.
  {
    arbitrary: fc
      .tuple(fc.constantFrom('x', '字', '😀', '\u0000'), fc.integer({ min: 100, max: 2000 }))
      .map(([c, n]) => c.repeat(n)),
    weight: 1,
  },
);

/** Numbers (and non-numbers) as JSON text: non-finite, negative zero, out of double range, hex… */
export const HOSTILE_NUMBER_TEXTS: readonly string[] = [
  '1e999',
  '-1e999',
  '1e309',
  '-0',
  '-0.0',
  '0e0',
  '1e-999',
  '5e-324',
  '1.7976931348623157e308',
  '9007199254740993',
  '-9007199254740993',
  '123456789012345678901234567890',
  '1.5',
  '0.1',
  '1E2',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '01',
  '1.',
  '.5',
  '+1',
  '--1',
  '1e',
];

export const hostileNumberText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_NUMBER_TEXTS), weight: 3 },
  { arbitrary: fc.double().map((d) => (Number.isFinite(d) ? JSON.stringify(d) : String(d))), weight: 1 },
  { arbitrary: fc.integer().map(String), weight: 1 },
);

/** Observation times as JSON text that no sane clock produces (relative ones come from `timeOffsetMs`). */
export const HOSTILE_TIME_TEXTS: readonly string[] = [
  '0',
  '-1',
  '-8640000000000000',
  '8640000000000000',
  '8640000000000001',
  '1e21',
  '1e999',
  '-0',
  '1.5',
  'null',
  'true',
  '[]',
  '{}',
  '"0"',
  '""',
  '"yesterday"',
  '"0001-01-01T00:00:00Z"',
  '"0000-01-01T00:00:00Z"',
  '"1970-01-01T00:00:00Z"',
  '"9999-12-31T23:59:59.999Z"',
  '"+275760-09-13T00:00:00.000Z"',
  '"+275760-09-13T00:00:00.001Z"',
  '"-271821-04-20T00:00:00Z"',
  '"2026-02-30T00:00:00Z"',
  '"2026-13-01T00:00:00Z"',
  '"2026-11-21T24:00:00Z"',
  '"2026-11-21T16:00:00"',
  '"2026-11-21T16:00:00+25:00"',
  '"2026-11-21T16:00:00.123456789123456789Z"',
  '"2026-11-21"',
  '"Sat, 21 Nov 2026 08:00:00 GMT"',
  '"2026-11-21T16:00:00Z\\u0000"',
  '"\\ud800"',
];

/** Offsets from now that make an observation time far in the past or future, or not an integer. */
export const timeOffsetMs: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    3_600_000,
    86_400_000,
    -30 * 86_400_000,
    10 * 365 * 86_400_000,
    -60 * 365 * 86_400_000,
    0.5,
    -0.25,
    1e-7,
  ),
  fc
    .double({ min: -1e15, max: 1e15, noNaN: true })
    .filter((d) => Math.abs(d) > 600_000 || !Number.isInteger(d)),
);

/** Text that is not JSON at all, or JSON's near misses. */
export const NOT_JSON_TEXTS: readonly string[] = [
  '',
  ' ',
  'undefined',
  "{'a':1}",
  '{"a":1,}',
  '[1,]',
  '{"a" 1}',
  '{a:1}',
  '"unterminated',
  '\u0000',
  '/* comment */ {}',
  '{"a":1}{"b":2}',
  '\ufeff{}',
  '[' + ']'.repeat(3),
];

/** A JSON string literal (escaping whatever needs it, lone surrogates included). */
export const jsonString = (s: string): string => JSON.stringify(s);

/** JSON object text from ordered members; keys may repeat (the last wins in JSON.parse). */
export function objectText(members: ReadonlyArray<readonly [string, string]>): string {
  return `{${members.map(([k, v]) => `${jsonString(k)}:${v}`).join(',')}}`;
}

/** Keys of an object as a hostile client picks them: prototype keys, field names, anything. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...PROTO_KEYS), weight: 3 },
  {
    arbitrary: fc.constantFrom(
      'sensorId',
      'observedAt',
      'values',
      'quality',
      'readings',
      'speed',
      'pm25',
      'a',
    ),
    weight: 2,
  },
  { arbitrary: hostileString, weight: 2 },
);

/**
 * Any JSON value as text, with hostile leaves (numbers, strings, the polluter) and
 * hostile keys at every level; now and then not JSON at all.
 */
export const hostileJsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: hostileNumberText, weight: 3 },
    { arbitrary: hostileString.map(jsonString), weight: 3 },
    { arbitrary: fc.constantFrom('true', 'false', 'null', POLLUTER), weight: 2 },
    { arbitrary: fc.array(tie('value'), { maxLength: 5 }).map((items) => `[${items.join(',')}]`), weight: 2 },
    {
      arbitrary: fc
        .array(fc.tuple(hostileKey, tie('value')), { maxLength: 5 })
        .map((members) => objectText(members)),
      weight: 2,
    },
  ),
})).value;

/**
 * Whole bodies a JSON endpoint must refuse whatever its document looks like: any JSON value
 * (hostile), text that is not JSON, or the endpoint's document nested DEEP_LEVELS deep in a member.
 */
export type RawBodyPlan =
  | { kind: 'json'; text: string }
  | { kind: 'notJson'; text: string }
  | { kind: 'deep'; shape: 'array' | 'object' };

export const jsonTextPlan = fc.record({ kind: fc.constant('json' as const), text: hostileJsonText });
export const notJsonPlan = fc.record({
  kind: fc.constant('notJson' as const),
  text: fc.constantFrom(...NOT_JSON_TEXTS),
});
export const deepShape = fc.constantFrom('array' as const, 'object' as const);
export const deepPlan = fc.record({ kind: fc.constant('deep' as const), shape: deepShape });

/** The text of a raw body; a deep one is the document `members(deep)`, with the deep nesting in it. */
export function rawBodyText(body: RawBodyPlan, members: (deep: string) => Array<[string, string]>): string {
  return body.kind === 'deep' ? objectText(members(deepJson(DEEP_LEVELS, body.shape))) : body.text;
}

/** Byte sequences that are not valid UTF-8: stray continuation bytes, overlong NUL, encoded surrogates… */
export const INVALID_UTF8: readonly number[][] = [
  [0xff],
  [0xfe, 0xff],
  [0x80],
  [0xc0, 0x80],
  [0xc3],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x00],
];

export const invalidUtf8: fc.Arbitrary<Uint8Array> = fc
  .array(fc.constantFrom(...INVALID_UTF8), { minLength: 1, maxLength: 4 })
  .map((chunks) => Uint8Array.from(chunks.flat()));

/** Arbitrary bytes, sometimes starting like JSON so that parsers get further in. */
export const randomBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc
    .tuple(fc.constantFrom('{', '[', '{"readings":[', '{"sensorId":"'), fc.uint8Array({ maxLength: 256 }))
    .map(([start, rest]) => Uint8Array.from([...Buffer.from(start), ...rest])),
);

/** One hostile change to a JSON document, at the path of one of its values ('' for the root). */
export type JsonMutation =
  | { at: number; op: 'replace'; text: string }
  | { at: number; op: 'delete' }
  | { at: number; op: 'add'; key: string; text: string }
  | { at: number; op: 'deep'; shape: 'array' | 'object' };

/** Every path of a JSON value (objects' members and arrays' items), the root first. */
function pathsOf(value: unknown, path = ''): string[] {
  const out = [path];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, `${path}/${i}`)));
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, `${path}/${encodeURIComponent(k)}`));
  }
  return out;
}

/** `value` as JSON text with `mutations` applied at the paths they name (by index into pathsOf). */
export function renderMutated(value: unknown, mutations: readonly JsonMutation[]): string {
  const paths = pathsOf(value);
  const byPath = new Map<string, JsonMutation[]>();
  for (const m of mutations) {
    const p = paths[m.at % paths.length]!;
    byPath.set(p, [...(byPath.get(p) ?? []), m]);
  }
  const render = (v: unknown, path: string): string | null => {
    const here = byPath.get(path) ?? [];
    if (path !== '' && here.some((m) => m.op === 'delete')) return null;
    const replaced = here.find((m) => m.op === 'replace' || m.op === 'deep');
    if (replaced?.op === 'replace') return replaced.text;
    if (replaced?.op === 'deep') return deepJson(DEEP_LEVELS, replaced.shape);
    const added = here.flatMap((m) => (m.op === 'add' ? [[m.key, m.text] as const] : []));
    if (Array.isArray(v)) {
      const items = v.map((item, i) => render(item, `${path}/${i}`)).filter((t): t is string => t !== null);
      return `[${[...items, ...added.map(([, t]) => t)].join(',')}]`;
    }
    if (typeof v === 'object' && v !== null) {
      const members = Object.entries(v).flatMap(([k, item]) => {
        const t = render(item, `${path}/${encodeURIComponent(k)}`);
        return t === null ? [] : [[k, t] as const];
      });
      return objectText([...members, ...added]);
    }
    return JSON.stringify(v);
  };
  return render(value, '') ?? 'null';
}

export const jsonMutation: fc.Arbitrary<JsonMutation> = fc.oneof(
  {
    arbitrary: fc.record({ at: fc.nat(), op: fc.constant('replace' as const), text: hostileJsonText }),
    weight: 5,
  },
  { arbitrary: fc.record({ at: fc.nat(), op: fc.constant('delete' as const) }), weight: 2 },
  {
    arbitrary: fc.record({
      at: fc.nat(),
      op: fc.constant('add' as const),
      key: hostileKey,
      text: fc.oneof(fc.constant(POLLUTER), hostileJsonText),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      at: fc.nat(),
      op: fc.constant('deep' as const),
      shape: fc.constantFrom('array' as const, 'object' as const),
    }),
    weight: 1,
  },
);

/** A valid document made hostile by one to three mutations, as JSON text. */
export function mutatedJson(base: unknown): fc.Arbitrary<string> {
  return fc.array(jsonMutation, { minLength: 1, maxLength: 3 }).map((ms) => renderMutated(base, ms));
}
