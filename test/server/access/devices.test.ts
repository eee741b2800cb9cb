import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedDeviceCredential } from '../../../shared/schemas/device.schema';
import { gatewayTopic, readingsTopic, REJECTIONS_TOPIC_PREFIX } from '../../../shared/version';
import { rawFetch } from '../../helpers/auth';
import { rawHistory } from '../../helpers/ingestChecks';
import { uniqueClientId } from '../../helpers/mqtt';
import { startTestServer, waitFor, type TestServer } from '../../helpers/server';

/** Device credentials on both ingest paths: who may publish what, and how fast a revocation bites. */
describe('device credentials', () => {
  let server: TestServer;
  let t = Date.now() - 60 * 60_000;
  const nextTime = () => (t += 1_000);

  async function issue(body: Record<string, unknown>): Promise<IssuedDeviceCredential> {
    const res = await fetch(`${server.url}/api/v1/devices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as IssuedDeviceCredential;
  }

  function connectAs(username: string, password: string): Promise<MqttClient> {
    return connectAsync(server.mqttUrl, {
      clientId: uniqueClientId(),
      username,
      password,
      reconnectPeriod: 0,
    });
  }

  const speedReading = (sensorId: string, speed: number) => ({
    sensorId,
    observedAt: nextTime(),
    values: { speed },
  });

  async function postWithKey(apiKey: string, readings: unknown[]): Promise<Response> {
    return rawFetch(`${server.url}/api/v1/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-device-key': apiKey },
      body: JSON.stringify({ readings }),
    });
  }

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  it('lets a sensor publish on its own topic and stores the reading', async () => {
    const key = await issue({ kind: 'sensor', subjectId: 'TRF-0001' });
    const client = await connectAs(key.credential.id, key.secret);
    const r = speedReading('TRF-0001', 41);
    await client.publishAsync(readingsTopic('TRF-0001'), JSON.stringify(r), { qos: 1 });
    await client.endAsync();
    expect(await rawHistory(server.url, 'TRF-0001', 'speed', r.observedAt, r.observedAt + 1)).toEqual([
      { t: r.observedAt, value: 41 },
    ]);
  });

  it("refuses a sensor's publish on another device's topic and stores nothing", async () => {
    const key = await issue({ kind: 'sensor', subjectId: 'TRF-0002' });
    const client = await connectAs(key.credential.id, key.secret);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const r = speedReading('TRF-0003', 12);
    client.publish(readingsTopic('TRF-0003'), JSON.stringify(r), { qos: 1 });
    await closed;
    expect(await rawHistory(server.url, 'TRF-0003', 'speed', r.observedAt, r.observedAt + 1)).toEqual([]);
    client.end(true);
  });

  it("refuses a publish on another gateway's topic", async () => {
    const key = await issue({ kind: 'gateway', subjectId: 'gw-east', sensorIds: ['TRF-0004'] });
    const client = await connectAs(key.credential.id, key.secret);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(gatewayTopic('gw-west'), JSON.stringify([speedReading('TRF-0004', 30)]), { qos: 1 });
    await closed;
    client.end(true);
  });

  it('refuses a connection without a credential or with a wrong secret', async () => {
    await expect(
      connectAsync(server.mqttUrl, { clientId: uniqueClientId(), reconnectPeriod: 0 }),
    ).rejects.toThrow(/Bad username or password|Not authorized/);
    const key = await issue({ kind: 'sensor', subjectId: 'TRF-0005' });
    await expect(connectAs(key.credential.id, 'not-the-secret')).rejects.toThrow(/Bad username or password/);
  });

  it('refuses the readings of sensors a gateway does not cover, and stores the others', async () => {
    const key = await issue({ kind: 'gateway', subjectId: 'gw-north', sensorIds: ['TRF-0006'] });
    const mine = speedReading('TRF-0006', 33);
    const theirs = speedReading('TRF-0007', 34);
    const res = await postWithKey(key.apiKey, [mine, theirs]);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      accepted: number;
      rejected: Array<{ index: number; reason: string }>;
    };
    expect(body.accepted).toBe(1);
    expect(body.rejected).toEqual([
      expect.objectContaining({ index: 1, reason: 'forbidden_sensor', path: 'sensorId' }),
    ]);
    expect(
      await rawHistory(server.url, 'TRF-0007', 'speed', theirs.observedAt, theirs.observedAt + 1),
    ).toEqual([]);
  });

  it("refuses a subscription to another device's rejection reports", async () => {
    const key = await issue({ kind: 'sensor', subjectId: 'TRF-0008' });
    const client = await connectAs(key.credential.id, key.secret);
    const own = await client.subscribeAsync(`${REJECTIONS_TOPIC_PREFIX}TRF-0008`, { qos: 0 });
    expect(own[0]?.qos).toBe(0);
    const other = await client
      .subscribeAsync(`${REJECTIONS_TOPIC_PREFIX}TRF-0009`, { qos: 0 })
      .catch((err: Error) => err);
    // The broker answers a refused subscription with the failure code 128 (or closes the connection).
    if (!(other instanceof Error)) expect(other[0]?.qos).toBe(128);
    client.end(true);
  });

  it('drops the open connection of a revoked credential at once and refuses it afterwards on both paths', async () => {
    const key = await issue({ kind: 'sensor', subjectId: 'TRF-0010' });
    const client = await connectAs(key.credential.id, key.secret);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const res = await fetch(`${server.url}/api/v1/devices/${key.credential.id}/revoke`, { method: 'POST' });
    expect(res.status).toBe(200);
    await closed;
    client.end(true);
    await expect(connectAs(key.credential.id, key.secret)).rejects.toThrow(/Bad username or password/);
    const http = await postWithKey(key.apiKey, [speedReading('TRF-0010', 20)]);
    expect(http.status).toBe(401);
  });

  it('makes the old secret useless after a rotation while the new one works', async () => {
    const key = await issue({ kind: 'sensor', subjectId: 'TRF-0011' });
    const res = await fetch(`${server.url}/api/v1/devices/${key.credential.id}/rotate`, { method: 'POST' });
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as IssuedDeviceCredential;
    expect((await postWithKey(key.apiKey, [speedReading('TRF-0011', 21)])).status).toBe(401);
    expect((await postWithKey(rotated.apiKey, [speedReading('TRF-0011', 22)])).status).toBe(200);
  });

  it('never shows a secret again after issuing it, and audits issue and revoke', async () => {
    const key = await issue({ kind: 'sensor', subjectId: 'TRF-0012' });
    await fetch(`${server.url}/api/v1/devices/${key.credential.id}/revoke`, { method: 'POST' });
    const list = await (await fetch(`${server.url}/api/v1/devices`)).text();
    expect(list).not.toContain(key.secret);
    const audit = await waitFor(async () => {
      const page = (await (await fetch(`${server.url}/api/v1/audit?action=device`)).json()) as {
        items: Array<{ action: string; target: { id: string } | null }>;
      };
      const mine = page.items.filter((e) => e.target?.id === key.credential.id).map((e) => e.action);
      return mine.length >= 2 ? mine : undefined;
    });
    expect(audit.sort()).toEqual(['device.credential.issue', 'device.credential.revoke']);
    expect(JSON.stringify(audit)).not.toContain(key.secret);
  });
});
