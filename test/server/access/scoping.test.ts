import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiErrorBody } from '../../../shared/schemas/errors.schema';
import type { District, GridCell } from '../../../shared/schemas/geo.schema';
import type { Scope } from '../../../shared/schemas/live.schema';
import type { LatestReading } from '../../../shared/schemas/reading.schema';
import type { Sensor } from '../../../shared/schemas/sensor.schema';
import type { Worker } from '../../../shared/schemas/worker.schema';
import {
  createActor,
  getAs,
  plausibleReading,
  setScope,
  type Actor,
  type Answer,
} from '../../helpers/accessActors';
import { listSensors, postReadings } from '../../helpers/cityOpsApi';
import { recordLive } from '../../helpers/liveRecorder';
import { connectClient, startTestServer, type TestServer, type TestSocket } from '../../helpers/server';

/**
 * Reach (server/src/domain/access.ts): which records a caller gets once the
 * permission matrix let them call a route (the matrix itself is
 * accessMatrix.test.ts). An operator limited to 西湖区 and the grid worker
 * W-0001 (five cells of 上城区) must see nothing else, over HTTP or live.
 */
const DISTRICT = '330106';
const OTHER_DISTRICT = '330102';
const WORKER_ID = 'W-0001';
const MINUTE = 60_000;

interface List<T> {
  items: T[];
  total: number;
}

const ids = (items: Array<{ id: string }>) => items.map((i) => i.id).sort();

function expectOutside(answer: Answer<unknown>, what: string): void {
  expect(answer.status, answer.text).toBe(403);
  expect((answer.body as ApiErrorBody).error).toMatchObject({
    code: 'forbidden',
    message: `${what} is outside your assigned area`,
  });
}

describe('data scoping of a district operator and a grid worker', () => {
  let server: TestServer;
  let operator: Actor;
  let gridWorker: Actor;
  /** What the admin (whole city, unmasked) sees: the truth each scoped answer is checked against. */
  let allSensors: Sensor[];
  let allCells: GridCell[];
  let roster: Worker[];
  /** W-0001's cells, sorted (the first is where the worker's socket starts). */
  let workerCells: string[];
  const sockets: TestSocket[] = [];
  /** Observation times unique across the file, 10 s apart, well inside raw retention. */
  let clock = Date.now() - 30 * MINUTE;
  const nextTs = () => (clock += 10_000);

  const sensorsOf = (districtId: string) => allSensors.filter((s) => s.districtId === districtId);
  const cellsOf = (districtId: string) => allCells.filter((c) => c.districtId === districtId);
  const firstTraffic = (districtId: string, except: (s: Sensor) => boolean = () => false) => {
    const s = sensorsOf(districtId).find((x) => x.kind === 'traffic' && !except(x));
    if (!s) throw new Error(`no traffic sensor in ${districtId}`);
    return s;
  };
  /** A live client of `actor`, or of the admin when none is given. */
  const connectAs = async (actor: Actor | null, scope?: Scope) => {
    const client = await connectClient(server.url, scope, { token: actor?.token ?? server.token });
    sockets.push(client.socket);
    return client;
  };

  beforeAll(async () => {
    server = await startTestServer();
    allSensors = await listSensors(server.url);
    allCells = (await getAs<List<GridCell>>(server.url, '/api/v1/grid-cells?limit=5000', server.token)).body
      .items;
    roster = (await getAs<List<Worker>>(server.url, '/api/v1/workers', server.token)).body.items;
    const entry = roster.find((w) => w.id === WORKER_ID);
    if (!entry) throw new Error(`${WORKER_ID} is not in the roster`);
    workerCells = [...entry.gridCellIds].sort();
    operator = await createActor(server.url, { role: 'operator', districtIds: [DISTRICT] });
    gridWorker = await createActor(server.url, { role: 'worker', workerId: WORKER_ID });
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await server?.stop();
    server?.cleanup();
  });

  describe('an operator limited to one district, over HTTP', () => {
    it("lists only the sensors of the operator's district", async () => {
      const { status, body } = await getAs<List<Sensor>>(
        server.url,
        '/api/v1/sensors?limit=5000',
        operator.token,
      );
      expect(status).toBe(200);
      expect(body.items.length).toBeGreaterThan(0);
      const districtCells = new Set(cellsOf(DISTRICT).map((c) => c.id));
      for (const s of body.items) {
        expect(s.districtId).toBe(DISTRICT);
        expect(districtCells.has(s.gridCellId ?? '')).toBe(true);
      }
      expect(ids(body.items)).toEqual(ids(sensorsOf(DISTRICT)));
      expect(body.total).toBe(sensorsOf(DISTRICT).length);
    });

    it('refuses a sensor list filtered to another district with 403 naming the district', async () => {
      const answer = await getAs(server.url, `/api/v1/sensors?districtId=${OTHER_DISTRICT}`, operator.token);
      expectOutside(answer, `district ${OTHER_DISTRICT}`);
    });

    it('refuses a sensor list filtered to a grid cell of another district with 403', async () => {
      const cell = cellsOf(OTHER_DISTRICT)[0]!;
      const answer = await getAs(server.url, `/api/v1/sensors?gridCellId=${cell.id}`, operator.token);
      expectOutside(answer, `grid cell ${cell.id}`);
    });

    it('answers a sensor of the district, its history and its latest values', async () => {
      const inside = firstTraffic(DISTRICT);
      const one = await getAs<Sensor>(server.url, `/api/v1/sensors/${inside.id}`, operator.token);
      expect(one.status).toBe(200);
      expect(one.body.id).toBe(inside.id);
      const history = await getAs(
        server.url,
        `/api/v1/sensors/${inside.id}/history?metric=speed`,
        operator.token,
      );
      expect(history.status, history.text).toBe(200);
      const latest = await getAs(server.url, `/api/v1/readings/latest?sensorId=${inside.id}`, operator.token);
      expect(latest.status, latest.text).toBe(200);
    });

    it('refuses a sensor of another district with 403', async () => {
      const outside = firstTraffic(OTHER_DISTRICT);
      expectOutside(
        await getAs(server.url, `/api/v1/sensors/${outside.id}`, operator.token),
        `sensor ${outside.id}`,
      );
    });

    it('refuses the history of a sensor of another district with 403', async () => {
      const outside = firstTraffic(OTHER_DISTRICT);
      expectOutside(
        await getAs(server.url, `/api/v1/sensors/${outside.id}/history?metric=speed`, operator.token),
        `sensor ${outside.id}`,
      );
    });

    it('refuses the latest values of a sensor of another district with 403, alone or among its own', async () => {
      const [inside, outside] = [firstTraffic(DISTRICT), firstTraffic(OTHER_DISTRICT)];
      expectOutside(
        await getAs(server.url, `/api/v1/readings/latest?sensorId=${outside.id}`, operator.token),
        `sensor ${outside.id}`,
      );
      expectOutside(
        await getAs(
          server.url,
          `/api/v1/readings/latest?sensorId=${inside.id},${outside.id}`,
          operator.token,
        ),
        `sensor ${outside.id}`,
      );
    });

    it("lists latest values of the district's sensors only", async () => {
      const [inside, outside] = [firstTraffic(DISTRICT), firstTraffic(OTHER_DISTRICT)];
      const [tIn, tOut] = [nextTs(), nextTs()];
      await postReadings(server.url, [plausibleReading(inside, tIn), plausibleReading(outside, tOut)]);
      const adminView = await getAs<List<LatestReading>>(server.url, '/api/v1/readings/latest', server.token);
      expect(adminView.body.items.map((l) => l.sensorId)).toEqual(
        expect.arrayContaining([inside.id, outside.id]),
      );

      const { status, body } = await getAs<List<LatestReading>>(
        server.url,
        '/api/v1/readings/latest',
        operator.token,
      );
      expect(status).toBe(200);
      const area = new Set(sensorsOf(DISTRICT).map((s) => s.id));
      expect(body.items.map((l) => l.sensorId)).toContain(inside.id);
      expect(body.items.filter((l) => !area.has(l.sensorId))).toEqual([]);
    });

    it('refuses latest values filtered to another district, like every other list', async () => {
      await postReadings(server.url, [plausibleReading(firstTraffic(OTHER_DISTRICT), nextTs())]);
      expectOutside(
        await getAs(server.url, `/api/v1/readings/latest?districtId=${OTHER_DISTRICT}`, operator.token),
        `district ${OTHER_DISTRICT}`,
      );
    });

    it("lists only the operator's district and refuses another one by id", async () => {
      const list = await getAs<List<District>>(server.url, '/api/v1/districts', operator.token);
      expect(list.status).toBe(200);
      expect(ids(list.body.items)).toEqual([DISTRICT]);
      expect((await getAs(server.url, `/api/v1/districts/${DISTRICT}`, operator.token)).status).toBe(200);
      expectOutside(
        await getAs(server.url, `/api/v1/districts/${OTHER_DISTRICT}`, operator.token),
        `district ${OTHER_DISTRICT}`,
      );
    });

    it('lists only the grid cells of the district and refuses a cell of another district', async () => {
      const list = await getAs<List<GridCell>>(server.url, '/api/v1/grid-cells?limit=5000', operator.token);
      expect(list.status).toBe(200);
      expect(list.body.items.every((c) => c.districtId === DISTRICT)).toBe(true);
      expect(ids(list.body.items)).toEqual(ids(cellsOf(DISTRICT)));
      expectOutside(
        await getAs(server.url, `/api/v1/grid-cells?districtId=${OTHER_DISTRICT}`, operator.token),
        `district ${OTHER_DISTRICT}`,
      );
      const other = cellsOf(OTHER_DISTRICT)[0]!;
      expectOutside(
        await getAs(server.url, `/api/v1/grid-cells/${other.id}`, operator.token),
        `grid cell ${other.id}`,
      );
    });

    it('lists only the workers of the district', async () => {
      const { status, body } = await getAs<List<Worker>>(server.url, '/api/v1/workers', operator.token);
      expect(status).toBe(200);
      const expected = roster.filter((w) => w.districtId === DISTRICT);
      expect(expected.length).toBeGreaterThan(0);
      expect(body.items.every((w) => w.districtId === DISTRICT)).toBe(true);
      expect(ids(body.items)).toEqual(ids(expected));
    });
  });

  describe('a grid worker, over HTTP', () => {
    it("lists only the district that holds the worker's cells and refuses another by id", async () => {
      const list = await getAs<List<District>>(server.url, '/api/v1/districts', gridWorker.token);
      expect(list.status).toBe(200);
      expect(ids(list.body.items)).toEqual([OTHER_DISTRICT]);
      expectOutside(
        await getAs(server.url, `/api/v1/districts/${DISTRICT}`, gridWorker.token),
        `district ${DISTRICT}`,
      );
    });

    it("lists exactly the worker's cells, even filtered to their own district", async () => {
      const all = await getAs<List<GridCell>>(server.url, '/api/v1/grid-cells?limit=5000', gridWorker.token);
      expect(all.status).toBe(200);
      expect(ids(all.body.items)).toEqual(workerCells);
      const own = await getAs<List<GridCell>>(
        server.url,
        `/api/v1/grid-cells?limit=5000&districtId=${OTHER_DISTRICT}`,
        gridWorker.token,
      );
      expect(ids(own.body.items)).toEqual(workerCells);
    });

    it('refuses cells of another district and other cells of their own district with 403', async () => {
      expectOutside(
        await getAs(server.url, `/api/v1/grid-cells?districtId=${DISTRICT}`, gridWorker.token),
        `district ${DISTRICT}`,
      );
      const neighbour = cellsOf(OTHER_DISTRICT).find((c) => !workerCells.includes(c.id))!;
      expectOutside(
        await getAs(server.url, `/api/v1/grid-cells/${neighbour.id}`, gridWorker.token),
        `grid cell ${neighbour.id}`,
      );
      const own = workerCells[0]!;
      expect((await getAs(server.url, `/api/v1/grid-cells/${own}`, gridWorker.token)).status).toBe(200);
    });
  });

  describe('live sockets', () => {
    it("starts an operator's socket without a scope in their district, with only its sensors", async () => {
      const { snapshot } = await connectAs(operator);
      expect(snapshot.scope).toEqual({ kind: 'district', id: DISTRICT });
      expect(snapshot.sensors.length).toBeGreaterThan(0);
      expect(snapshot.sensors.every((s) => s.districtId === DISTRICT)).toBe(true);
      const area = new Set(sensorsOf(DISTRICT).map((s) => s.id));
      expect(snapshot.latest.every((l) => area.has(l.sensorId))).toBe(true);
    });

    it("starts a grid worker's socket without a scope in their first cell, with only its sensors", async () => {
      const { snapshot } = await connectAs(gridWorker);
      expect(snapshot.scope).toEqual({ kind: 'cell', id: workerCells[0] });
      expect(snapshot.sensors.length).toBeGreaterThan(0);
      expect(snapshot.sensors.every((s) => s.gridCellId === workerCells[0])).toBe(true);
    });

    it("refuses an operator's handshake for the city, another district or a cell of it", async () => {
      const otherCell = cellsOf(OTHER_DISTRICT)[0]!.id;
      for (const scope of [
        { kind: 'city' },
        { kind: 'district', id: OTHER_DISTRICT },
        { kind: 'cell', id: otherCell },
      ] as Scope[]) {
        await expect(connectAs(operator, scope), JSON.stringify(scope)).rejects.toThrow(/^forbidden/);
      }
    });

    it("refuses a grid worker's handshake for the city, a district or a cell not theirs", async () => {
      const neighbour = cellsOf(OTHER_DISTRICT).find((c) => !workerCells.includes(c.id))!.id;
      for (const scope of [
        { kind: 'city' },
        { kind: 'district', id: DISTRICT },
        // Their own district too: a grid worker follows cells, not whole districts.
        { kind: 'district', id: OTHER_DISTRICT },
        { kind: 'cell', id: neighbour },
      ] as Scope[]) {
        await expect(connectAs(gridWorker, scope), JSON.stringify(scope)).rejects.toThrow(/^forbidden/);
      }
    });

    it('refuses scope:set to another district with forbidden and keeps the operator in their scope', async () => {
      const { socket } = await connectAs(operator);
      const live = recordLive(socket);
      const ack = await setScope(socket, { kind: 'district', id: OTHER_DISTRICT });
      expect(ack).toMatchObject({ ok: false, error: { code: 'forbidden' } });

      const inside = firstTraffic(DISTRICT);
      const t = nextTs();
      await postReadings(server.url, [plausibleReading(inside, t)]);
      await live.waitForReading(inside.id, t);
      expect(live.batches.every((b) => b.room === `district:${DISTRICT}`)).toBe(true);
    });

    it('refuses scope:set to another district or a cell not theirs to a grid worker', async () => {
      const { socket } = await connectAs(gridWorker);
      const neighbour = cellsOf(OTHER_DISTRICT).find((c) => !workerCells.includes(c.id))!.id;
      for (const scope of [
        { kind: 'district', id: DISTRICT },
        { kind: 'cell', id: neighbour },
      ] as Scope[]) {
        expect(await setScope(socket, scope), JSON.stringify(scope)).toMatchObject({
          ok: false,
          error: { code: 'forbidden' },
        });
      }
      const ack = await setScope(socket, { kind: 'cell', id: workerCells[1]! });
      expect(ack.ok).toBe(true);
    });

    it('never pushes a reading of another district to an operator', async () => {
      const city = recordLive((await connectAs(null, { kind: 'city' })).socket);
      const { socket } = await connectAs(operator);
      const live = recordLive(socket);
      const [outside, inside] = [firstTraffic(OTHER_DISTRICT), firstTraffic(DISTRICT)];

      const tOut = nextTs();
      await postReadings(server.url, [plausibleReading(outside, tOut)]);
      // The admin's city socket gets it, so it was broadcast; accepted before the
      // operator's own reading, a leaked copy would arrive no later than that one.
      await city.waitForReading(outside.id, tOut);
      const tIn = nextTs();
      await postReadings(server.url, [plausibleReading(inside, tIn)]);
      await live.waitForReading(inside.id, tIn);

      expect(live.count(outside.id, tOut)).toBe(0);
      const area = new Set(sensorsOf(DISTRICT).map((s) => s.id));
      expect(live.items().filter((i) => !area.has(i.sensorId))).toEqual([]);
    });

    it("never pushes a reading outside a grid worker's cell", async () => {
      const city = recordLive((await connectAs(null, { kind: 'city' })).socket);
      const { socket } = await connectAs(gridWorker);
      const live = recordLive(socket);
      const cell = workerCells[0]!;
      const inCell = allSensors.find((s) => s.gridCellId === cell)!;
      const otherDistrict = firstTraffic(DISTRICT);
      const ownDistrictOtherCell = firstTraffic(OTHER_DISTRICT, (s) => s.gridCellId === cell);

      const [tA, tB] = [nextTs(), nextTs()];
      await postReadings(server.url, [
        plausibleReading(otherDistrict, tA),
        plausibleReading(ownDistrictOtherCell, tB),
      ]);
      await city.waitForReading(otherDistrict.id, tA);
      await city.waitForReading(ownDistrictOtherCell.id, tB);
      const tIn = nextTs();
      await postReadings(server.url, [plausibleReading(inCell, tIn)]);
      await live.waitForReading(inCell.id, tIn);

      expect(live.count(otherDistrict.id, tA)).toBe(0);
      expect(live.count(ownDistrictOtherCell.id, tB)).toBe(0);
      const cellSensors = new Set(allSensors.filter((s) => s.gridCellId === cell).map((s) => s.id));
      expect(live.items().filter((i) => !cellSensors.has(i.sensorId))).toEqual([]);
    });
  });
});
