import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import type { MqttClient } from 'mqtt';
import type { CityPack } from '../../shared/schemas/cityPack.schema';
import type { Sensor, SensorSubtype } from '../../shared/schemas/sensor.schema';
import {
  CITY_PACK_FILES,
  DEFAULT_CITY_PACK_DIR,
  loadCityPack,
} from '../../server/src/cityPack/cityPack.loader';
import { quietValues } from '../../simulators/src/load/quietValues';
import { hashString, unit } from '../../simulators/src/noise';
import { testGatewayTopic } from '../helpers/auth';
import { connectPublisher } from './mqttLoad';

/**
 * The default city pack with `total` sensors: its own sensors, then copies of them in turn
 * (`TRF-0001-C1`, …), each placed at a random spot of its original's grid cell (within about
 * 400 m of the original) with the original's kind, metrics, road and report interval. Written
 * as a pack folder for the server's CITY_PACK, so the server loads 10,000 sensors the way it
 * loads any city.
 */
export function writeScaledCityPack(dir: string, total: number): CityPack {
  const base = loadCityPack(DEFAULT_CITY_PACK_DIR);
  const cells = new Map(base.gridCells.map((c) => [c.id, c]));
  const sensors: Sensor[] = [...base.sensors];
  for (let i = 0; sensors.length < total; i++) {
    const original = base.sensors[i % base.sensors.length]!;
    const copy = Math.floor(i / base.sensors.length) + 1;
    const id = `${original.id}-C${copy}`;
    sensors.push({
      ...original,
      id,
      name: { zh: `${original.name.zh} #${copy + 1}`, en: `${original.name.en} #${copy + 1}` },
      location: original.location && placeNear(id, original.location, cells.get(original.gridCellId ?? '')),
    });
  }
  const pack: CityPack = { ...base, sensors };
  mkdirSync(dir, { recursive: true });
  for (const [part, file] of Object.entries(CITY_PACK_FILES)) {
    writeFileSync(join(dir, file), JSON.stringify(pack[part as keyof CityPack]));
  }
  return pack;
}

/** A point within ~400 m of `at` and inside the cell's outline (the original point when 8 tries miss). */
function placeNear(
  id: string,
  at: [number, number],
  cell: CityPack['gridCells'][number] | undefined,
): [number, number] {
  const key = hashString(id);
  for (let attempt = 0; attempt < 8; attempt++) {
    const p: [number, number] = [
      Number((at[0] + (unit(key, attempt, 1) - 0.5) * 0.008).toFixed(6)),
      Number((at[1] + (unit(key, attempt, 2) - 0.5) * 0.007).toFixed(6)),
    ];
    if (!cell || booleanPointInPolygon(p, { type: 'Polygon', coordinates: cell.polygon })) return p;
  }
  return at;
}

/**
 * How many sensors of each subtype breach a default rule that fires on the first reading (no
 * `for`), and the values they report. Spread over severities: 红 smoke and tilted covers, 橙/黄
 * water, 蓝 full bins and lamp faults. Feeders stay quiet: a feeder offline would mute the
 * streetlight alerts of its cell (inhibition).
 */
const BREACH_QUOTAS: readonly { subtype: SensorSubtype; share: number }[] = [
  { subtype: 'manhole', share: 0.3 },
  { subtype: 'streetlight', share: 0.25 },
  { subtype: 'waste-bin', share: 0.2 },
  { subtype: 'waterlogging', share: 0.15 },
  { subtype: 'smoke', share: 0.1 },
];

function breachValues(subtype: SensorSubtype, n: number): Record<string, number> {
  switch (subtype) {
    case 'manhole':
      // grid-manhole-tilt: > 15° orange, > 45° red.
      return { tilt: n % 5 === 0 ? 50 : 20 };
    case 'streetlight':
      // grid-streetlight-fault: lampFault == 1, blue.
      return { lampFault: 1, lampOn: 0 };
    case 'waste-bin':
      // grid-bin-full: fill > 90 %, blue.
      return { fillLevel: 95 };
    case 'waterlogging':
      // grid-waterlogging: 15 / 27 / 40 / 50 cm, blue … red. Constant, so grid-water-rising stays quiet.
      return { waterDepth: [18, 30, 45, 55][n % 4]! };
    case 'smoke':
      // grid-smoke: > 5 %obs/m, red.
      return { smoke: 8 };
    default:
      throw new Error(`no breach planned for ${subtype}`);
  }
}

/**
 * `count` sensors that keep breaching one default rule each, evenly spread over each subtype's
 * sensors (so over the city), with the values that breach.
 */
export function planBreaches(sensors: readonly Sensor[], count: number): Map<string, Record<string, number>> {
  const plan = new Map<string, Record<string, number>>();
  for (const { subtype, share } of BREACH_QUOTAS) {
    const ofType = sensors.filter((s) => s.subtype === subtype);
    const want = Math.min(ofType.length, Math.round(count * share));
    for (let n = 0; n < want; n++) {
      const s = ofType[Math.floor((n * ofType.length) / want)]!;
      plan.set(s.id, breachValues(subtype, n));
    }
  }
  if (plan.size !== count) {
    throw new Error(
      `the city pack has too few grid-event sensors to plan ${count} breaches (got ${plan.size})`,
    );
  }
  return plan;
}

export interface CityLoadPlan {
  sensors: readonly Sensor[];
  /** Sensor id → the values it reports instead of the quiet ones (merged over them). */
  breaches: ReadonlyMap<string, Record<string, number>>;
  /** Every sensor reports once per period, seconds. */
  periodSec: number;
  /** Publish what became due this often, ms. */
  tickMs: number;
  /** Readings per MQTT message (a gateway batch). */
  batch: number;
  /** Most unacknowledged messages; what is due beyond that is counted as `behind` and skipped. */
  maxInFlight: number;
}

export interface CityLoadStats {
  elapsedMs: number;
  /** Readings that became due at the planned rate. */
  offered: number;
  /** Readings acknowledged (for the embedded broker: stored). */
  acknowledged: number;
  messages: number;
  /** Readings skipped because too many messages waited for an acknowledgement. */
  behind: number;
  failed: number;
}

export interface CityLoad {
  /** Readings per second the plan offers. */
  readonly ratePerSec: number;
  stats(): CityLoadStats;
  /** Stop publishing, wait (≤ 10 s) for the last acknowledgements, disconnect. */
  stop(): Promise<CityLoadStats>;
}

/**
 * Every sensor of the plan reports every `periodSec`, round robin, with observation times
 * "now": an open-loop feed at sensors ÷ period readings per second, published as QoS 1 gateway
 * batches by the bench's test gateway (a credential for every sensor, issued at server start).
 */
export async function startCityLoad(mqttUrl: string, plan: CityLoadPlan): Promise<CityLoad> {
  const client: MqttClient = await connectPublisher(mqttUrl, `bench-city-${process.pid}`);
  const topic = testGatewayTopic(mqttUrl);
  const ratePerSec = plan.sensors.length / plan.periodSec;
  const stats: CityLoadStats = {
    elapsedMs: 0,
    offered: 0,
    acknowledged: 0,
    messages: 0,
    behind: 0,
    failed: 0,
  };
  const lastObservedAt = new Map<string, number>();
  let cursor = 0;
  let inFlight = 0;
  const started = Date.now();

  const reading = (now: number): string => {
    const sensor = plan.sensors[cursor]!;
    cursor = (cursor + 1) % plan.sensors.length;
    // One reading per sensor and millisecond: the store keys readings by (sensor, observedAt).
    const observedAt = Math.max(now, (lastObservedAt.get(sensor.id) ?? 0) + 1);
    lastObservedAt.set(sensor.id, observedAt);
    const values = { ...quietValues(sensor, observedAt), ...plan.breaches.get(sensor.id) };
    return JSON.stringify({ sensorId: sensor.id, observedAt, values });
  };

  const tick = (): void => {
    const now = Date.now();
    const due = Math.floor(((now - started) / 1000) * ratePerSec);
    while (stats.offered < due) {
      const n = Math.min(plan.batch, due - stats.offered);
      stats.offered += n;
      if (inFlight >= plan.maxInFlight) {
        stats.behind += n;
        cursor = (cursor + n) % plan.sensors.length;
        continue;
      }
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(reading(now));
      inFlight += 1;
      stats.messages += 1;
      client.publish(topic, `[${items.join(',')}]`, { qos: 1 }, (err) => {
        inFlight -= 1;
        if (err) stats.failed += n;
        else stats.acknowledged += n;
      });
    }
    stats.elapsedMs = now - started;
  };
  const timer = setInterval(tick, plan.tickMs);

  let stopping: Promise<CityLoadStats> | null = null;
  return {
    ratePerSec,
    stats: () => ({ ...stats, elapsedMs: Date.now() - started }),
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(timer);
        const until = Date.now() + 10_000;
        while (inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        await client.endAsync(true);
        return { ...stats, elapsedMs: Date.now() - started };
      })()),
  };
}
