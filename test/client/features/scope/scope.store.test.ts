import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import type { Snapshot } from '@shared/schemas/live.schema';
import type { Ack } from '@shared/socket';
import { snapshot } from '../../live.fixtures';

const requestScope = vi.hoisted(() => vi.fn<(scope: unknown) => Promise<Ack<Snapshot>>>());
vi.mock('../../../../client/src/socket/commands', () => ({ requestScope }));

const { useScopeStore } = await import('../../../../client/src/features/scope/scope.store');
const { useLiveStore } = await import('../../../../client/src/features/live/live.store');
const { useConnectionStore } = await import('../../../../client/src/features/connection/connection.store');

const XIHU = { kind: 'district', id: '330106' } as const;
const SHANGCHENG = { kind: 'district', id: '330102' } as const;

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('useScopeStore', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    requestScope.mockReset();
    useConnectionStore().markConnected(false);
    useLiveStore().applySnapshot(snapshot());
  });

  it('sends scope:set and replaces the live state with the snapshot in the ack', async () => {
    requestScope.mockResolvedValue({ ok: true, data: snapshot({ scope: XIHU, sensors: [] }) });
    const scope = useScopeStore();
    const done = scope.select(XIHU);
    expect(scope.pending).toBe(true);
    await done;
    expect(requestScope).toHaveBeenCalledWith(XIHU);
    expect(scope.pending).toBe(false);
    expect(useLiveStore().scope).toEqual(XIHU);
    expect(useLiveStore().sensorCount).toBe(0);
  });

  it('shows the error and falls back to the scope of the data when the server refuses', async () => {
    requestScope.mockResolvedValue({ ok: false, error: { code: 'not_found', message: 'no such district' } });
    const scope = useScopeStore();
    await scope.select(XIHU);
    expect(scope.error).toBe('not_found');
    expect(scope.selected).toEqual({ kind: 'city' });
    expect(useLiveStore().scope).toEqual({ kind: 'city' });
  });

  it('applies only the answer to the newest choice', async () => {
    const first = deferred<Ack<Snapshot>>();
    const second = deferred<Ack<Snapshot>>();
    requestScope.mockReturnValueOnce(first.promise).mockReturnValueOnce(second.promise);
    const scope = useScopeStore();
    const a = scope.select(XIHU);
    const b = scope.select(SHANGCHENG);
    second.resolve({ ok: true, data: snapshot({ scope: SHANGCHENG }) });
    await b;
    first.resolve({ ok: true, data: snapshot({ scope: XIHU }) });
    await a;
    expect(useLiveStore().scope).toEqual(SHANGCHENG);
    expect(scope.pending).toBe(false);
  });

  it('only records the choice while offline', async () => {
    useConnectionStore().markReconnecting('transport close');
    const scope = useScopeStore();
    await scope.select(XIHU);
    expect(requestScope).not.toHaveBeenCalled();
    expect(scope.selected).toEqual(XIHU);
  });

  it('resubscribes after a reconnect only when the server follows another scope', async () => {
    requestScope.mockResolvedValue({ ok: true, data: snapshot({ scope: XIHU }) });
    const scope = useScopeStore();
    await scope.resubscribe(false);
    expect(requestScope).not.toHaveBeenCalled(); // city chosen, new session is city

    await scope.select(XIHU);
    requestScope.mockClear();
    await scope.resubscribe(true); // recovered session kept the district
    expect(requestScope).not.toHaveBeenCalled();
    await scope.resubscribe(false); // new session fell back to city
    expect(requestScope).toHaveBeenCalledWith(XIHU);
  });

  it('follows the scope the server starts a district-limited user in until the operator picks one', async () => {
    const scope = useScopeStore();
    useLiveStore().applySnapshot(snapshot({ scope: XIHU }));
    await nextTick();
    expect(scope.selected).toEqual(XIHU);
    await scope.resubscribe(false);
    expect(requestScope).not.toHaveBeenCalled();
  });
});
