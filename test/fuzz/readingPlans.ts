import fc from 'fast-check';
import { expect } from 'vitest';
import {
  REJECTION_REASONS,
  type IngestPath,
  type IngestStats,
  type RejectionReason,
} from '../../shared/schemas/ingest.schema';
import { MAX_READINGS_PER_BATCH } from '../../shared/schemas/reading.schema';
import { freshTime } from '../helpers/badPayloads';
import { rawHistory } from '../helpers/ingestChecks';
import {
  DEEP_LEVELS,
  HOSTILE_TIME_TEXTS,
  POLLUTER,
  deepJson,
  deepShape,
  hostileJsonText,
  hostileKey,
  hostileNumberText,
  hostileString,
  invalidUtf8,
  jsonString,
  jsonTextPlan,
  notJsonPlan,
  objectText,
  randomBytes,
  timeOffsetMs,
} from './hostile';

/**
 * Plans of readings payloads for the ingest fuzz tests. A plan is what fast-check
 * generates, shrinks and prints; `materialize` turns it into bytes at send time,
 * so that good readings get fresh observation times (never a duplicate of an earlier
 * run, never stale) and relative times stay relative to the moment of sending.
 */

/** Sensors of the Hangzhou pack whose good readings the fuzz tests mix into the garbage. */
export const GOOD_SENSORS = [
  { sensorId: 'TRF-0001', metric: 'speed', min: 0, max: 250 },
  { sensorId: 'AQ-001', metric: 'pm25', min: 0, max: 2000 },
  { sensorId: 'WL-0001', metric: 'waterDepth', min: 0, max: 500 },
] as const;
export type GoodSensorIndex = 0 | 1 | 2;

/** How a hostile reading differs from a good one. */
export type Mutation =
  | { op: 'set'; field: 'sensorId' | 'observedAt' | 'values' | 'quality'; text: string }
  | { op: 'delete'; field: 'sensorId' | 'observedAt' | 'values' }
  | { op: 'time'; offsetMs: number }
  | { op: 'value'; metric: string; text: string }
  | { op: 'extra'; key: string; text: string }
  /** Invalid UTF-8 bytes inside the sensorId string. */
  | { op: 'bytes'; bytes: Uint8Array };

export type ItemPlan =
  /** A reading every check accepts: it must be stored, whatever surrounds it. */
  | { kind: 'good'; sensor: GoodSensorIndex; value: number; format: 'plain' | 'exponent' | 'decimal' }
  /** A good reading with one to three hostile changes (it may still be valid). */
  | { kind: 'mutant'; sensor: GoodSensorIndex; mutations: Mutation[] }
  /** Any JSON value at all. */
  | { kind: 'json'; text: string };

export type BodyPlan =
  /** Readings as an array (MQTT) or `{ "readings": [...] }` (HTTP), with extra top-level members for HTTP. */
  | { kind: 'items'; items: ItemPlan[]; single: boolean; extras: Array<[string, string]> }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'json'; text: string }
  | { kind: 'notJson'; text: string }
  | { kind: 'deep'; shape: 'array' | 'object'; where: 'top' | 'item' | 'value' }
  /** Beyond the limits: more bytes than MAX_PAYLOAD_BYTES (far beyond with `far`), or too many readings. */
  | { kind: 'huge'; what: 'string' | 'padding' | 'far' | 'batch' };

/** Good readings' values, in JSON spellings a strict parser might trip on but JSON allows. */
function valueText(value: number, format: 'plain' | 'exponent' | 'decimal'): string {
  if (format === 'exponent') return value.toExponential();
  if (format === 'decimal' && Number.isInteger(value)) return `${value}.0`;
  return JSON.stringify(value);
}

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constant('set' as const),
    field: fc.constantFrom('sensorId' as const, 'observedAt' as const, 'values' as const, 'quality' as const),
    text: fc.oneof(hostileJsonText, fc.constantFrom(...HOSTILE_TIME_TEXTS), hostileString.map(jsonString)),
  }),
  fc.record({
    op: fc.constant('delete' as const),
    field: fc.constantFrom('sensorId' as const, 'observedAt' as const, 'values' as const),
  }),
  fc.record({ op: fc.constant('time' as const), offsetMs: timeOffsetMs }),
  fc.record({
    op: fc.constant('value' as const),
    metric: fc.oneof(hostileKey, fc.constantFrom('speed', 'pm25', 'occupancy', 'radiation')),
    text: fc.oneof(hostileNumberText, hostileJsonText),
  }),
  fc.record({
    op: fc.constant('extra' as const),
    key: hostileKey,
    text: fc.oneof(fc.constant(POLLUTER), hostileJsonText),
  }),
  fc.record({ op: fc.constant('bytes' as const), bytes: invalidUtf8 }),
);

const sensorIndex = fc.constantFrom<GoodSensorIndex>(0, 1, 2);

export const goodItem: fc.Arbitrary<ItemPlan> = sensorIndex.chain((sensor) =>
  fc.record({
    kind: fc.constant('good' as const),
    sensor: fc.constant(sensor),
    value: fc.oneof(
      fc.integer({ min: GOOD_SENSORS[sensor].min, max: GOOD_SENSORS[sensor].max }),
      fc.double({ min: GOOD_SENSORS[sensor].min, max: GOOD_SENSORS[sensor].max, noNaN: true }),
    ),
    format: fc.constantFrom('plain' as const, 'exponent' as const, 'decimal' as const),
  }),
);

export const itemPlan: fc.Arbitrary<ItemPlan> = fc.oneof(
  { arbitrary: goodItem, weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('mutant' as const),
      sensor: sensorIndex,
      mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
    }),
    weight: 4,
  },
  { arbitrary: jsonTextPlan, weight: 2 },
);

export const bodyPlan: fc.Arbitrary<BodyPlan> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('items' as const),
      items: fc.array(itemPlan, { minLength: 1, maxLength: 8 }),
      single: fc.boolean(),
      extras: fc.array(fc.tuple(hostileKey, fc.oneof(fc.constant(POLLUTER), hostileJsonText)), {
        maxLength: 2,
      }),
    }),
    weight: 10,
  },
  { arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: randomBytes }), weight: 2 },
  { arbitrary: jsonTextPlan, weight: 2 },
  { arbitrary: notJsonPlan, weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('deep' as const),
      shape: deepShape,
      where: fc.constantFrom('top' as const, 'item' as const, 'value' as const),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('huge' as const),
      what: fc.constantFrom('string' as const, 'padding' as const, 'far' as const, 'batch' as const),
    }),
    weight: 1,
  },
);

/** A good reading as sent: its key in the store and its value, to look it up afterwards. */
export interface SentGood {
  /** Position in the payload's readings. */
  index: number;
  sensorId: string;
  metric: string;
  observedAt: number;
  value: number;
}

export interface Materialized {
  bytes: Buffer;
  goods: SentGood[];
}

/** One reading (good or hostile) as bytes. */
function itemBytes(plan: ItemPlan, index: number, goods: SentGood[]): Buffer {
  if (plan.kind === 'json') return Buffer.from(plan.text);
  const s = GOOD_SENSORS[plan.sensor];
  const observedAt = freshTime();
  if (plan.kind === 'good') {
    goods.push({ index, sensorId: s.sensorId, metric: s.metric, observedAt, value: plan.value });
    return Buffer.from(
      objectText([
        ['sensorId', jsonString(s.sensorId)],
        ['observedAt', String(observedAt)],
        ['values', objectText([[s.metric, valueText(plan.value, plan.format)]])],
      ]),
    );
  }
  const fields = new Map<string, string>([
    ['sensorId', jsonString(s.sensorId)],
    ['observedAt', String(observedAt)],
  ]);
  const values: Array<[string, string]> = [[s.metric, String(s.min)]];
  const extras: Array<[string, string]> = [];
  let sensorBytes: Uint8Array | null = null;
  for (const m of plan.mutations) {
    if (m.op === 'set') fields.set(m.field, m.text);
    else if (m.op === 'delete') fields.set(m.field, '');
    else if (m.op === 'time') fields.set('observedAt', JSON.stringify(observedAt + m.offsetMs));
    else if (m.op === 'value') values.push([m.metric, m.text]);
    else if (m.op === 'extra') extras.push([m.key, m.text]);
    else sensorBytes = m.bytes;
  }
  if (!fields.has('values')) fields.set('values', objectText(values));
  const members = [...fields].filter(([, v]) => v !== '');
  const text = objectText([...members, ...extras]);
  if (!sensorBytes || !fields.get('sensorId')?.startsWith('"')) return Buffer.from(text);
  // Splice the raw bytes inside the sensorId string: `"TRF-<bytes>0001"`.
  const at = text.indexOf('"sensorId":"') + '"sensorId":"'.length + 2;
  return Buffer.concat([Buffer.from(text.slice(0, at)), sensorBytes, Buffer.from(text.slice(at))]);
}

/** Readings joined as a JSON array. */
function arrayBytes(items: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from('[')];
  items.forEach((b, i) => {
    if (i > 0) parts.push(Buffer.from(','));
    parts.push(b);
  });
  parts.push(Buffer.from(']'));
  return Buffer.concat(parts);
}

/**
 * The payload of a plan. `wrap` is how the transport carries readings: an MQTT
 * message is a reading or an array; an HTTP body is `{ "readings": [...] }`.
 * `limit` is the server's MAX_PAYLOAD_BYTES, which the huge plans exceed.
 */
export function materialize(plan: BodyPlan, wrap: 'mqtt' | 'http', limit: number): Materialized {
  const goods: SentGood[] = [];
  const wrapItems = (items: Buffer[], extras: Array<[string, string]> = []): Buffer => {
    if (wrap === 'mqtt') return arrayBytes(items);
    const tail = extras.length > 0 ? `,${extras.map(([k, v]) => `${jsonString(k)}:${v}`).join(',')}` : '';
    return Buffer.concat([Buffer.from('{"readings":'), arrayBytes(items), Buffer.from(`${tail}}`)]);
  };
  switch (plan.kind) {
    case 'items': {
      const items = plan.items.map((item, i) => itemBytes(item, i, goods));
      if (wrap === 'mqtt' && plan.single && items.length === 1) return { bytes: items[0]!, goods };
      return { bytes: wrapItems(items, plan.extras), goods };
    }
    case 'bytes':
      return { bytes: Buffer.from(plan.bytes), goods };
    case 'json':
    case 'notJson':
      return { bytes: Buffer.from(plan.text), goods };
    case 'deep': {
      const deep = deepJson(DEEP_LEVELS, plan.shape);
      if (plan.where === 'top')
        return { bytes: Buffer.from(wrap === 'http' ? `{"readings":${deep}}` : deep), goods };
      if (plan.where === 'item') return { bytes: wrapItems([Buffer.from(deep)]), goods };
      const reading = objectText([
        ['sensorId', jsonString('TRF-0001')],
        ['observedAt', String(freshTime())],
        ['values', objectText([['speed', deep]])],
      ]);
      return { bytes: wrapItems([Buffer.from(reading)]), goods };
    }
    case 'huge': {
      if (plan.what === 'batch') {
        // More readings than one payload may carry (each one counts as refused).
        return {
          bytes: wrapItems(Array.from({ length: MAX_READINGS_PER_BATCH + 1 }, () => Buffer.from('0'))),
          goods,
        };
      }
      // Far over the limit; over MQTT still within the packet bound (the limit + 64 KiB), past
      // which the broker closes the connection unread (test/server/ingest/badInput.mqtt.test.ts).
      const far = wrap === 'mqtt' ? limit + 60_000 : limit * 3;
      const size = plan.what === 'far' ? far : limit + 1;
      if (plan.what === 'string') {
        const reading = objectText([
          ['sensorId', jsonString('x'.repeat(size))],
          ['observedAt', String(freshTime())],
          ['values', objectText([['speed', '1']])],
        ]);
        return { bytes: wrapItems([Buffer.from(reading)]), goods };
      }
      const body = wrapItems([Buffer.from(objectText([['sensorId', jsonString('TRF-0001')]]))]);
      return { bytes: Buffer.concat([body, Buffer.alloc(Math.max(0, size - body.length), 0x20)]), goods };
    }
  }
}

/** What the ingest contract says must happen to a payload, computed from its bytes alone. */
export interface Expectation {
  /** Readings the payload counts as: the array's length, or 1 for a payload refused whole. */
  units: number;
  /** The payload is refused as a whole (nothing in it is looked at one by one). */
  whole: boolean;
  /** Why, when refused whole. */
  reason?: 'payload_too_large' | 'malformed_json' | 'invalid_shape' | 'batch_too_large';
}

/** How many readings a payload counts for, and whether it is refused whole (docs/INGEST.md). */
export function expectationOf(bytes: Buffer, wrap: 'mqtt' | 'http', limit: number): Expectation {
  if (bytes.length > limit) return { units: 1, whole: true, reason: 'payload_too_large' };
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { units: 1, whole: true, reason: 'malformed_json' };
  }
  let items: unknown[] | null;
  if (wrap === 'mqtt') {
    items = Array.isArray(json) ? json : typeof json === 'object' && json !== null ? [json] : null;
  } else {
    const readings =
      typeof json === 'object' && json !== null && !Array.isArray(json)
        ? (json as Record<string, unknown>)['readings']
        : undefined;
    items = Array.isArray(readings) ? readings : null;
  }
  if (!items || items.length === 0) return { units: 1, whole: true, reason: 'invalid_shape' };
  if (items.length > MAX_READINGS_PER_BATCH)
    return { units: items.length, whole: true, reason: 'batch_too_large' };
  return { units: items.length, whole: false };
}

/**
 * Reasons that are about one field of a reading: their refusal must name it. The schema
 * does not say which reasons those are, so the contract is spelled out here (typed against
 * it: a reason renamed or removed there fails the typecheck).
 */
export const FIELD_REASONS: ReadonlySet<string> = new Set<RejectionReason>([
  'invalid_field',
  'non_finite',
  'invalid_timestamp',
  'future_timestamp',
  'stale_timestamp',
  'unknown_sensor',
  'unknown_metric',
  'out_of_range',
  'topic_mismatch',
  'forbidden_sensor',
]);

/**
 * Every value of every reading the server accepted (all but the `rejected` indices),
 * read from the payload as sent: each must then be in the store, under its sensor,
 * metric and time — a value the server silently dropped would be missing.
 */
export function acceptedValues(
  bytes: Buffer,
  wrap: 'mqtt' | 'http',
  rejected: ReadonlySet<number>,
): SentGood[] {
  const json = JSON.parse(bytes.toString('utf8')) as unknown;
  const items = (
    wrap === 'mqtt' ? (Array.isArray(json) ? json : [json]) : (json as { readings: unknown[] }).readings
  ) as Array<Record<string, unknown>>;
  const out: SentGood[] = [];
  items.forEach((item, index) => {
    if (rejected.has(index)) return;
    const { sensorId, observedAt, values } = item as {
      sensorId: string;
      observedAt: number | string;
      values: object;
    };
    const t = typeof observedAt === 'number' ? observedAt : Date.parse(observedAt);
    for (const [metric, value] of Object.entries(values)) {
      out.push({ index, sensorId, metric, observedAt: t, value: value as number });
    }
  });
  return out;
}

/**
 * The good readings that are really in the payload as JSON reads it: a later duplicate
 * `readings` member (HTTP) replaces the array they were in.
 */
export function goodsInPayload(bytes: Buffer, wrap: 'mqtt' | 'http', goods: SentGood[]): SentGood[] {
  if (goods.length === 0) return goods;
  const json = JSON.parse(bytes.toString('utf8')) as unknown;
  const items = (
    wrap === 'mqtt' ? (Array.isArray(json) ? json : [json]) : (json as { readings: unknown[] }).readings
  ) as Array<Record<string, unknown> | undefined>;
  return goods.filter(
    (g) => items[g.index]?.['sensorId'] === g.sensorId && items[g.index]?.['observedAt'] === g.observedAt,
  );
}

/** Add `n` rejections for `reason` to a tally. */
export function tally(into: Map<string, number>, reason: string, n = 1): void {
  into.set(reason, (into.get(reason) ?? 0) + n);
}

/**
 * The ingest counters of `path` moved by exactly what was sent: published = accepted + rejected,
 * every rejection counted under its reason, and the other path untouched.
 */
export function expectCounted(
  before: IngestStats,
  after: IngestStats,
  path: IngestPath,
  sent: { units: number; accepted: number; rejected: ReadonlyMap<string, number> },
): void {
  const counters = { before: before.byPath[path], after: after.byPath[path] };
  expect(
    counters.after.accepted - counters.before.accepted + (counters.after.rejected - counters.before.rejected),
  ).toBe(sent.units);
  expect(counters.after.accepted - counters.before.accepted).toBe(sent.accepted);
  for (const reason of REJECTION_REASONS) {
    expect(after.rejectedByReason[reason]! - before.rejectedByReason[reason]!, reason).toBe(
      sent.rejected.get(reason) ?? 0,
    );
  }
  const other = path === 'http' ? 'mqtt' : 'http';
  expect(after.byPath[other]).toEqual(before.byPath[other]);
}

/** Nothing accepted is lost: every reading in `goods` is in the store of the server at `url`, with its value. */
export async function expectStored(url: string, goods: readonly SentGood[]): Promise<void> {
  const bySeries = new Map<string, SentGood[]>();
  for (const g of goods) {
    const key = `${g.sensorId}\u0000${g.metric}`;
    bySeries.set(key, [...(bySeries.get(key) ?? []), g]);
  }
  for (const series of bySeries.values()) {
    const { sensorId, metric } = series[0]!;
    const times = series.map((g) => g.observedAt);
    const points = await rawHistory(url, sensorId, metric, Math.min(...times), Math.max(...times) + 1).catch(
      (err: Error) => {
        throw new Error(`accepted ${sensorId} ${metric} is not in the store: ${err.message}`);
      },
    );
    const values = new Map(points.map((p) => [p.t, p.value]));
    for (const g of series)
      expect(values.get(g.observedAt), `${sensorId} ${metric} at ${g.observedAt}`).toBe(g.value + 0);
  }
}
