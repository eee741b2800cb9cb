import { describe, expect, it } from 'vitest';
import type { AuditOrigin } from '../../../shared/schemas/audit.schema';
import type { LngLat } from '../../../shared/schemas/common.schema';
import type { GridCell } from '../../../shared/schemas/geo.schema';
import type { TimelineEntry, WorkOrder } from '../../../shared/schemas/workOrder.schema';
import type { AuditRecordInput } from '../../../server/src/services/audit.service';
import {
  hashKey,
  MAX_RANGE_MS,
  Open311Error,
  Open311Service,
  parseW3cDate,
  resolveRange,
  statusNotes,
  w3cShanghai,
} from '../../../server/src/services/open311.service';
import type {
  Open311KeyRecord,
  Open311Repository,
  Open311RequestRecord,
} from '../../../server/src/services/ports';

const DAY = 86_400_000;
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
  return {
    id: 'WO-20261121-0001',
    version: 1,
    source: 'citizen',
    category: 'component.public-facility.manhole',
    urgency: 'emergency',
    state: 'registered',
    title: '井盖',
    location: INSIDE,
    gridCellId: '330106001001001',
    districtId: '330106',
    createdAt: NOW,
    updatedAt: NOW,
    stage: 'dispatch',
    dueAt: NOW + 5 * 60_000,
    overdueAt: null,
    deadlineAt: NOW + 170 * 60_000,
    reworkCount: 0,
    photoIds: [],
    timeline: [],
    ...over,
  };
}

const entry = (action: TimelineEntry['action'], extra: Partial<TimelineEntry> = {}): TimelineEntry => ({
  seq: 1,
  at: NOW,
  action,
  by: 'u-1',
  byName: 'op',
  from: 'reported',
  to: 'closed',
  ...extra,
});

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

describe('parseW3cDate', () => {
  it('reads a bare date as the start of that Asia/Shanghai day, or with endOfDay the start of the next', () => {
    expect(parseW3cDate('2026-11-21')).toBe(Date.UTC(2026, 10, 20, 16));
    expect(parseW3cDate('2026-11-21', true)).toBe(Date.UTC(2026, 10, 21, 16));
  });

  it('reads datetimes with an offset, with or without seconds', () => {
    expect(parseW3cDate('2026-11-21T12:00:00+08:00')).toBe(NOW);
    expect(parseW3cDate('2026-11-21T04:00Z')).toBe(NOW);
    expect(parseW3cDate('2026-11-21T04:00:00.250Z')).toBe(NOW + 250);
  });

  it('refuses a datetime without an offset, an impossible date and free text', () => {
    expect(parseW3cDate('2026-11-21T12:00:00')).toBeNull();
    expect(parseW3cDate('2026-02-30')).toBeNull();
    expect(parseW3cDate('yesterday')).toBeNull();
  });
});

describe('w3cShanghai', () => {
  it('writes an instant in Shanghai time with its +08:00 offset', () => {
    expect(w3cShanghai(NOW)).toBe('2026-11-21T12:00:00+08:00');
    expect(Date.parse(w3cShanghai(NOW))).toBe(NOW);
  });
});

describe('resolveRange', () => {
  it('defaults to the last 90 days, now included', () => {
    expect(resolveRange(undefined, undefined, NOW)).toEqual({ from: NOW + 1 - MAX_RANGE_MS, to: NOW + 1 });
  });

  it('runs 90 days on from a start alone and 90 days back from an end alone', () => {
    const start = NOW - 200 * DAY;
    expect(resolveRange(new Date(start).toISOString(), undefined, NOW)).toEqual({
      from: start,
      to: start + MAX_RANGE_MS,
    });
    const end = NOW - 100 * DAY;
    expect(resolveRange(undefined, new Date(end).toISOString(), NOW)).toEqual({
      from: end + 1 - MAX_RANGE_MS,
      to: end + 1,
    });
  });

  it('includes the whole day of a bare end date', () => {
    expect(resolveRange('2026-11-01', '2026-11-21', NOW)).toEqual({
      from: Date.UTC(2026, 9, 31, 16),
      to: Date.UTC(2026, 10, 21, 16),
    });
  });

  it('refuses a window over 90 days, one ending before it starts, and unreadable dates, naming the field', () => {
    expect(() => resolveRange('2026-01-01', '2026-04-02', NOW)).toThrow(/90 days/);
    expect(() => resolveRange('2026-01-01', '2026-03-31', NOW)).not.toThrow();
    expect(() => resolveRange('2026-03-01T00:00:00Z', '2026-02-01T00:00:00Z', NOW)).toThrow(/end_date/);
    expect(() => resolveRange('soon', undefined, NOW)).toThrow(/start_date/);
    expect(() => resolveRange(undefined, '2026-13-01', NOW)).toThrow(/end_date/);
  });
});

describe('statusNotes', () => {
  it('names the state in Chinese and English', () => {
    expect(statusNotes(order({ state: 'dispatched' }))).toBe('已派遣 · Dispatched');
  });

  it('gives the reason of a cancelled case', () => {
    const o = order({
      state: 'cancelled',
      timeline: [entry('cancel', { to: 'cancelled', data: { reason: 'duplicate' }, note: '与 0007 重复' })],
    });
    expect(statusNotes(o)).toBe('已作废：duplicate: 与 0007 重复 · Cancelled: duplicate: 与 0007 重复');
  });

  it('carries the comment of the passing verification, not of an earlier failed one', () => {
    const o = order({
      state: 'evaluated',
      timeline: [
        entry('verify', { to: 'handling', data: { result: 'fail' }, note: '井盖仍松动' }),
        entry('verify', { seq: 2, data: { result: 'pass' }, note: '已更换' }),
      ],
    });
    expect(statusNotes(o)).toBe('已评价 · Evaluated: 已更换');
  });

  it('names the department of an escalated case', () => {
    expect(statusNotes(order({ state: 'escalated', department: '供电局' }))).toBe(
      '已转办 供电局 · Escalated to 供电局',
    );
  });
});

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
