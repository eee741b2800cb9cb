import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WorkOrder } from '@shared/schemas/workOrder.schema';
import {
  Outbox,
  explainRefusal,
  type OutboxTransport,
  type TransportResult,
} from '../../../../client/src/features/worker/outbox';

const T0 = Date.UTC(2025, 5, 1, 2, 0, 0);
const DAY = 86_400_000;

/** A case as the server returns it (only `id` and `version` matter to the queue). */
function order(id: string, version: number): WorkOrder {
  return {
    id,
    version,
    source: 'alert',
    category: 'event.other.other',
    urgency: 'normal',
    state: 'accepted',
    title: '井盖缺失',
    location: [120.16, 30.27],
    gridCellId: '330106001001001',
    districtId: '330106',
    createdAt: T0,
    updatedAt: T0,
    stage: null,
    dueAt: null,
    overdueAt: null,
    deadlineAt: T0 + DAY,
    reworkCount: 0,
    photoIds: [],
    timeline: [],
  };
}

type Call =
  | {
      kind: 'photo';
      clientKey: string;
      mime: string;
      text: string;
      lng?: number;
      lat?: number;
      takenAt?: number;
    }
  | { kind: 'command'; orderId: string; action: string; body: Record<string, unknown> }
  | { kind: 'create'; body: Record<string, unknown> };

type Answer = TransportResult<unknown> | undefined;

/**
 * A transport that records every call and answers success unless `answer` says otherwise
 * (its result for the n-th call, 0-based); photos get ids PH-1, PH-2… in upload order.
 */
class FakeTransport implements OutboxTransport {
  readonly calls: Call[] = [];
  private photos = 0;
  private version = 1;

  constructor(
    private readonly answer: (call: Call, n: number) => Answer | Promise<Answer> = () => undefined,
  ) {}

  async uploadPhoto(
    p: Parameters<OutboxTransport['uploadPhoto']>[0],
  ): Promise<TransportResult<{ id: string }>> {
    const call: Call = {
      kind: 'photo',
      clientKey: p.clientKey,
      mime: p.mime,
      text: await p.blob.text(),
      ...(p.lng !== undefined ? { lng: p.lng } : {}),
      ...(p.lat !== undefined ? { lat: p.lat } : {}),
      ...(p.takenAt !== undefined ? { takenAt: p.takenAt } : {}),
    };
    const given = await this.record(call);
    return given
      ? (given as TransportResult<{ id: string }>)
      : { ok: true, data: { id: `PH-${++this.photos}` } };
  }

  async command(
    orderId: string,
    action: string,
    body: Record<string, unknown>,
  ): Promise<TransportResult<WorkOrder>> {
    const given = await this.record({ kind: 'command', orderId, action, body });
    return given ? (given as TransportResult<WorkOrder>) : { ok: true, data: order(orderId, ++this.version) };
  }

  async create(body: Record<string, unknown>): Promise<TransportResult<WorkOrder>> {
    const given = await this.record({ kind: 'create', body });
    return given ? (given as TransportResult<WorkOrder>) : { ok: true, data: order('WO-NEW', 1) };
  }

  private record(call: Call): Answer | Promise<Answer> {
    this.calls.push(call);
    return this.answer(call, this.calls.length - 1);
  }

  /** The actionId (commands, creates) or X-Client-Key (photos) of each call, in order. */
  keys(): string[] {
    return this.calls.map((c) => (c.kind === 'photo' ? c.clientKey : String(c.body['actionId'])));
  }
}

const network = { ok: false, status: 0, code: 'network', message: 'fetch failed' } as const;
const refused = (status: number, code: string, reason: string | undefined, message: string) =>
  ({ ok: false, status, code, ...(reason ? { reason } : {}), message }) as const;

const opened: Outbox[] = [];
async function openOutbox(name = `outbox-${crypto.randomUUID()}`, clock?: () => number) {
  const outbox = await Outbox.open(name, clock ? { clock } : {});
  opened.push(outbox);
  return outbox;
}
const jpeg = (text: string) => new Blob([text], { type: 'image/jpeg' });

afterEach(() => {
  for (const o of opened.splice(0)) o.close();
  vi.unstubAllGlobals();
});

describe('Outbox', () => {
  it('replays entries in the order they were queued after the database is closed and opened again', async () => {
    const name = `outbox-${crypto.randomUUID()}`;
    const first = await openOutbox(name);
    const placeholder = await first.enqueuePhoto({
      blob: jpeg('after'),
      mime: 'image/jpeg',
      lng: 120.1,
      lat: 30.2,
    });
    const accept = await first.enqueueCommand('WO-A', 'accept', {});
    const checkIn = await first.enqueueCommand('WO-A', 'checkIn', { method: 'qr', code: 'S-1' });
    const patrol = await first.enqueueCreate({
      category: 'event.other.other',
      title: '占道经营',
      location: [120, 30],
    });
    first.close();

    const again = await openOutbox(name);
    const listed = await again.list();
    expect(listed.map((e) => [e.kind, e.action, e.state])).toEqual([
      ['photo', undefined, 'pending'],
      ['command', 'accept', 'pending'],
      ['command', 'checkIn', 'pending'],
      ['create', undefined, 'pending'],
    ]);
    expect(listed.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(listed[0]?.photo).toEqual({ mime: 'image/jpeg', size: 5, lng: 120.1, lat: 30.2 });

    const transport = new FakeTransport();
    const report = await again.flush(transport);
    expect(transport.keys()).toEqual([placeholder.slice('local:'.length), accept.id, checkIn.id, patrol.id]);
    expect(transport.calls[0]).toEqual({
      kind: 'photo',
      clientKey: placeholder.slice('local:'.length),
      mime: 'image/jpeg',
      text: 'after',
      lng: 120.1,
      lat: 30.2,
    });
    expect(report).toMatchObject({ sent: 4, conflicts: [], failed: [], remaining: 0 });
    expect(report.changed.map((o) => [o.id, o.version])).toEqual([
      ['WO-A', 3],
      ['WO-NEW', 1],
    ]);
    expect(await again.list()).toEqual([]);
  });

  it('lists queued photos without their bytes, which only the upload reads and then drops', async () => {
    const name = `outbox-${crypto.randomUUID()}`;
    const outbox = await openOutbox(name);
    const sent = await outbox.enqueuePhoto({ blob: jpeg('sent'), mime: 'image/jpeg', takenAt: T0 });
    const dropped = await outbox.enqueuePhoto({ blob: jpeg('dropped!'), mime: 'image/jpeg' });

    expect((await outbox.list()).map((e) => e.photo)).toEqual([
      { mime: 'image/jpeg', size: 4, takenAt: T0 },
      { mime: 'image/jpeg', size: 8 },
    ]);
    // What `list` reads holds no bytes at all: they are stored apart, by entry id.
    const raw = await openDB(name);
    const stored = (await raw.getAllFromIndex('entries', 'bySeq')) as { photo: unknown }[];
    expect(stored.map((e) => e.photo)).toEqual([
      { mime: 'image/jpeg', size: 4, takenAt: T0 },
      { mime: 'image/jpeg', size: 8 },
    ]);
    expect(await raw.getAllKeys('photoBytes')).toEqual(
      [sent, dropped].map((p) => p.slice('local:'.length)).sort(),
    );

    await outbox.dismiss(dropped.slice('local:'.length));
    const transport = new FakeTransport();
    await outbox.flush(transport);

    expect(transport.calls).toMatchObject([{ kind: 'photo', text: 'sent', takenAt: T0 }]);
    expect(await raw.count('photoBytes')).toBe(0);
    raw.close();
  });

  it('moves the photo bytes of a queue written by the previous version out of its entries', async () => {
    const name = `outbox-${crypto.randomUUID()}`;
    const photoId = 'a'.repeat(32);
    const reportId = 'b'.repeat(32);
    // Version 1: the bytes inside the entry.
    const v1 = await openDB(name, 1, {
      upgrade(db) {
        const entries = db.createObjectStore('entries', { keyPath: 'id' });
        entries.createIndex('bySeq', 'seq', { unique: true });
        entries.createIndex('byState', 'state');
        db.createObjectStore('uploads');
        db.createObjectStore('meta');
      },
    });
    const bytes = await jpeg('old photo').arrayBuffer();
    const base = { createdAt: T0, attempts: 0, state: 'pending' };
    await v1.put('entries', {
      ...base,
      id: photoId,
      seq: 1,
      kind: 'photo',
      photo: { mime: 'image/jpeg', bytes },
    });
    await v1.put('entries', {
      ...base,
      id: reportId,
      seq: 2,
      kind: 'command',
      orderId: 'WO-A',
      action: 'report',
      body: { note: '已处理', photoIds: [`local:${photoId}`] },
    });
    await v1.put('meta', 2, 'seq');
    v1.close();

    const outbox = await openOutbox(name);
    expect((await outbox.list()).map((e) => [e.id, e.photo])).toEqual([
      [photoId, { mime: 'image/jpeg', size: 9 }],
      [reportId, undefined],
    ]);
    const transport = new FakeTransport();
    const report = await outbox.flush(transport);

    expect(report).toMatchObject({ sent: 2, remaining: 0 });
    expect(transport.calls).toMatchObject([
      { kind: 'photo', clientKey: photoId, text: 'old photo' },
      { kind: 'command', body: { photoIds: ['PH-1'], actionId: reportId } },
    ]);
  });

  it('replaces photo placeholders with the ids the server gave the uploads', async () => {
    const outbox = await openOutbox();
    const before = await outbox.enqueuePhoto({ blob: jpeg('1'), mime: 'image/jpeg' });
    const after = await outbox.enqueuePhoto({ blob: jpeg('2'), mime: 'image/jpeg' });
    await outbox.enqueueCommand('WO-A', 'report', { note: '已清理', photoIds: [before, after] });
    await outbox.enqueueCreate({ title: '垃圾满溢', photoIds: [after] });

    const transport = new FakeTransport();
    await outbox.flush(transport);

    const [, , report, create] = transport.calls;
    expect(report).toMatchObject({ kind: 'command', body: { note: '已清理', photoIds: ['PH-1', 'PH-2'] } });
    expect(create).toMatchObject({ kind: 'create', body: { title: '垃圾满溢', photoIds: ['PH-2'] } });
  });

  it('keeps a placeholder usable when the photo was uploaded before the action naming it was queued', async () => {
    const outbox = await openOutbox();
    const placeholder = await outbox.enqueuePhoto({ blob: jpeg('x'), mime: 'image/jpeg' });
    const transport = new FakeTransport();
    await outbox.flush(transport);
    // The worker finishes writing the report after the photo went up.
    await outbox.enqueueCommand('WO-A', 'report', { note: '已处理', photoIds: [placeholder] });
    const report = await outbox.flush(transport);

    expect(report.sent).toBe(1);
    expect(transport.calls[1]).toMatchObject({ body: { photoIds: ['PH-1'] } });
  });

  it('forgets uploaded photo ids a week after nothing named them, so a stale placeholder is a conflict', async () => {
    let now = T0;
    const outbox = await openOutbox(undefined, () => now);
    const placeholder = await outbox.enqueuePhoto({ blob: jpeg('x'), mime: 'image/jpeg' });
    const transport = new FakeTransport();
    await outbox.flush(transport);
    now += 8 * DAY;
    await outbox.flush(transport);
    const stale = await outbox.enqueueCommand('WO-A', 'report', { note: '已处理', photoIds: [placeholder] });

    const report = await outbox.flush(transport);

    expect(transport.calls).toHaveLength(1);
    expect(report.conflicts.map((e) => [e.id, e.problem?.reason])).toEqual([[stale.id, 'photo-missing']]);
  });

  it('sends each command with its entry id as actionId and the time it was queued as doneAt', async () => {
    let now = T0;
    const outbox = await openOutbox(undefined, () => now);
    const entry = await outbox.enqueueCommand('WO-A', 'return', {
      reason: 'wrong-location',
      note: '不在本网格',
    });
    now = T0 + 3_600_000;
    const patrol = await outbox.enqueueCreate({ title: '路灯不亮' });
    now = T0 + 7_200_000;

    const transport = new FakeTransport();
    await outbox.flush(transport);

    expect(entry.id).toMatch(/^[0-9a-f]{32}$/);
    expect(transport.calls).toEqual([
      {
        kind: 'command',
        orderId: 'WO-A',
        action: 'return',
        body: { reason: 'wrong-location', note: '不在本网格', actionId: entry.id, doneAt: T0 },
      },
      { kind: 'create', body: { title: '路灯不亮', actionId: patrol.id, doneAt: T0 + 3_600_000 } },
    ]);
  });

  it('stops at a network failure, keeps the rest, and resumes where it stopped on the next flush', async () => {
    const outbox = await openOutbox();
    const a = await outbox.enqueueCommand('WO-A', 'accept', {});
    const b = await outbox.enqueueCommand('WO-B', 'accept', {});
    const c = await outbox.enqueueCommand('WO-C', 'accept', {});
    let online = true;
    const transport = new FakeTransport((call) => {
      if (call.kind === 'command' && call.orderId === 'WO-B' && online) {
        online = false;
        return network;
      }
      return undefined;
    });

    const first = await outbox.flush(transport);
    expect(first).toMatchObject({ sent: 1, remaining: 2, stoppedBy: { status: 0, code: 'network' } });
    expect((await outbox.list()).map((e) => [e.id, e.state, e.attempts])).toEqual([
      [b.id, 'pending', 1],
      [c.id, 'pending', 0],
    ]);

    const second = await outbox.flush(transport);
    expect(second).toMatchObject({ sent: 2, remaining: 0 });
    expect(second.stoppedBy).toBeUndefined();
    expect(transport.keys()).toEqual([a.id, b.id, b.id, c.id]);
  });

  it('treats a transport that throws like a lost connection', async () => {
    const outbox = await openOutbox();
    const entry = await outbox.enqueueCommand('WO-A', 'accept', {});
    const transport = new FakeTransport(() => {
      throw new Error('socket hang up');
    });

    const report = await outbox.flush(transport);

    expect(report).toMatchObject({
      sent: 0,
      remaining: 1,
      stoppedBy: { code: 'network', message: 'socket hang up' },
    });
    expect(await outbox.list()).toMatchObject([{ id: entry.id, state: 'pending', attempts: 1 }]);
  });

  it('waits out a 401 (signed out) instead of refusing the entry', async () => {
    const outbox = await openOutbox();
    await outbox.enqueueCommand('WO-A', 'accept', {});
    await outbox.enqueueCommand('WO-B', 'accept', {});
    const transport = new FakeTransport(() => refused(401, 'unauthorized', undefined, 'sign in first'));

    const report = await outbox.flush(transport);

    expect(transport.calls).toHaveLength(1);
    expect(report).toMatchObject({
      sent: 0,
      remaining: 2,
      conflicts: [],
      failed: [],
      stoppedBy: { status: 401 },
    });
  });

  it('marks an action on a case reassigned offline as a conflict and skips its later actions while other cases go on', async () => {
    const outbox = await openOutbox();
    const acceptA = await outbox.enqueueCommand('WO-A', 'accept', {});
    const checkInA = await outbox.enqueueCommand('WO-A', 'checkIn', { method: 'qr', code: 'S-1' });
    const acceptB = await outbox.enqueueCommand('WO-B', 'accept', {});
    const noteA = await outbox.enqueueCommand('WO-A', 'note', { note: '现场有积水' });
    const message = 'case WO-A was reassigned to worker W-2 by 调度员 at 2025-06-01T02:00:00.000Z';
    const transport = new FakeTransport((call) =>
      call.kind === 'command' && call.orderId === 'WO-A'
        ? refused(409, 'conflict', 'reassigned', message)
        : undefined,
    );

    const report = await outbox.flush(transport);

    expect(transport.keys()).toEqual([acceptA.id, acceptB.id]);
    expect(report.sent).toBe(1);
    expect(report.changed.map((o) => o.id)).toEqual(['WO-B']);
    expect(report.conflicts.map((e) => e.id)).toEqual([acceptA.id, checkInA.id, noteA.id]);
    const [refusedAccept, blockedCheckIn, blockedNote] = await outbox.list();
    expect(refusedAccept).toMatchObject({
      state: 'conflict',
      attempts: 1,
      problem: {
        status: 409,
        code: 'conflict',
        reason: 'reassigned',
        message,
        explanation: {
          zh: '接单：您离线期间，该案卷已被改派给其他网格员，此操作未生效。',
          en: `Accept: While you were offline the case was reassigned to another worker; this action did not take effect. (Server: ${message})`,
        },
      },
    });
    expect(blockedCheckIn).toMatchObject({
      state: 'conflict',
      attempts: 0,
      problem: { reason: 'blocked', explanation: { zh: '到场签到：前一操作（接单）未生效，此操作已取消。' } },
    });
    expect(blockedNote?.problem?.explanation.zh).toBe('备注：前一操作（接单）未生效，此操作已取消。');

    // Nothing of case A is sent again.
    await outbox.flush(transport);
    expect(transport.calls).toHaveLength(2);
  });

  it('marks other refusals as failed, with the reason explained, and blocks the same case', async () => {
    const outbox = await openOutbox();
    const checkIn = await outbox.enqueueCommand('WO-A', 'checkIn', {
      method: 'proximity',
      fix: { location: [0, 0] },
    });
    const report = await outbox.enqueueCommand('WO-A', 'report', { note: '已处理', photoIds: [] });
    const transport = new FakeTransport(() =>
      refused(400, 'invalid_request', 'too-far', '5230 m from the site; check in within 200 m'),
    );

    const flushed = await outbox.flush(transport);

    expect(flushed.failed.map((e) => e.id)).toEqual([checkIn.id]);
    expect(flushed.failed[0]?.problem?.explanation.zh).toBe(
      '到场签到：签到时距离现场过远，签到未成功。请到达现场后重新签到。',
    );
    expect(flushed.conflicts.map((e) => [e.id, e.problem?.explanation.zh])).toEqual([
      [report.id, '反馈：前一操作（到场签到）未生效，此操作已取消。'],
    ]);
  });

  it('removes a dismissed entry for good', async () => {
    const outbox = await openOutbox();
    const accept = await outbox.enqueueCommand('WO-A', 'accept', {});
    const note = await outbox.enqueueCommand('WO-B', 'note', { note: '已联系业主' });
    const first = new FakeTransport((call) =>
      call.kind === 'command' && call.orderId === 'WO-A'
        ? refused(409, 'conflict', 'state', 'case WO-A is cancelled')
        : undefined,
    );
    await outbox.flush(first);
    expect(first.keys()).toEqual([accept.id, note.id]);
    expect((await outbox.list()).map((e) => e.id)).toEqual([accept.id]);

    await outbox.dismiss(accept.id);

    expect(await outbox.list()).toEqual([]);
    const transport = new FakeTransport();
    expect(await outbox.flush(transport)).toMatchObject({ sent: 0, remaining: 0 });
    expect(transport.calls).toEqual([]);
  });

  it('lists the pending entries of one case', async () => {
    const outbox = await openOutbox();
    const accept = await outbox.enqueueCommand('WO-A', 'accept', {});
    await outbox.enqueueCommand('WO-B', 'accept', {});
    const checkIn = await outbox.enqueueCommand('WO-A', 'checkIn', { method: 'qr', code: 'S-1' });

    expect((await outbox.pendingFor('WO-A')).map((e) => e.id)).toEqual([accept.id, checkIn.id]);
  });

  it('fails a refused photo and turns the actions that carry it into conflicts', async () => {
    const outbox = await openOutbox();
    const photo = await outbox.enqueuePhoto({ blob: jpeg('huge'), mime: 'image/jpeg' });
    const reportA = await outbox.enqueueCommand('WO-A', 'report', { note: '已处理', photoIds: [photo] });
    const noteA = await outbox.enqueueCommand('WO-A', 'note', { note: '补充说明' });
    const patrol = await outbox.enqueueCreate({ title: '违章搭建', photoIds: [photo] });
    const acceptB = await outbox.enqueueCommand('WO-B', 'accept', {});
    const transport = new FakeTransport((call) =>
      call.kind === 'photo'
        ? refused(413, 'payload_too_large', 'too_large', 'The photo is over 10 MB.')
        : undefined,
    );

    const report = await outbox.flush(transport);

    expect(transport.keys()).toEqual([photo.slice('local:'.length), acceptB.id]);
    expect(report.failed.map((e) => [e.kind, e.problem?.explanation.zh])).toEqual([
      ['photo', '照片：照片文件过大，无法上传。请降低相机分辨率后重新拍照。'],
    ]);
    expect(report.conflicts.map((e) => [e.id, e.problem?.reason, e.problem?.explanation.zh])).toEqual([
      [reportA.id, 'photo-missing', '反馈：所附照片未能上传，此操作已取消。请重新拍照后再提交。'],
      [noteA.id, 'blocked', '备注：前一操作（反馈）未生效，此操作已取消。'],
      [patrol.id, 'photo-missing', '巡查上报：所附照片未能上传，此操作已取消。请重新拍照后再提交。'],
    ]);
  });

  it('answers a flush called while one runs with the running flush', async () => {
    const outbox = await openOutbox();
    const a = await outbox.enqueueCommand('WO-A', 'accept', {});
    const b = await outbox.enqueueCommand('WO-B', 'accept', {});
    let release = () => {};
    const gate = new Promise<undefined>((resolve) => (release = () => resolve(undefined)));
    const transport = new FakeTransport((_call, n) => (n === 0 ? gate : undefined));

    const first = outbox.flush(transport);
    const second = outbox.flush(transport);
    release();

    expect(second).toBe(first);
    expect(await first).toMatchObject({ sent: 2, remaining: 0 });
    expect(transport.keys()).toEqual([a.id, b.id]);
    // Once it finished, a new flush runs again.
    const c = await outbox.enqueueCommand('WO-C', 'accept', {});
    const third = outbox.flush(transport);
    expect(third).not.toBe(first);
    expect(await third).toMatchObject({ sent: 1 });
    expect(transport.keys()).toEqual([a.id, b.id, c.id]);
  });

  it('sends entries queued while a flush runs in the same flush', async () => {
    const outbox = await openOutbox();
    await outbox.enqueueCommand('WO-A', 'accept', {});
    let late = '';
    const transport = new FakeTransport(async (_call, n) => {
      if (n === 0) late = (await outbox.enqueueCommand('WO-A', 'checkIn', { method: 'qr', code: 'S-1' })).id;
      return undefined;
    });

    const report = await outbox.flush(transport);

    expect(report.sent).toBe(2);
    expect(transport.keys()[1]).toBe(late);
  });

  it('sends the same actionId and X-Client-Key again when the answer to a success was lost', async () => {
    const outbox = await openOutbox();
    const photo = await outbox.enqueuePhoto({ blob: jpeg('p'), mime: 'image/jpeg' });
    const accept = await outbox.enqueueCommand('WO-A', 'accept', {});
    // The server applied each of them, but the phone lost the first answer of each.
    const lost = new Set<string>();
    const transport = new FakeTransport((call) => {
      const key = call.kind === 'photo' ? call.clientKey : String(call.body['actionId']);
      if (lost.has(key)) return undefined;
      lost.add(key);
      return network;
    });

    await outbox.flush(transport);
    await outbox.flush(transport);
    const last = await outbox.flush(transport);

    const clientKey = photo.slice('local:'.length);
    expect(transport.keys()).toEqual([clientKey, clientKey, accept.id, accept.id]);
    expect(transport.calls[2]).toMatchObject({ body: { actionId: accept.id } });
    expect(transport.calls[3]).toEqual(transport.calls[2]);
    expect(last).toMatchObject({ sent: 1, remaining: 0 });
  });

  it('lets only one tab at a time flush the same queue where the browser has Web Locks', async () => {
    const held = new Map<string, Promise<unknown>>();
    const locks = {
      request(name: string, run: () => Promise<unknown>) {
        const result = (held.get(name) ?? Promise.resolve()).then(run);
        held.set(
          name,
          result.catch(() => undefined),
        );
        return result;
      },
    };
    vi.stubGlobal('navigator', { locks });
    const name = `outbox-${crypto.randomUUID()}`;
    const tab1 = await openOutbox(name);
    const tab2 = await openOutbox(name);
    const a = await tab1.enqueueCommand('WO-A', 'accept', {});
    const b = await tab1.enqueueCommand('WO-B', 'accept', {});
    const slow = new FakeTransport(() => new Promise<undefined>((resolve) => setTimeout(resolve, 5)));

    const [r1, r2] = await Promise.all([tab1.flush(slow), tab2.flush(slow)]);

    expect(slow.keys()).toEqual([a.id, b.id]);
    expect(r1.sent + r2.sent).toBe(2);
  });
});

describe('explainRefusal', () => {
  it('explains a QR code that does not match the site, naming the action', () => {
    const text = explainRefusal(
      {
        status: 400,
        code: 'invalid_request',
        reason: 'wrong-code',
        message: 'QR code "X" is not this case\'s site',
      },
      'checkIn',
    );
    expect(text.zh).toBe(
      '到场签到：扫描的二维码与该案卷现场不匹配（QR不匹配），签到未成功。请扫描现场设备上的二维码。',
    );
    expect(text.en).toMatch(
      /^Check-in: The QR code you scanned does not match .*\(Server: QR code "X" is not this case's site\)$/,
    );
  });

  it('explains a case the centre cancelled', () => {
    expect(
      explainRefusal(
        { status: 409, code: 'conflict', reason: 'state', message: 'case WO-1 is cancelled' },
        'report',
      ).zh,
    ).toBe('反馈：该案卷的状态已经变化（例如已被指挥中心作废或结案），此操作未生效。');
  });

  it('explains by HTTP status when the body gave no reason', () => {
    expect(explainRefusal({ status: 415, code: 'unsupported_media_type', message: '' }, 'photo')).toEqual({
      zh: '照片：照片格式不受支持（仅支持 JPEG、PNG、WEBP），无法上传。',
      en: 'Photo: The photo format is not supported (JPEG, PNG or WEBP only); it was not uploaded.',
    });
  });

  it('falls back to the server message for a reason it does not know', () => {
    expect(explainRefusal({ status: 400, code: 'invalid_request', message: 'title: too long' })).toEqual({
      zh: '服务器拒绝了此操作，未生效（invalid_request）：title: too long',
      en: 'The server refused this action; it did not take effect. (Server: title: too long)',
    });
  });
});
