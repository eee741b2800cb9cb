import { describe, expect, it } from 'vitest';
import type { AuditOrigin } from '../../../shared/schemas/audit.schema';
import type { LngLat } from '../../../shared/schemas/common.schema';
import type { GridCell } from '../../../shared/schemas/geo.schema';
import type { WorkOrder } from '../../../shared/schemas/workOrder.schema';
import type { AuditRecordInput } from '../../../server/src/services/audit.service';
import { Open311Error } from '../../../server/src/domain/open311';
import { hashKey, Open311Service } from '../../../server/src/services/open311.service';
import type {
  Open311KeyRecord,
  Open311Repository,
  Open311RequestRecord,
} from '../../../server/src/services/ports';
import { workOrderAt } from '../../fixtures/workOrders';

const NOW = Date.UTC(2026, 10, 21, 4, 0, 0); // 2026-11-21 12:00 in Shanghai
const ORIGIN: AuditOrigin = { via: 'http', ip: '10.0.0.9' };
const INSIDE: LngLat = [120.15, 30.28];

class MemoryRepo implements Open311Repository {
  keys: Open311KeyRecord[] = [];
  requests: Open311RequestRecord[] = [];
  async listKeys() {
    return [...this.keys];
  }
  async findKeyByHash(hash: string) {
    return this.keys.find((k) => k.keyHash === hash) ?? null;
  }
  async insertKey(key: Open311KeyRecord) {
    this.keys.push(key);
  }
  async revokeKey(id: string, at: number) {
    const key = this.keys.find((k) => k.id === id && k.revokedAt === null);
    if (key) key.revokedAt = at;
    return key !== undefined;
  }
  async insertRequest(record: Open311RequestRecord) {
    this.requests.push(record);
  }
  async findRequest(id: string) {
    return this.requests.find((r) => r.workOrderId === id) ?? null;
  }
}

function order(over: Partial<WorkOrder> = {}): WorkOrder {
  return workOrderAt(NOW, { location: INSIDE, ...over });
}

function service() {
  const repo = new MemoryRepo();
  const audits: AuditRecordInput[] = [];
  const citizenCases: unknown[] = [];
  const svc = new Open311Service({
    repo,
    workOrders: {
      createCitizenCase: async (input) => {
        citizenCases.push(input);
        return order({ location: input.location, title: input.title });
      },
      find: async () => null,
      query: async () => ({ items: [], total: 0 }),
    },
    catalog: {
      cellAt: (p) => (p[0] > 120 && p[0] < 121 ? ({ id: '330106001001001' } as GridCell) : undefined),
      district: () => undefined,
    },
    audit: {
      record: async (input) => {
        audits.push(input);
        return {} as never;
      },
    },
    clock: () => NOW,
  });
  return { svc, repo, audits, citizenCases };
}

async function refusal(p: Promise<unknown>): Promise<Open311Error> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Open311Error);
  return err as Open311Error;
}

describe('Open311Service keys', () => {
  it('keeps only the SHA-256 of an issued secret and audits the issue without it', async () => {
    const { svc, repo, audits } = service();
    const { key, secret } = await svc.issueKey('12345 App', { type: 'user', id: 'u-admin' }, ORIGIN);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(repo.keys[0]!.keyHash).toBe(hashKey(secret));
    expect(JSON.stringify(repo.keys)).not.toContain(secret);
    expect(key).not.toHaveProperty('keyHash');
    expect(audits).toEqual([
      expect.objectContaining({ action: 'open311.key.issue', target: { type: 'open311Key', id: key.id } }),
    ]);
    expect(JSON.stringify(audits)).not.toContain(secret);
    expect((await svc.verifyKey(secret))?.id).toBe(key.id);
    expect(await svc.verifyKey(`${secret}x`)).toBeNull();
  });

  it('stops accepting a key once it is revoked', async () => {
    const { svc, audits } = service();
    const { key, secret } = await svc.issueKey('old app', { type: 'user', id: 'u-admin' }, ORIGIN);
    const revoked = await svc.revokeKey(key.id, { type: 'user', id: 'u-admin' }, ORIGIN);
    expect(revoked.revokedAt).toBe(NOW);
    expect(await svc.verifyKey(secret)).toBeNull();
    expect(audits.map((a) => a.action)).toEqual(['open311.key.issue', 'open311.key.revoke']);
    await expect(svc.revokeKey(key.id, { type: 'user', id: 'u-admin' }, ORIGIN)).rejects.toThrow(/already/);
    await expect(svc.revokeKey('o311-nope', { type: 'user', id: 'u-admin' }, ORIGIN)).rejects.toThrow(
      /not found/,
    );
  });
});

describe('Open311Service.submit', () => {
  it('checks the key before the fields: a wrong key with bad fields is 403, a missing one 400', async () => {
    const { svc } = service();
    expect((await refusal(svc.submit({ service_code: '' }, ORIGIN))).status).toBe(400);
    const wrong = await refusal(svc.submit({ api_key: 'guess', lat: '999' }, ORIGIN));
    expect([wrong.status, wrong.message]).toEqual([403, 'api_key is invalid or revoked']);
  });

  it('treats an empty form field as absent', async () => {
    const { svc } = service();
    const { secret } = await svc.issueKey('app', { type: 'user', id: 'u' }, ORIGIN);
    const err = await refusal(
      svc.submit({ api_key: secret, service_code: '101', lat: '', long: '' }, ORIGIN),
    );
    expect(err.message).toMatch(/^lat and long are required/);
  });

  it('names the missing half of a coordinate pair', async () => {
    const { svc } = service();
    const { secret } = await svc.issueKey('app', { type: 'user', id: 'u' }, ORIGIN);
    const err = await refusal(svc.submit({ api_key: secret, service_code: '101', lat: '30.28' }, ORIGIN));
    expect(err.message).toBe('long is required with lat');
  });

  it('gives the case no personal data and keeps it beside the case instead', async () => {
    const { svc, repo, citizenCases } = service();
    const { key, secret } = await svc.issueKey('app', { type: 'user', id: 'u' }, ORIGIN);
    const created = await svc.submit(
      {
        api_key: secret,
        service_code: '101',
        lat: String(INSIDE[1]),
        long: String(INSIDE[0]),
        description: '  井盖\n\n缺失  ',
        email: 'a@example.cn',
        phone: '13900001111',
        first_name: 'Hua',
        media_url: 'https://img.example.cn/x.jpg',
        address_id: 'ADDR-77',
        'attribute[WHISKEY]': 'ignored',
      },
      ORIGIN,
    );
    expect(created).toEqual({
      service_request_id: 'WO-20261121-0001',
      service_notice: expect.stringContaining('2026-11-21 14:50'),
      account_id: null,
    });
    expect(citizenCases).toEqual([
      {
        category: 'component.public-facility.manhole',
        title: '井盖：井盖 缺失',
        description: '井盖\n\n缺失',
        location: INSIDE,
        sourceRef: `open311:${key.id}`,
      },
    ]);
    expect(repo.requests).toEqual([
      {
        workOrderId: 'WO-20261121-0001',
        keyId: key.id,
        serviceCode: '101',
        requestedAt: NOW,
        reporter: { email: 'a@example.cn', phone: '13900001111', firstName: 'Hua' },
        mediaUrl: 'https://img.example.cn/x.jpg',
        addressId: 'ADDR-77',
      },
    ]);
  });
});
