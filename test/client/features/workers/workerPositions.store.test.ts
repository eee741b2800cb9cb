import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WorkerPosition } from '../../../../shared/schemas/workOrder.schema';
import {
  POSITION_MAX_AGE_MS,
  useWorkerPositionsStore,
} from '../../../../client/src/features/workers/workerPositions.store';
import { apiError, deferred, respond, stubApi } from '../../auth.fixtures';
import { T0 } from '../../live.fixtures';

const ROUTE = 'GET /api/v1/worker-positions';

function position(
  workerId: string,
  at = T0 - 60_000,
  location: [number, number] = [120.1, 30.2],
): WorkerPosition {
  return { workerId, location, at };
}

describe('useWorkerPositionsStore', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("takes the API's positions on a resync, dropping those older than 15 minutes", async () => {
    stubApi({
      [ROUTE]: () =>
        respond({
          items: [position('W-1'), position('W-2', T0 - POSITION_MAX_AGE_MS - 1), position('W-3', T0)],
        }),
    });
    const positions = useWorkerPositionsStore();

    await positions.resync(T0);

    expect([...positions.byWorker.keys()]).toEqual(['W-1', 'W-3']);
    expect(positions.status).toBe('ready');
  });

  it('keeps the newest position of each worker from pushes', () => {
    const positions = useWorkerPositionsStore();

    positions.moved(position('W-1', T0 - 2_000, [120.1, 30.2]));
    positions.moved(position('W-1', T0, [120.2, 30.3]));
    positions.moved(position('W-1', T0 - 1_000, [120.9, 30.9]));

    expect(positions.byWorker.get('W-1')?.location).toEqual([120.2, 30.3]);
  });

  it('keeps a push newer than the answer of a resync that was on its way', async () => {
    const answer = deferred<Response>();
    stubApi({ [ROUTE]: () => answer.promise });
    const positions = useWorkerPositionsStore();

    const resync = positions.resync(T0);
    positions.moved(position('W-1', T0, [120.5, 30.5]));
    answer.resolve(respond({ items: [position('W-1', T0 - 30_000), position('W-2')] }));
    await resync;

    expect(positions.byWorker.get('W-1')?.location).toEqual([120.5, 30.5]);
    expect([...positions.byWorker.keys()].sort()).toEqual(['W-1', 'W-2']);
  });

  it('drops positions that aged out since they came', () => {
    const positions = useWorkerPositionsStore();
    positions.moved(position('W-1', T0));
    positions.moved(position('W-2', T0 + 10 * 60_000));

    positions.prune(T0 + POSITION_MAX_AGE_MS + 1);

    expect([...positions.byWorker.keys()]).toEqual(['W-2']);
  });

  it('shows nothing, pushes included, to a role that may not read workers', async () => {
    stubApi({ [ROUTE]: () => respond(apiError('forbidden', 'workers:read'), 403) });
    const positions = useWorkerPositionsStore();
    positions.moved(position('W-1'));

    await positions.resync(T0);
    positions.moved(position('W-2'));

    expect(positions.status).toBe('unavailable');
    expect(positions.byWorker.size).toBe(0);
  });

  it('keeps the last positions when the API fails', async () => {
    stubApi({ [ROUTE]: () => respond(apiError('internal', 'boom'), 500) });
    const positions = useWorkerPositionsStore();
    positions.moved(position('W-1', T0));

    await positions.resync(T0);

    expect(positions.status).toBe('failed');
    expect([...positions.byWorker.keys()]).toEqual(['W-1']);
  });

  it('applies only the newest of two resyncs', async () => {
    const first = deferred<Response>();
    let calls = 0;
    stubApi({
      [ROUTE]: () => (++calls === 1 ? first.promise : respond({ items: [position('W-new', T0)] })),
    });
    const positions = useWorkerPositionsStore();

    const older = positions.resync(T0);
    await positions.resync(T0);
    first.resolve(respond({ items: [position('W-old', T0)] }));
    await older;

    expect([...positions.byWorker.keys()]).toEqual(['W-new']);
  });

  it('forgets everything on sign-out, and an answer still on its way with it', async () => {
    const answer = deferred<Response>();
    stubApi({ [ROUTE]: () => answer.promise });
    const positions = useWorkerPositionsStore();
    positions.moved(position('W-1', T0));

    const resync = positions.resync(T0);
    positions.clear();
    answer.resolve(respond({ items: [position('W-2', T0)] }));
    await resync;

    expect(positions.byWorker.size).toBe(0);
    expect(positions.status).toBe('idle');
  });
});
