import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WorkerPosition } from '@shared/schemas/workOrder.schema';
import type { Ack } from '@shared/socket';
import { useAuthStore } from '../../../client/src/features/auth/auth.store';
import { useConnectionStore } from '../../../client/src/features/connection/connection.store';
import { useWorkerPositionStore } from '../../../client/src/features/worker/position.store';
import { useTasksStore } from '../../../client/src/features/worker/tasks.store';
import { useWorkerActionsStore } from '../../../client/src/features/worker/workerActions.store';
import {
  bindWorkerSocket,
  MAX_FIX_AGE_MS,
  OFF_DUTY_RETRY_MS,
  POSITION_REPORT_MS,
} from '../../../client/src/socket/workerEvents';
import { respond, stubApi } from '../auth.fixtures';
import type { SeenRequest } from '../auth.fixtures';
import {
  entry,
  FakeOutbox,
  ME,
  moved,
  T0,
  unusedTransport,
  workerSession,
  workOrder,
} from '../features/worker/worker.fixtures';
import { FakeSocket } from './fakeSocket';

type Fix = { location: [number, number]; accuracyM?: number };

/** The fake socket, plus the acknowledged `worker:position` command. */
class WorkerSocket extends FakeSocket {
  readonly reports: Fix[] = [];
  answer: (fix: Fix) => Ack<WorkerPosition> = (fix) => ({
    ok: true,
    data: { workerId: ME, location: fix.location, at: Date.now() },
  });
  timeout(_ms: number) {
    return {
      emitWithAck: async (_event: 'worker:position', fix: Fix) => {
        this.reports.push(fix);
        return this.answer(fix);
      },
    };
  }
}

/** A GPS that reports fixes when told to. */
class FakeGps {
  private onFix: PositionCallback | null = null;
  cleared: number[] = [];
  readonly watchPosition = vi.fn((ok: PositionCallback) => {
    this.onFix = ok;
    return 7;
  });
  readonly clearWatch = (id: number) => {
    this.cleared.push(id);
    this.onFix = null;
  };
  get watching(): boolean {
    return this.onFix !== null;
  }
  /** A fix taken at `takenAt` (now by default; earlier for a position the phone had cached). */
  fix(lng: number, lat: number, accuracy = 10, takenAt = Date.now()): void {
    this.onFix?.({
      coords: { longitude: lng, latitude: lat, accuracy },
      timestamp: takenAt,
    } as GeolocationPosition);
  }
}

describe('bindWorkerSocket', () => {
  let socket: WorkerSocket;
  let gps: FakeGps;
  let events: EventTarget;
  let outbox: FakeOutbox;
  let seen: SeenRequest[];

  beforeEach(async () => {
    setActivePinia(createPinia());
    vi.useFakeTimers({ now: T0 });
    socket = new WorkerSocket();
    gps = new FakeGps();
    events = new EventTarget();
    outbox = new FakeOutbox();
    seen = stubApi({
      'GET /api/v1/auth/me': () => respond(workerSession()),
      'GET /api/v1/me/work-orders': () => respond({ items: [workOrder('wo-1')] }),
      'POST /api/v1/auth/logout': () => respond(null, 204),
    });
    const actions = useWorkerActionsStore();
    actions.setOnline(true);
    await actions.attach(outbox, unusedTransport);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  async function bindSignedIn(): Promise<() => void> {
    const unbind = bindWorkerSocket(socket.asLiveSocket(), undefined, { geolocation: gps, events });
    expect(await useAuthStore().check()).toBe('signed-in');
    return unbind;
  }

  /** Let acks and fetches settle. */
  const settle = () => vi.advanceTimersByTimeAsync(0);

  it('routes each work-order event to the tasks store', async () => {
    await bindSignedIn();
    const tasks = useTasksStore();
    const order = workOrder('wo-1');

    socket.fire('workOrder:assigned', order);
    socket.fire('workOrder:updated', {
      order: moved(order, 'accepted'),
      entry: entry(3, 'accept', 'dispatched', 'accepted'),
    });
    expect(tasks.byId.get('wo-1')?.state).toBe('accepted');

    const cancelled = moved(moved(order, 'accepted'), 'cancelled');
    socket.fire('workOrder:withdrawn', {
      order: cancelled,
      entry: entry(4, 'cancel', 'accepted', 'cancelled'),
    });
    expect(tasks.byId.has('wo-1')).toBe(false);
    expect(tasks.notices.map((n) => n.kind)).toEqual(['withdrawn']);
  });

  it('connects once signed in, then fetches the tasks again and sends the queue on every connect', async () => {
    await bindSignedIn();
    expect(socket.connectCalls).toBe(1);
    const flushesBefore = outbox.flushes;

    socket.accept();
    await settle();
    expect(useConnectionStore().status).toBe('connected');
    expect(useTasksStore().byId.has('wo-1')).toBe(true);
    expect(outbox.flushes).toBe(flushesBefore + 1);

    socket.fire('disconnect', 'transport close');
    socket.accept();
    await settle();
    expect(seen.filter((r) => r.path === '/api/v1/me/work-orders')).toHaveLength(2);
    expect(outbox.flushes).toBe(flushesBefore + 2);
  });

  it('sends the queue when the browser is back online', async () => {
    await bindSignedIn();
    const actions = useWorkerActionsStore();
    const flushesBefore = outbox.flushes;

    events.dispatchEvent(new Event('offline'));
    expect(actions.online).toBe(false);
    events.dispatchEvent(new Event('online'));
    await settle();

    expect(actions.online).toBe(true);
    expect(outbox.flushes).toBe(flushesBefore + 1);
  });

  it('reports the position at most every 30 s while connected, the latest fix each time', async () => {
    await bindSignedIn();
    expect(gps.watching).toBe(true);
    gps.fix(120.1, 30.2);
    expect(socket.reports).toEqual([]); // not connected yet

    socket.accept();
    await settle();
    expect(socket.reports).toEqual([{ location: [120.1, 30.2], accuracyM: 10 }]);
    expect(useWorkerPositionStore().duty).toBe('on');

    await vi.advanceTimersByTimeAsync(10_000);
    gps.fix(120.11, 30.21);
    await settle();
    expect(socket.reports).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(POSITION_REPORT_MS);
    expect(socket.reports).toHaveLength(2);
    expect(socket.reports[1]).toEqual({ location: [120.11, 30.21], accuracyM: 10 });
  });

  it('repeats the last fix as a heartbeat only while it is at most 2 minutes old', async () => {
    await bindSignedIn();
    gps.fix(120.1, 30.2);
    socket.accept();
    await settle();
    expect(socket.reports).toHaveLength(1);

    // Standing still: no new fix, the same one goes out every 30 s until it is 2 minutes old.
    await vi.advanceTimersByTimeAsync(MAX_FIX_AGE_MS);
    expect(socket.reports).toHaveLength(1 + MAX_FIX_AGE_MS / POSITION_REPORT_MS);
    await vi.advanceTimersByTimeAsync(10 * POSITION_REPORT_MS);
    expect(socket.reports).toHaveLength(1 + MAX_FIX_AGE_MS / POSITION_REPORT_MS);

    // A fresh fix goes out at once.
    gps.fix(120.11, 30.21);
    await settle();
    expect(socket.reports.at(-1)).toEqual({ location: [120.11, 30.21], accuracyM: 10 });
  });

  it('does not send a fix that is already more than 2 minutes old', async () => {
    await bindSignedIn();
    socket.accept();
    await settle();

    // A position the phone kept from before (its timestamp is when it was taken).
    gps.fix(120.1, 30.2, 10, Date.now() - MAX_FIX_AGE_MS - 1);
    await settle();
    await vi.advanceTimersByTimeAsync(3 * POSITION_REPORT_MS);
    expect(socket.reports).toEqual([]);

    gps.fix(120.12, 30.22);
    await settle();
    expect(socket.reports).toEqual([{ location: [120.12, 30.22], accuracyM: 10 }]);
  });

  it('asks again every 5 minutes while off duty, and reports once the shift has started', async () => {
    await bindSignedIn();
    socket.answer = () => ({ ok: false, error: { code: 'conflict', message: 'worker w-0001 is off duty' } });
    gps.fix(120.1, 30.2);
    socket.accept();
    await settle();
    expect(socket.reports).toHaveLength(1);
    expect(useWorkerPositionStore().duty).toBe('off');

    // Fresh fixes meanwhile do not go out before the 5 minutes are up.
    await vi.advanceTimersByTimeAsync(OFF_DUTY_RETRY_MS - 30_000);
    gps.fix(120.12, 30.22);
    await settle();
    expect(socket.reports).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(30_000);
    expect(socket.reports).toHaveLength(2);
    expect(socket.reports[1]).toEqual({ location: [120.12, 30.22], accuracyM: 10 });
    expect(useWorkerPositionStore().duty).toBe('off');

    // The shift starts: the next try is taken, and reporting goes on from there.
    socket.answer = (fix) => ({ ok: true, data: { workerId: ME, location: fix.location, at: Date.now() } });
    await vi.advanceTimersByTimeAsync(OFF_DUTY_RETRY_MS - 30_000);
    gps.fix(120.13, 30.23);
    await settle();
    expect(socket.reports).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(socket.reports).toHaveLength(3);
    expect(useWorkerPositionStore().duty).toBe('on');
    await vi.advanceTimersByTimeAsync(POSITION_REPORT_MS);
    expect(socket.reports).toHaveLength(4);
  });

  it('stops asking while off duty once disconnected or signed out, and asks at once on the next connect', async () => {
    await bindSignedIn();
    socket.answer = () => ({ ok: false, error: { code: 'conflict', message: 'worker w-0001 is off duty' } });
    gps.fix(120.1, 30.2);
    socket.accept();
    await settle();

    socket.connected = false;
    socket.fire('disconnect', 'transport close');
    // Even reconnected in between by hand: only a connect event starts reporting again.
    await vi.advanceTimersByTimeAsync(OFF_DUTY_RETRY_MS - 1000);
    gps.fix(120.11, 30.21);
    socket.connected = true;
    await vi.advanceTimersByTimeAsync(3 * OFF_DUTY_RETRY_MS);
    expect(socket.reports).toHaveLength(1);

    gps.fix(120.12, 30.22);
    socket.accept();
    await settle();
    expect(socket.reports).toHaveLength(2);

    await useAuthStore().logout();
    // Were the retry still set, a fix and a connection are all it would need.
    socket.connected = true;
    await vi.advanceTimersByTimeAsync(OFF_DUTY_RETRY_MS - 1000);
    useWorkerPositionStore().setFix({ location: [120.13, 30.23], accuracyM: 10, at: Date.now() });
    await vi.advanceTimersByTimeAsync(3 * OFF_DUTY_RETRY_MS);
    expect(socket.reports).toHaveLength(2);
  });

  it('reports nothing after the connection is lost', async () => {
    await bindSignedIn();
    gps.fix(120.1, 30.2);
    socket.accept();
    await settle();

    socket.connected = false;
    socket.fire('disconnect', 'transport close');
    await vi.advanceTimersByTimeAsync(3 * POSITION_REPORT_MS);
    gps.fix(120.13, 30.23);
    await settle();

    expect(socket.reports).toHaveLength(1);
  });

  it('on sign-out stops the GPS, disconnects and forgets the tasks and position', async () => {
    await bindSignedIn();
    gps.fix(120.1, 30.2);
    socket.accept();
    await settle();

    await useAuthStore().logout();

    expect(gps.cleared).toEqual([7]);
    expect(socket.disconnectCalls).toBe(1);
    expect(useTasksStore().list).toEqual([]);
    expect(useWorkerPositionStore().fix).toBeNull();
  });

  it('unbinds every listener', async () => {
    const unbind = await bindSignedIn();
    unbind();
    expect(socket.listenerCount()).toBe(0);
    expect(gps.watching).toBe(false);
  });
});
