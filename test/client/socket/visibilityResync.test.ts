// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { batch, reading, snapshot, T0 } from '../live.fixtures';

const requestScope = vi.hoisted(() => vi.fn());
vi.mock('../../../client/src/socket/commands', () => ({ requestScope }));

const { bindVisibilityResync } = await import('../../../client/src/socket/visibilityResync');
const { useLiveStore } = await import('../../../client/src/features/live/live.store');
const { useConnectionStore } = await import('../../../client/src/features/connection/connection.store');

/** Show or hide the page as a browser does when a tab is switched. */
function setVisibility(state: 'visible' | 'hidden'): void {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
  document.dispatchEvent(new Event('visibilitychange'));
}

describe('bindVisibilityResync', () => {
  let unbind: () => void;

  beforeEach(() => {
    setActivePinia(createPinia());
    requestScope.mockReset();
    requestScope.mockResolvedValue({ ok: true, data: snapshot({ openAlerts: [] }) });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
    useConnectionStore().status = 'connected';
    unbind = bindVisibilityResync();
  });
  afterEach(() => unbind());

  it('skips reading batches while hidden and asks for a snapshot when shown again', async () => {
    const live = useLiveStore();
    live.applySnapshot(snapshot({ openAlerts: [] }));
    live.applyBatch(batch([reading('t1', T0, { speed: 70 })]));
    expect(live.latestOf('t1')?.values.speed).toBe(70);

    setVisibility('hidden');
    live.applyBatch(batch([reading('t1', T0 + 1_000, { speed: 12 })]));
    expect(live.latestOf('t1')?.values.speed).toBe(70);
    expect(live.needsSnapshot).toBe(true);
    expect(requestScope).not.toHaveBeenCalled();

    setVisibility('visible');
    expect(requestScope).toHaveBeenCalledTimes(1);
    expect(requestScope).toHaveBeenCalledWith({ kind: 'city' });
    await vi.waitFor(() => expect(live.needsSnapshot).toBe(false));
    live.applyBatch(batch([reading('t1', T0 + 2_000, { speed: 40 })]));
    expect(live.latestOf('t1')?.values.speed).toBe(40);
  });

  it('asks for nothing when nothing was skipped, or while offline', () => {
    const live = useLiveStore();
    live.applySnapshot(snapshot({ openAlerts: [] }));
    setVisibility('hidden');
    setVisibility('visible');
    expect(requestScope).not.toHaveBeenCalled();

    setVisibility('hidden');
    live.applyBatch(batch([reading('t1', T0, { speed: 12 })]));
    useConnectionStore().status = 'reconnecting';
    setVisibility('visible');
    expect(requestScope).not.toHaveBeenCalled();
    // The reconnect decides (liveEvents: a recovered session that skipped batches asks then).
    expect(live.needsSnapshot).toBe(true);
  });

  it('starts paused in a tab opened in the background, and unbinding resumes', () => {
    unbind();
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    unbind = bindVisibilityResync();
    expect(useLiveStore().paused).toBe(true);
    unbind();
    expect(useLiveStore().paused).toBe(false);
    unbind = () => {};
  });
});
