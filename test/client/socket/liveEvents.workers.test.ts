import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WorkerPosition } from '../../../shared/schemas/workOrder.schema';
import { respond, type SeenRequest } from '../auth.fixtures';
import { T0 } from '../live.fixtures';
import type { FakeSocket } from './fakeSocket';
import * as binding from './liveEvents.fixtures';

const requestScope = vi.hoisted(() => vi.fn());
vi.mock('../../../client/src/socket/commands', () => ({ requestScope }));

const { bindLiveSocket } = await import('../../../client/src/socket/liveEvents');
const { useWorkerPositionsStore } =
  await import('../../../client/src/features/workers/workerPositions.store');
const { useAuthStore } = await import('../../../client/src/features/auth/auth.store');

const position = (workerId: string, at = T0): WorkerPosition => ({ workerId, location: [120.1, 30.2], at });

describe('bindLiveSocket and the grid workers’ positions', () => {
  let socket: FakeSocket;
  let seen: SeenRequest[];

  beforeEach(() => {
    requestScope.mockReset();
    ({ socket, seen } = binding.start({
      'GET /api/v1/worker-positions': () => respond({ items: [position('W-1'), position('W-2')] }),
    }));
  });
  afterEach(binding.end);

  const positionRequests = () => seen.filter((r) => r.path === '/api/v1/worker-positions');
  const connected = () => binding.connectedWith(socket);

  it('fetches the positions after every snapshot and takes `worker:moved` between', async () => {
    await connected();
    const positions = useWorkerPositionsStore();
    expect(positionRequests()).toHaveLength(1);
    expect([...positions.byWorker.keys()]).toEqual(['W-1', 'W-2']);

    socket.fire('worker:moved', { ...position('W-3', T0 + 1_000), location: [120.3, 30.3] });

    expect(positions.byWorker.get('W-3')?.location).toEqual([120.3, 30.3]);
  });

  it('fetches them again after a recovered connect, which brings no snapshot', async () => {
    await connected();

    await binding.reconnectRecovered(socket);

    expect(positionRequests()).toHaveLength(2);
  });

  it('forgets the positions on sign-out', async () => {
    await connected();

    await useAuthStore().logout();
    await binding.settle();

    expect(useWorkerPositionsStore().byWorker.size).toBe(0);
  });

  it('stops taking positions once unbound', () => {
    const unbind = bindLiveSocket(socket.asLiveSocket());
    unbind();

    socket.fire('worker:moved', position('W-1'));

    expect(useWorkerPositionsStore().byWorker.size).toBe(0);
  });
});
