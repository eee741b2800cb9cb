import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { vitals } from '../features/vitals/vitals.fixtures';
import { snapshot, T0 } from '../live.fixtures';
import type { FakeSocket } from './fakeSocket';
import * as binding from './liveEvents.fixtures';

const requestScope = vi.hoisted(() => vi.fn());
vi.mock('../../../client/src/socket/commands', () => ({ requestScope }));

const { bindLiveSocket } = await import('../../../client/src/socket/liveEvents');
const { useVitalsStore } = await import('../../../client/src/features/vitals/vitals.store');
const { useAuthStore } = await import('../../../client/src/features/auth/auth.store');

// The 城市体征 half of the live binding; the rest is in liveEvents.test.ts.
describe('bindLiveSocket and the vitals', () => {
  let socket: FakeSocket;

  beforeEach(() => {
    ({ socket } = binding.start());
  });
  afterEach(binding.end);

  it("applies the snapshot's vitals, then each vitals:updated push", () => {
    bindLiveSocket(socket.asLiveSocket());
    const store = useVitalsStore();

    socket.fire('snapshot', snapshot({ vitals: vitals() }));
    expect(store.vitals?.readingsPerSec).toBe(120.5);

    socket.fire('vitals:updated', vitals({ at: T0 + 2_000, readingsPerSec: 250 }));
    expect(store.vitals?.readingsPerSec).toBe(250);
  });

  it('stops listening once unbound', () => {
    const unbind = bindLiveSocket(socket.asLiveSocket());
    socket.fire('snapshot', snapshot({ vitals: vitals() }));

    unbind();
    socket.fire('vitals:updated', vitals({ at: T0 + 2_000, readingsPerSec: 250 }));

    expect(useVitalsStore().vitals?.readingsPerSec).toBe(120.5);
  });

  it('forgets the vitals on sign-out', async () => {
    await binding.connectedWith(socket, snapshot({ vitals: vitals() }));

    await useAuthStore().logout();

    expect(useVitalsStore().vitals).toBeNull();
  });
});
