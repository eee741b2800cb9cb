import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sensor } from '../../../shared/schemas/sensor.schema';
import type { CityVitals } from '../../../shared/schemas/vitals.schema';
import { createActor, getAs } from '../../helpers/accessActors';
import { listSensors, postReadings } from '../../helpers/cityOpsApi';
import {
  connectClient,
  getJson,
  startTestServer,
  type TestServer,
  type TestSocket,
} from '../../helpers/server';

/** 西湖区 and 上城区 of the Hangzhou pack. */
const WEST = '330106';
const EAST = '330102';

/** Resolve with the first `vitals:updated` that satisfies `test`. */
function nextVitals(
  socket: TestSocket,
  test: (v: CityVitals) => boolean,
  timeoutMs = 10_000,
): Promise<CityVitals> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('vitals:updated', on);
      reject(new Error(`no matching vitals:updated within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (v: CityVitals) => {
      if (!test(v)) return;
      clearTimeout(timer);
      socket.off('vitals:updated', on);
      resolve(v);
    };
    socket.on('vitals:updated', on);
  });
}

describe('city vitals on a real server', () => {
  let server: TestServer;
  const sockets: TestSocket[] = [];
  /** Every detector of one road in 西湖区, all reporting 30 % of the road's free-flow speed. */
  let road: NonNullable<Sensor['road']>;
  let detectors: Sensor[];
  let station: Sensor;

  beforeAll(async () => {
    server = await startTestServer({ VITALS_PUSH_MS: '100' });
    const traffic = await listSensors(server.url, { kind: 'traffic' });
    road = traffic.find((s) => s.districtId === WEST && s.road)!.road!;
    detectors = traffic.filter((s) => s.road?.id === road.id);
    station = (await listSensors(server.url, { kind: 'air', districtId: WEST }))[0]!;
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await server.stop();
    server.cleanup();
  });

  it('pushes the figures of posted readings to the city and district rooms, and GET /api/v1/vitals answers the same', async () => {
    const city = await connectClient(server.url, { kind: 'city' });
    const west = await connectClient(server.url, { kind: 'district', id: WEST });
    const east = await connectClient(server.url, { kind: 'district', id: EAST });
    sockets.push(city.socket, west.socket, east.socket);
    // A wall has vitals as soon as it connects: nothing reported yet.
    expect(city.snapshot.vitals).toMatchObject({
      scope: { kind: 'city' },
      traffic: { index: { tpi: null } },
      air: { index: null },
      trend: [],
    });
    expect(west.snapshot.vitals?.scope).toEqual({ kind: 'district', id: WEST });

    const cityPushed = nextVitals(city.socket, (v) => v.traffic.index.tpi !== null && v.air.index !== null);
    const westPushed = nextVitals(west.socket, (v) => v.traffic.index.tpi !== null && v.air.index !== null);
    const eastPushed = nextVitals(east.socket, () => true);
    const observedAt = Date.now() - 1000;
    // 30 % of free flow: TTI 3.33, DTP 0.7 — TPI 8.0, the edge of 严重拥堵, whatever the road class.
    const speed = Math.round(road.freeFlowKmh * 0.3 * 10) / 10;
    await postReadings(server.url, [
      ...detectors.map((d) => ({
        sensorId: d.id,
        observedAt,
        values: { speed, volume: 1200, occupancy: 0.4 },
      })),
      // PM2.5 80 µg/m³ under HJ 633—2026: 100 + 50 × 20/55 → 119, 轻度污染, primary PM2.5.
      { sensorId: station.id, observedAt, values: { pm25: 80, pm10: 60, o3: 100, no2: 30, so2: 8, co: 0.6 } },
    ]);

    const v = await cityPushed;
    expect(v.scope).toEqual({ kind: 'city' });
    expect(v.traffic.index).toEqual({
      tpi: 8,
      state: { id: 'severe', zh: '严重拥堵', en: 'Severe congestion', color: '#8b0000' },
      detectors: detectors.length,
    });
    expect(v.traffic.topRoads).toEqual([
      {
        roadId: road.id,
        name: road.name,
        class: road.class,
        tpi: 8,
        state: { id: 'severe', zh: '严重拥堵', en: 'Severe congestion', color: '#8b0000' },
        speedKmh: speed,
        detectors: detectors.length,
      },
    ]);
    const aqi = {
      aqi: 119,
      level: 3,
      category: { zh: '轻度污染', en: 'Lightly Polluted' },
      color: '#FF7E00',
      primaryPollutants: ['pm25'],
      stations: 1,
    };
    expect(v.air.index).toEqual(aqi);
    expect(v.air.districts.find((d) => d.districtId === WEST)!.aqi).toEqual(aqi);
    expect(v.air.districts.filter((d) => d.aqi !== null)).toHaveLength(1);
    expect(v.sensors.online).toBe(detectors.length + 1);

    // A district room gets its own figures, and only its own district's air row.
    const w = await westPushed;
    expect(w.scope).toEqual({ kind: 'district', id: WEST });
    expect(w.air.districts.map((d) => d.districtId)).toEqual([WEST]);
    expect(w.air.index).toEqual(aqi);
    const e = await eastPushed;
    expect(e.scope).toEqual({ kind: 'district', id: EAST });
    expect(e.air.districts.map((d) => d.districtId)).toEqual([EAST]);

    const answer = await getJson<CityVitals>(`${server.url}/api/v1/vitals`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      scope: { kind: 'city' },
      traffic: { index: v.traffic.index, topRoads: v.traffic.topRoads },
      air: { index: aqi },
      sensors: { online: detectors.length + 1 },
    });
    expect(Array.isArray(answer.body.trend)).toBe(true);
    const west2 = await getJson<CityVitals>(`${server.url}/api/v1/vitals?districtId=${WEST}`);
    expect(west2.body).toMatchObject({ scope: { kind: 'district', id: WEST }, air: { index: aqi } });
  });

  it('gives a district-limited operator their district and refuses the others', async () => {
    const operator = await createActor(server.url, { role: 'operator', districtIds: [EAST] });

    const own = await getAs<CityVitals>(server.url, '/api/v1/vitals', operator.token);
    expect(own.status).toBe(200);
    expect(own.body.scope).toEqual({ kind: 'district', id: EAST });
    expect(own.body.air.districts.map((d) => d.districtId)).toEqual([EAST]);

    const other = await getAs(server.url, `/api/v1/vitals?districtId=${WEST}`, operator.token);
    expect(other.status).toBe(403);
  });

  it('has no vitals for a grid worker, whose area is grid cells', async () => {
    const worker = await createActor(server.url, { role: 'worker', workerId: 'W-0001' });

    const answer = await getAs<{ error: { code: string } }>(server.url, '/api/v1/vitals', worker.token);
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('not_found');
  });
});
