import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REJECTION_REASONS } from '../../shared/schemas/ingest.schema';
import { readingsTopic, REJECTIONS_TOPIC_PREFIX } from '../../shared/version';
import { testGatewayTopic } from '../helpers/auth';
import { ingestStats } from '../helpers/ingestChecks';
import { connectMqtt, watchRejections, type RejectionReport, type RejectionWatcher } from '../helpers/mqtt';
import { startTestServer, waitFor, type TestServer } from '../helpers/server';
import { expectAlive, fuzzParameters, fuzzTimeout, prototypeSnapshot, within } from './fuzzRun';
import { NASTY_STRINGS, POLLUTER } from './hostile';
import {
  FIELD_REASONS,
  GOOD_SENSORS,
  acceptedValues,
  bodyPlan,
  expectCounted,
  expectStored,
  expectationOf,
  goodItem,
  materialize,
  tally,
  type BodyPlan,
  type GoodSensorIndex,
  type SentGood,
} from './readingPlans';

const LIMIT = 65_536;
const RUNS = 25;

interface MessagePlan {
  /**
   * The gateway's topic (any sensor), a good sensor's own topic (other sensors' readings are
   * refused as topic_mismatch), or the topic of a sensor id nobody registered (odd characters too).
   */
  topic:
    { kind: 'gateway' } | { kind: 'sensor'; sensor: GoodSensorIndex } | { kind: 'stranger'; name: string };
  body: BodyPlan;
  qos: 0 | 1;
}

/** A topic level from any text: no wildcards or separator, no NUL, nothing that is not UTF-8. */
const topicLevel = (name: string): string =>
  name
    .replace(/[/+#]|\p{Cs}/gu, '_')
    .split('\u0000')
    .join('_');

const messagePlan: fc.Arbitrary<MessagePlan> = fc.record({
  topic: fc.oneof(
    { arbitrary: fc.constant({ kind: 'gateway' as const }), weight: 4 },
    {
      arbitrary: fc.record({
        kind: fc.constant('sensor' as const),
        sensor: fc.constantFrom<GoodSensorIndex>(0, 1, 2),
      }),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant('stranger' as const),
        name: fc.constantFrom(...NASTY_STRINGS),
      }),
      weight: 1,
    },
  ),
  body: bodyPlan,
  qos: fc.oneof(
    { arbitrary: fc.constant(1 as const), weight: 4 },
    { arbitrary: fc.constant(0 as const), weight: 1 },
  ),
});

describe('fuzzing MQTT ingest (embedded broker, real mqtt.js clients)', () => {
  let server: TestServer;
  let device: MqttClient;
  /** Receives the rejection reports, in the order the broker publishes them. */
  let watcher: RejectionWatcher;
  let prototypeUnchanged: () => void;
  let sync = 0;

  beforeAll(async () => {
    prototypeUnchanged = prototypeSnapshot();
    server = await startTestServer({ MAX_PAYLOAD_BYTES: String(LIMIT) });
    device = await connectMqtt(server.mqttUrl);
    watcher = await watchRejections(server.mqttUrl);
  });
  afterAll(async () => {
    await device?.endAsync();
    await watcher?.client.endAsync();
    await server?.stop();
    server?.cleanup();
  });

  function topicOf(plan: MessagePlan): { topic: string; sensorId: string | undefined } {
    if (plan.topic.kind === 'gateway')
      return { topic: testGatewayTopic(server.mqttUrl), sensorId: undefined };
    const sensorId =
      plan.topic.kind === 'sensor'
        ? GOOD_SENSORS[plan.topic.sensor].sensorId
        : `fz-${topicLevel(plan.topic.name)}-${sync}`;
    return { topic: readingsTopic(sensorId), sensorId };
  }

  /**
   * Publish one message, then a refused "sync" message on a topic of its own: reports reach
   * the watcher in order, so once the sync report is in, the message's report (if any) is too.
   */
  async function publish(
    topic: string,
    bytes: Buffer,
    qos: 0 | 1,
    units: number,
  ): Promise<RejectionReport[]> {
    const { reports } = watcher;
    const seen = reports.length;
    const counted = async () => {
      const { accepted, rejected } = (await ingestStats(server.url)).byPath.mqtt;
      return accepted + rejected;
    };
    const countedBefore = qos === 0 ? await counted() : 0;
    await within(device.publishAsync(topic, bytes, { qos }), 15_000, `publish on ${topic}`);
    if (qos === 0) {
      // No PUBACK to wait for, and aedes handles the packets of one read concurrently: let the
      // message be counted (its report goes out right then) before the sync message follows.
      await waitFor(
        async () => (await counted()) - countedBefore >= units,
        10_000,
        `a QoS 0 message counted`,
      );
    }
    const syncId = `FZ-SYNC-${++sync}`;
    await within(device.publishAsync(readingsTopic(syncId), 'sync', { qos: 1 }), 15_000, 'sync publish');
    const syncTopic = `${REJECTIONS_TOPIC_PREFIX}${syncId}`;
    const at = await waitFor(
      () => {
        const i = reports.findIndex((r, k) => k >= seen && r.topic === syncTopic);
        return i >= 0 ? i + 1 : undefined;
      },
      15_000,
      `the report of ${syncId}`,
    );
    return reports.slice(seen, at - 1).map((r) => r.report);
  }

  const good = (n: number) => fc.sample(goodItem, { seed: n, numRuns: 3 });
  const gateway = { kind: 'gateway' as const };
  const examples: MessagePlan[][] = [
    [
      { topic: gateway, body: { kind: 'deep', shape: 'array', where: 'top' }, qos: 1 },
      { topic: gateway, body: { kind: 'deep', shape: 'object', where: 'value' }, qos: 1 },
      { topic: gateway, body: { kind: 'huge', what: 'far' }, qos: 1 },
      { topic: gateway, body: { kind: 'huge', what: 'batch' }, qos: 0 },
    ],
    [
      { topic: gateway, body: { kind: 'items', items: good(1), single: false, extras: [] }, qos: 1 },
      {
        topic: { kind: 'sensor', sensor: 0 },
        body: {
          kind: 'items',
          items: [{ kind: 'json', text: POLLUTER }, ...good(2)],
          single: false,
          extras: [],
        },
        qos: 1,
      },
      {
        topic: { kind: 'stranger', name: '\u202e😀' },
        body: { kind: 'items', items: good(3), single: true, extras: [] },
        qos: 1,
      },
    ],
    [
      {
        // A `__proto__` metric was once dropped silently from an accepted reading.
        topic: { kind: 'sensor', sensor: 0 },
        body: {
          kind: 'items',
          items: [
            { kind: 'mutant', sensor: 0, mutations: [{ op: 'value', metric: '__proto__', text: '12' }] },
          ],
          single: true,
          extras: [],
        },
        qos: 1,
      },
    ],
  ];

  it(
    'reports every refusal with its field and reason, counts every reading and stores every accepted one',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(messagePlan, { minLength: 1, maxLength: 5 }), async (plans) => {
          const before = await ingestStats(server.url);
          let units = 0;
          let accepted = 0;
          const rejected = new Map<string, number>();
          const stored: SentGood[] = [];

          for (const plan of plans) {
            const { topic, sensorId } = topicOf(plan);
            const { bytes, goods } = materialize(plan.body, 'mqtt', LIMIT);
            // On a sensor's topic, readings of other sensors are refused (topic_mismatch): not good there.
            const mustAccept = goods.filter((g) => sensorId === undefined || g.sensorId === sensorId);
            const exp = expectationOf(bytes, 'mqtt', LIMIT);
            const got = await publish(topic, bytes, plan.qos, exp.units);
            units += exp.units + 1;
            tally(rejected, 'malformed_json'); // the sync message
            expect(got.length, 'one report per message at most').toBeLessThanOrEqual(1);
            const report = got[0];

            if (exp.whole) {
              expect(report, 'a message refused whole is reported').toBeDefined();
              expect(report!.topic).toBe(topic);
              expect(report!.accepted).toBe(0);
              expect(report!.rejected).toHaveLength(1);
              const r = report!.rejected[0]!;
              expect(r).toMatchObject({ index: -1, path: '' });
              expect(r.reason).toBe(exp.reason);
              expect(r.message).not.toBe('');
              tally(rejected, r.reason, exp.units);
              continue;
            }
            const refused = new Set<number>();
            if (report) {
              expect(report.topic).toBe(topic);
              expect(report.accepted + report.rejected.length).toBe(exp.units);
              for (const r of report.rejected) {
                expect(r.index).toBeGreaterThanOrEqual(0);
                expect(r.index).toBeLessThan(exp.units);
                expect(refused.has(r.index), `index ${r.index} reported twice`).toBe(false);
                refused.add(r.index);
                expect(REJECTION_REASONS).toContain(r.reason);
                expect(r.message).not.toBe('');
                if (FIELD_REASONS.has(r.reason)) expect(r.path, r.reason).not.toBe('');
                tally(rejected, r.reason);
              }
              for (const g of mustAccept)
                expect(refused.has(g.index), `good reading ${g.index} refused`).toBe(false);
            }
            accepted += exp.units - refused.size;
            stored.push(...acceptedValues(bytes, 'mqtt', refused));
          }

          const after = await ingestStats(server.url);
          // Published = accepted + rejected, exactly; every rejection counted with its reason.
          expectCounted(before, after, 'mqtt', { units, accepted, rejected });

          // Nothing accepted is lost: every value of every accepted reading is in the store.
          await expectStored(server.url, stored);
          await expectAlive(server.url);
          expect(device.connected, 'the device is still connected').toBe(true);
          prototypeUnchanged();
        }),
        fuzzParameters(
          'ingestMqtt',
          RUNS,
          examples.map((e) => [e] as [MessagePlan[]]),
        ),
      );
    },
    fuzzTimeout(RUNS, 1500),
  );
});
