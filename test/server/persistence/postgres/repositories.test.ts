import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../../../shared/schemas/alert.schema';
import type { Incident } from '../../../../shared/schemas/incident.schema';
import type { Rule } from '../../../../shared/schemas/rule.schema';
import type { Sensor } from '../../../../shared/schemas/sensor.schema';
import type { Inhibition, Silence } from '../../../../shared/schemas/silence.schema';
import type { Photo, WorkerPosition } from '../../../../shared/schemas/workOrder.schema';
import { DEFAULT_CITY_PACK_DIR, loadCityPack } from '../../../../server/src/cityPack/cityPack.loader';
import type { SubjectSnapshot } from '../../../../server/src/domain/rules/engine';
import { PgCatalogRepository } from '../../../../server/src/persistence/postgres/catalog.repository';
import { migratePg, openPool, type PgPool } from '../../../../server/src/persistence/postgres/database';
import { PgDeviceCredentialRepository } from '../../../../server/src/persistence/postgres/device.repository';
import {
  PgSessionRepository,
  PgUserRepository,
} from '../../../../server/src/persistence/postgres/identity.repository';
import { PgIncidentRepository } from '../../../../server/src/persistence/postgres/incidents.repository';
import { PgOpen311Repository } from '../../../../server/src/persistence/postgres/open311.repository';
import { PgPhotoRepository } from '../../../../server/src/persistence/postgres/photos.repository';
import {
  PgRuleRepository,
  PgRuleStateRepository,
} from '../../../../server/src/persistence/postgres/rules.repository';
import {
  PgSettingsRepository,
  PgWorkerPositionRepository,
} from '../../../../server/src/persistence/postgres/settings.repository';
import { PgSuppressionRepository } from '../../../../server/src/persistence/postgres/suppression.repository';
import type {
  DeviceCredentialRecord,
  Open311KeyRecord,
  SessionRecord,
  UserRecord,
} from '../../../../server/src/services/ports';
import { freshPgSchema, type PgTestSchema } from '../../../helpers/pgSchema';
import { depthRule } from '../../../fixtures/rules';

const T0 = Date.UTC(2026, 10, 21, 2, 0);
const MIN = 60_000;

/** Tables these repositories write; emptied before each test (audit_log refuses TRUNCATE). */
const TABLES = [
  'meta',
  'districts',
  'grid_cells',
  'sensors',
  'workers',
  'users',
  'sessions',
  'device_credentials',
  'open311_keys',
  'open311_requests',
  'photos',
  'settings',
  'worker_positions',
  'silences',
  'inhibitions',
  'incidents',
  'alerts',
  'rules',
  'rule_versions',
  'rule_state',
  'sensor_engine_state',
];

let schema: PgTestSchema;
/** Two pools on one database: two server nodes. */
let node1: PgPool;
let node2: PgPool;

beforeAll(async () => {
  schema = await freshPgSchema();
  node1 = openPool({ url: schema.url, max: 4 });
  node2 = openPool({ url: schema.url, max: 4 });
  await migratePg(node1);
});

afterAll(async () => {
  await Promise.all([node1?.end(), node2?.end()]);
  await schema?.drop();
});

beforeEach(async () => {
  await node1.query(`TRUNCATE ${TABLES.join(', ')}`);
});

/** Exactly one of `results` fulfilled; the others rejected with `code`. */
function expectOneWinner(results: PromiseSettledResult<unknown>[], code: string): void {
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code });
}

const byId = <T extends { id: string }>(items: readonly T[]): T[] =>
  [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

describe('PgCatalogRepository', () => {
  const pack = loadCityPack(DEFAULT_CITY_PACK_DIR);

  it('imports a whole pack, keeps self-registered sensors and replaces the rest on re-import', async () => {
    const repo = new PgCatalogRepository(node1);
    const auto: Sensor = { ...pack.sensors[0]!, id: 'auto-registered-1', autoRegistered: true };
    await repo.upsertSensor(auto);
    expect(pack.sensors.length).toBeGreaterThan(1000);

    await repo.importCityPack(pack);
    expect(await repo.cityMeta()).toEqual(pack.meta);
    expect(await repo.listDistricts()).toEqual(byId(pack.districts));
    expect(await repo.listGridCells()).toEqual(byId(pack.gridCells));
    expect(await repo.listWorkers()).toEqual(byId(pack.workers));
    expect(await repo.listSensors()).toEqual(byId([...pack.sensors, auto]));

    const smaller = { ...pack, sensors: pack.sensors.slice(0, 10), workers: pack.workers.slice(0, 2) };
    await repo.importCityPack(smaller);
    expect(await repo.listSensors()).toEqual(byId([...smaller.sensors, auto]));
    expect(await repo.listWorkers()).toEqual(byId(smaller.workers));
    const flags = await node1.query<{ id: string; auto_registered: number }>(
      `SELECT id, auto_registered FROM sensors WHERE auto_registered = 1`,
    );
    expect(flags.rows).toEqual([{ id: auto.id, auto_registered: 1 }]);
  });

  it('lets two nodes import the pack at the same time', async () => {
    await Promise.all([
      new PgCatalogRepository(node1).importCityPack(pack),
      new PgCatalogRepository(node2).importCityPack(pack),
    ]);
    const repo = new PgCatalogRepository(node1);
    expect(await repo.listSensors()).toHaveLength(pack.sensors.length);
    expect(await repo.listDistricts()).toHaveLength(pack.districts.length);
  });

  it('replaces a sensor on upsert', async () => {
    const repo = new PgCatalogRepository(node1);
    const sensor: Sensor = { ...pack.sensors[0]!, autoRegistered: true };
    await repo.upsertSensor(sensor);
    await repo.upsertSensor({ ...sensor, districtId: null, gridCellId: null });
    expect(await repo.listSensors()).toEqual([{ ...sensor, districtId: null, gridCellId: null }]);
  });
});

describe('PgUserRepository and PgSessionRepository', () => {
  const user: UserRecord = {
    id: 'u-1',
    username: 'Zhang.Wei',
    displayName: '张伟',
    role: 'operator',
    districtIds: ['330106'],
    workerId: null,
    disabled: false,
    demo: true,
    createdAt: T0,
    updatedAt: T0,
    lastLoginAt: null,
    passwordHash: 'scrypt$hash',
    failedLogins: 0,
    lockedUntil: null,
  };

  it('stores users and finds them by username whatever its case', async () => {
    const users = new PgUserRepository(node1);
    await users.insert(user);
    await users.insert({ ...user, id: 'u-2', username: 'admin', role: 'admin', districtIds: null });

    expect(await users.count()).toBe(2);
    expect(await users.findById('u-1')).toEqual(user);
    expect(await users.findByUsername('zhang.wei')).toEqual(user);
    expect(await users.findByUsername('nobody')).toBeNull();
    const listed = await users.list();
    expect(listed.map((u) => u.username)).toEqual(['admin', 'Zhang.Wei']);
    expect(listed[1]).not.toHaveProperty('passwordHash');

    await expect(users.insert({ ...user, id: 'u-3', username: 'ZHANG.WEI' })).rejects.toMatchObject({
      code: '23505',
    });

    const changed = { ...user, displayName: '张伟 (网格长)', disabled: true, updatedAt: T0 + MIN };
    await users.save(changed);
    expect(await users.findById('u-1')).toEqual(changed);
  });

  it('counts every one of parallel failed sign-ins on two nodes, and locks at the limit once', async () => {
    const users = [new PgUserRepository(node1), new PgUserRepository(node2)];
    await users[0]!.insert(user);
    const lockUntil = T0 + 15 * MIN;

    const first = await Promise.all(
      Array.from({ length: 20 }, (_, i) => users[i % 2]!.recordLoginFailure('u-1', 100, lockUntil)),
    );
    expect(first).toEqual(Array(20).fill(null));
    expect((await users[0]!.findById('u-1'))!.failedLogins).toBe(20);

    // Five more with a limit of 25: exactly the last of them reaches it and locks.
    const second = await Promise.all(
      Array.from({ length: 5 }, (_, i) => users[i % 2]!.recordLoginFailure('u-1', 25, lockUntil)),
    );
    expect(second.filter((v) => v === lockUntil)).toHaveLength(1);
    expect(second.filter((v) => v === null)).toHaveLength(4);
    expect(await users[1]!.findById('u-1')).toMatchObject({ failedLogins: 0, lockedUntil: lockUntil });

    await users[1]!.recordLoginSuccess('u-1', T0 + 20 * MIN);
    expect(await users[0]!.findById('u-1')).toEqual({ ...user, lastLoginAt: T0 + 20 * MIN });
    expect(await users[0]!.recordLoginFailure('nobody', 5, lockUntil)).toBeNull();
  });

  it('stores, slides and revokes sessions', async () => {
    await new PgUserRepository(node1).insert(user);
    const sessions = new PgSessionRepository(node1);
    const session = (id: string): SessionRecord => ({
      id,
      userId: 'u-1',
      createdAt: T0,
      expiresAt: T0 + 60 * MIN,
      lastSeenAt: T0,
      revokedAt: null,
      ip: '10.0.0.7',
      userAgent: null,
    });
    for (const id of ['s-1', 's-2', 's-3']) await sessions.insert(session(id));

    await sessions.touch('s-1', T0 + MIN, T0 + 61 * MIN);
    expect(await sessions.find('s-1')).toEqual({
      ...session('s-1'),
      lastSeenAt: T0 + MIN,
      expiresAt: T0 + 61 * MIN,
    });
    expect(await sessions.find('s-9')).toBeNull();

    await sessions.revoke('s-2', T0 + 2 * MIN);
    await sessions.revoke('s-2', T0 + 3 * MIN);
    expect((await sessions.find('s-2'))!.revokedAt).toBe(T0 + 2 * MIN);
    expect((await sessions.revokeAllOf('u-1', T0 + 4 * MIN)).sort()).toEqual(['s-1', 's-3']);
    expect(await sessions.revokeAllOf('u-1', T0 + 5 * MIN)).toEqual([]);
  });
});

describe('PgDeviceCredentialRepository', () => {
  it('stores, lists and updates credentials', async () => {
    const repo = new PgDeviceCredentialRepository(node1);
    const gateway: DeviceCredentialRecord = {
      id: 'dev-2',
      kind: 'gateway',
      subjectId: 'gw-xihu',
      name: '西湖网关',
      sensorIds: ['aq-1', 'aq-2'],
      createdAt: T0,
      rotatedAt: T0,
      revokedAt: null,
      secretHash: 'h1',
    };
    const simulator: DeviceCredentialRecord = { ...gateway, id: 'dev-1', subjectId: 'sim', sensorIds: 'all' };
    await repo.insert(gateway);
    await repo.insert(simulator);
    expect(await repo.list()).toEqual([simulator, gateway]);

    const rotated = { ...gateway, secretHash: 'h2', rotatedAt: T0 + MIN, revokedAt: T0 + 2 * MIN };
    await repo.save(rotated);
    expect(await repo.list()).toEqual([simulator, rotated]);
  });
});

describe('PgOpen311Repository', () => {
  it('stores keys, revokes each once, and keeps what citizens gave', async () => {
    const repo = new PgOpen311Repository(node1);
    const key = (id: string, createdAt: number): Open311KeyRecord => ({
      id,
      name: `app ${id}`,
      keyHash: `hash-${id}`,
      createdAt,
      createdBy: 'u-admin',
      revokedAt: null,
    });
    await repo.insertKey(key('k-b', T0 + MIN));
    await repo.insertKey(key('k-a', T0));
    expect(await repo.listKeys()).toEqual([key('k-a', T0), key('k-b', T0 + MIN)]);
    expect(await repo.findKeyByHash('hash-k-b')).toEqual(key('k-b', T0 + MIN));
    expect(await repo.findKeyByHash('nope')).toBeNull();

    expect(await repo.revokeKey('k-a', T0 + 5 * MIN)).toBe(true);
    expect(await repo.revokeKey('k-a', T0 + 6 * MIN)).toBe(false);
    expect(await repo.revokeKey('k-zzz', T0)).toBe(false);
    expect((await repo.findKeyByHash('hash-k-a'))!.revokedAt).toBe(T0 + 5 * MIN);

    const request = {
      workOrderId: 'WO-20261121-0001',
      keyId: 'k-b',
      serviceCode: 'manhole',
      requestedAt: T0,
      reporter: { email: 'citizen@example.cn', firstName: '李' },
      addressString: '文三路 90 号',
    };
    await repo.insertRequest(request);
    expect(await repo.findRequest(request.workOrderId)).toEqual(request);
    expect(await repo.findRequest('WO-none')).toBeNull();
  });
});

describe('PgPhotoRepository', () => {
  const photo = (id: string): Photo => ({
    id,
    workOrderId: null,
    uploadedBy: 'u-w1',
    uploadedAt: T0,
    mime: 'image/jpeg',
    bytes: 256,
    sha256: 'a'.repeat(64),
  });
  /** Every byte value, so that an encoding slip (text, escaping) shows. */
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

  it('stores bytes exactly, attaches once and answers a repeated upload with the first photo', async () => {
    const repo = new PgPhotoRepository(node1);
    expect(await repo.insert(photo('p-1'), bytes, 'u-w1:c-1')).toEqual({
      photo: photo('p-1'),
      inserted: true,
    });
    expect(await repo.insert(photo('p-2'), Buffer.from('other'), 'u-w1:c-1')).toEqual({
      photo: photo('p-1'),
      inserted: false,
    });
    expect(await repo.insert(photo('p-3'), bytes)).toMatchObject({ inserted: true });

    expect(Buffer.compare((await repo.bytes('p-1'))!, bytes)).toBe(0);
    expect(await repo.bytes('p-2')).toBeNull();
    expect(await repo.find('p-2')).toBeNull();

    await repo.attach(['p-1', 'p-3'], 'WO-1');
    await repo.attach(['p-1'], 'WO-2');
    await repo.attach([], 'WO-2');
    expect(await repo.find('p-1')).toEqual({ ...photo('p-1'), workOrderId: 'WO-1' });
    expect((await repo.find('p-3'))!.workOrderId).toBe('WO-1');
  });

  it('keeps one photo when the same upload reaches two nodes at once', async () => {
    const results = await Promise.all([
      new PgPhotoRepository(node1).insert(photo('p-a'), bytes, 'u-w1:c-7'),
      new PgPhotoRepository(node2).insert(photo('p-b'), bytes, 'u-w1:c-7'),
    ]);
    expect(results.filter((r) => r.inserted)).toHaveLength(1);
    expect(results[0]!.photo).toEqual(results[1]!.photo);
    const { rows } = await node1.query('SELECT id FROM photos');
    expect(rows).toEqual([{ id: results.find((r) => r.inserted)!.photo.id }]);
  });
});

describe('PgSettingsRepository and PgWorkerPositionRepository', () => {
  it('puts and gets settings documents', async () => {
    const repo = new PgSettingsRepository(node1);
    expect(await repo.get('dispatch')).toBeNull();
    await repo.put('dispatch', { data: { auto: true }, updatedAt: T0, updatedBy: 'u-1' });
    await repo.put('dispatch', { data: { auto: false, limit: 3 }, updatedAt: T0 + MIN, updatedBy: 'u-2' });
    expect(await repo.get('dispatch')).toEqual({
      data: { auto: false, limit: 3 },
      updatedAt: T0 + MIN,
      updatedBy: 'u-2',
    });
  });

  it('keeps the newest position of each worker', async () => {
    const repo = new PgWorkerPositionRepository(node1);
    const at = (workerId: string, t: number): WorkerPosition => ({
      workerId,
      location: [120.15, 30.27],
      at: t,
    });
    await repo.save(at('w-1', T0 + MIN));
    await repo.save(at('w-1', T0));
    await repo.save(at('w-2', T0));
    await repo.save({ ...at('w-2', T0 + 2 * MIN), accuracyM: 8 });
    const listed = (await repo.list()).sort((a, b) => a.workerId.localeCompare(b.workerId));
    expect(listed).toEqual([at('w-1', T0 + MIN), { ...at('w-2', T0 + 2 * MIN), accuracyM: 8 }]);
  });
});

describe('PgSuppressionRepository', () => {
  it('stores silences and soft-deletes inhibition rules', async () => {
    const repo = new PgSuppressionRepository(node1);
    const silence = (id: string, createdAt: number): Omit<Silence, 'state'> => ({
      id,
      matchers: { sensorId: ['aq-1'] },
      schedule: { type: 'once', startsAt: createdAt, endsAt: createdAt + 60 * MIN },
      comment: '检修',
      createdBy: 'u-1',
      createdByName: '张伟',
      createdAt,
      updatedAt: createdAt,
    });
    await repo.saveSilence(silence('sil-2', T0 + MIN));
    await repo.saveSilence(silence('sil-1', T0));
    const expired = { ...silence('sil-2', T0 + MIN), expiredAt: T0 + 5 * MIN, expiredBy: 'u-2' };
    await repo.saveSilence(expired);
    expect(await repo.listSilences()).toEqual([silence('sil-1', T0), expired]);

    const rule = (id: string): Inhibition => ({
      id,
      name: { zh: '停电抑制', en: 'Outage' },
      source: { ruleId: ['power'] },
      target: { districtId: ['330106'] },
      equal: [],
      enabled: true,
      updatedAt: T0,
      updatedBy: 'u-1',
    });
    await repo.saveInhibition(rule('inh-1'));
    await repo.saveInhibition(rule('inh-2'));
    await repo.deleteInhibition('inh-1', T0 + MIN);
    expect(await repo.listInhibitions()).toEqual([rule('inh-2')]);
    expect(await repo.countInhibitions()).toBe(2);
    await repo.saveInhibition(rule('inh-1'));
    expect(await repo.listInhibitions()).toEqual([rule('inh-1'), rule('inh-2')]);
  });
});

describe('PgIncidentRepository', () => {
  const incident = (id: string, startsAt: number, over: Partial<Incident> = {}): Incident => ({
    id,
    state: 'open',
    severity: 'orange',
    peakSeverity: 'red',
    title: { zh: '积水', en: 'Waterlogging' },
    districtIds: ['330106'],
    gridCellIds: [],
    subjects: [],
    alertIds: [],
    openAlertIds: [],
    ruleIds: ['depth'],
    startsAt,
    updatedAt: startsAt,
    lastActiveAt: startsAt,
    ...over,
  });

  it('saves, finds, pages and filters incidents', async () => {
    const repo = new PgIncidentRepository(node1);
    const a = incident('inc-a', T0);
    const b = incident('inc-b', T0 + MIN, { districtIds: ['330105', '330102'] });
    const c = incident('inc-c', T0 + 2 * MIN, { state: 'resolved', lastActiveAt: T0 + 3 * MIN });
    for (const x of [a, b, c]) await repo.save(x);
    const resolvedA = { ...a, state: 'resolved' as const, updatedAt: T0 + 4 * MIN, lastActiveAt: T0 + MIN };
    await repo.save(resolvedA);

    expect(await repo.find('inc-a')).toEqual(resolvedA);
    expect(await repo.find('inc-x')).toBeNull();
    expect(await repo.listActive(T0 + 2 * MIN)).toEqual([b, c]);

    expect(await repo.query({ limit: 2, offset: 0 })).toEqual({ items: [c, b], total: 3 });
    expect(await repo.query({ limit: 2, offset: 2 })).toEqual({ items: [resolvedA], total: 3 });
    expect(await repo.query({ state: 'resolved', from: T0 + MIN, limit: 10, offset: 0 })).toEqual({
      items: [c],
      total: 1,
    });
    expect(await repo.query({ districtIds: ['330102', '999'], limit: 10, offset: 0 })).toEqual({
      items: [b],
      total: 1,
    });
    expect(await repo.query({ districtIds: [], limit: 10, offset: 0 })).toEqual({ items: [], total: 0 });
  });

  it('lists the alerts of an incident in order of start', async () => {
    const insert = (id: string, startsAt: number, incidentId: string | null) =>
      node1.query(
        `INSERT INTO alerts (id, rule_id, subject_type, subject_id, state, severity, starts_at, updated_at, incident_id, data)
         VALUES ($1, 'depth', 'sensor', $1, 'resolved', 'blue', $2, $2, $3, $4)`,
        [id, startsAt, incidentId, JSON.stringify({ id, startsAt } as Partial<Alert>)],
      );
    await insert('al-2', T0 + MIN, 'inc-a');
    await insert('al-1', T0, 'inc-a');
    await insert('al-3', T0, null);
    expect(await new PgIncidentRepository(node1).alertsOf('inc-a')).toEqual([
      { id: 'al-1', startsAt: T0 },
      { id: 'al-2', startsAt: T0 + MIN },
    ]);
  });
});

describe('PgRuleRepository', () => {
  const rule = (version: number, over: Partial<Rule> = {}): Rule =>
    depthRule({ version, updatedAt: T0 + version * MIN, updatedBy: 'u-1', reason: `v${version}`, ...over });

  it('saves versions in order, keeps the history and refuses a version that is not the next', async () => {
    const repo = new PgRuleRepository(node1);
    await repo.saveVersion(rule(1));
    await repo.saveVersion(rule(2, { enabled: false }));
    await expect(repo.saveVersion(rule(2))).rejects.toMatchObject({ code: 'conflict' });
    await expect(repo.saveVersion(rule(4))).rejects.toThrow('version 4 is not the next (3)');
    await repo.saveVersion(rule(1, { id: 'aqi' }));

    expect(await repo.find('depth')).toEqual({ rule: rule(2, { enabled: false }), deleted: false });
    expect(await repo.find('none')).toBeNull();
    expect(await repo.versions('depth')).toEqual([rule(2, { enabled: false }), rule(1)]);
    expect((await repo.listCurrent()).map((r) => r.id)).toEqual(['aqi', 'depth']);

    await repo.saveVersion(rule(3), true);
    expect(await repo.find('depth')).toEqual({ rule: rule(3), deleted: true });
    expect((await repo.listCurrent()).map((r) => r.id)).toEqual(['aqi']);
    expect(await repo.count()).toBe(2);
  });

  it('lets exactly one of two nodes save the same next version', async () => {
    const repos = [new PgRuleRepository(node1), new PgRuleRepository(node2)];
    // A new rule: nothing to lock yet, the version key decides.
    expectOneWinner(
      await Promise.allSettled(repos.map((r, i) => r.saveVersion(rule(1, { reason: `node ${i}` })))),
      'conflict',
    );
    // An existing rule: the row lock decides.
    for (let v = 2; v <= 4; v++) {
      expectOneWinner(
        await Promise.allSettled(repos.map((r, i) => r.saveVersion(rule(v, { reason: `node ${i}` })))),
        'conflict',
      );
    }
    const versions = await repos[0]!.versions('depth');
    expect(versions.map((r) => r.version)).toEqual([4, 3, 2, 1]);
    expect((await repos[1]!.find('depth'))!.rule).toEqual(versions[0]);
  });
});

describe('PgRuleStateRepository', () => {
  const subject = (ruleId: string, n: number, lastAt = T0): SubjectSnapshot => ({
    ruleId,
    ruleVersion: 3,
    ruleKind: 'threshold',
    subjectKey: `sensor:s-${n}`,
    subject: { type: 'sensor', id: `s-${n}` },
    kindState: { above: n % 2 === 0 },
    life: {
      phase: 'pending',
      activeSince: T0,
      phaseSince: T0,
      lastAt,
      severity: 'yellow',
      value: n,
      score: undefined,
      transitions: [],
      flapping: false,
    },
  });

  it('writes a batch of states in one go and reads them back', async () => {
    const repo = new PgRuleStateRepository(node1);
    const subjects = Array.from({ length: 2000 }, (_, n) => subject(n % 3 ? 'depth' : 'aqi', n));
    const sensors = [
      { sensorId: 'aq-1', lastSeen: T0, derived: { air: { pm25: { hour: [1], sum: [35], count: [1] } } } },
      { sensorId: 'aq-2', lastSeen: null, derived: null },
    ];
    await repo.save(subjects, sensors, T0);
    await repo.save(
      [subject('depth', 1, T0 + MIN)],
      [{ sensorId: 'aq-2', lastSeen: T0, derived: null }],
      T0 + MIN,
    );

    const byKey = (s: SubjectSnapshot) => `${s.ruleId} ${s.subjectKey}`;
    const loaded = new Map((await repo.loadSubjects()).map((s) => [byKey(s), s]));
    expect(loaded.size).toBe(2000);
    expect(loaded.get('depth sensor:s-1')).toEqual(subject('depth', 1, T0 + MIN));
    expect(loaded.get('aqi sensor:s-0')).toEqual(subject('aqi', 0));
    const loadedSensors = (await repo.loadSensors()).sort((a, b) => a.sensorId.localeCompare(b.sensorId));
    expect(loadedSensors).toEqual([sensors[0], { sensorId: 'aq-2', lastSeen: T0, derived: null }]);
    // A node taking a partition loads only its sensors' states.
    const some = await repo.loadSubjects(['sensor:s-1', 'sensor:s-4', 'sensor:nobody']);
    expect(some.map(byKey).sort()).toEqual(['depth sensor:s-1', 'depth sensor:s-4']);
    expect(await repo.loadSensors(['aq-2'])).toEqual([{ sensorId: 'aq-2', lastSeen: T0, derived: null }]);

    await repo.deleteRule('aqi');
    expect((await repo.loadSubjects()).every((s) => s.ruleId === 'depth')).toBe(true);
    await repo.save([], [], T0);
  });

  it('saves overlapping batches from two nodes at once, in opposite orders', async () => {
    const batch = Array.from({ length: 300 }, (_, n) => subject('depth', n));
    const reversed = [...batch].reverse();
    const repos = [new PgRuleStateRepository(node1), new PgRuleStateRepository(node2)];
    for (let round = 0; round < 3; round++) {
      await Promise.all([repos[0]!.save(batch, [], T0 + round), repos[1]!.save(reversed, [], T0 + round)]);
    }
    expect(await repos[0]!.loadSubjects()).toHaveLength(300);
  });
});
