// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { Pinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useAuthStore } from '../../../../client/src/features/auth/auth.store';
import { useTasksStore } from '../../../../client/src/features/worker/tasks.store';
import { useWorkerActionsStore } from '../../../../client/src/features/worker/workerActions.store';
import WorkerApp from '../../../../client/src/features/worker/WorkerApp.vue';
import { apiError, respond, stubApi } from '../../auth.fixtures';
import { FakeOutbox, T0, unusedTransport, workerSession, workOrder } from './worker.fixtures';

describe('WorkerApp', () => {
  let pinia: Pinia;
  let outbox: FakeOutbox;

  beforeEach(async () => {
    pinia = createPinia();
    setActivePinia(pinia);
    vi.useFakeTimers({ now: T0, toFake: ['Date'] });
    outbox = new FakeOutbox((e) => ({
      ok: false,
      entry: {
        ...e,
        state: 'conflict',
        problem: {
          status: 409,
          code: 'conflict',
          reason: 'reassigned',
          message: 'reassigned',
          explanation: { zh: '您离线期间，该案卷已被改派。', en: 'Reassigned while you were offline.' },
        },
      },
    }));
    const actions = useWorkerActionsStore();
    actions.setOnline(false);
    await actions.attach(outbox, unusedTransport);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
    document.documentElement.className = '';
  });

  const mountApp = () => mount(WorkerApp, { global: { plugins: [pinia] } });

  async function signIn(): Promise<void> {
    stubApi({
      'GET /api/v1/auth/me': () => respond(workerSession()),
      'GET /api/v1/me/work-orders': () => respond({ items: [] }),
    });
    await useAuthStore().check();
    await flushPromises();
  }

  it('shows the sign-in view while signed out', async () => {
    stubApi({ 'GET /api/v1/auth/me': () => respond(apiError('unauthorized', 'no session'), 401) });
    const w = mountApp();
    await useAuthStore().check();
    await flushPromises();

    expect(w.find('[data-test="login"]').exists()).toBe(true);
    expect(w.find('[data-test="worker-app"]').exists()).toBe(false);
  });

  it('shows who is signed in, that the phone is offline, and how much waits to sync', async () => {
    const w = mountApp();
    await signIn();
    useTasksStore().applyServer(workOrder('wo-1'));
    await useWorkerActionsStore().accept('wo-1');
    await flushPromises();

    expect(w.get('[data-test="worker-name"]').text()).toBe('李网格');
    expect(w.get('[data-test="online"]').text()).toBe('离线');
    expect(w.get('[data-test="queued"]').text()).toBe('待同步 1');
    expect(document.documentElement.classList.contains('worker-app')).toBe(true);
  });

  it('switches between the list, a task and the patrol form', async () => {
    const w = mountApp();
    await signIn();
    useTasksStore().applyServer(workOrder('wo-1'));
    await flushPromises();

    await w.get('[data-test="task-wo-1"]').trigger('click');
    expect(w.find('[data-test="detail-title"]').exists()).toBe(true);
    await w.get('[data-test="back"]').trigger('click');
    await w.get('[data-test="open-patrol"]').trigger('click');
    expect(w.find('[data-test="patrol-form"]').exists()).toBe(true);
    await w.get('[data-test="back"]').trigger('click');
    expect(w.find('[data-test="task-wo-1"]').exists()).toBe(true);
  });

  it('explains a refused action and drops it from the queue once read', async () => {
    const w = mountApp();
    await signIn();
    useTasksStore().applyServer(workOrder('wo-1'));
    const actions = useWorkerActionsStore();
    await actions.accept('wo-1');
    actions.setOnline(true);
    await actions.flush();
    await flushPromises();

    expect(w.get('[data-test="notice"]').text()).toContain('您离线期间，该案卷已被改派。');
    await w.get('[data-test="notice-dismiss"]').trigger('click');
    await flushPromises();

    expect(w.find('[data-test="notice"]').exists()).toBe(false);
    expect(outbox.entries).toEqual([]);
  });

  it('tells an account without a roster entry that it has no tasks', async () => {
    stubApi({ 'GET /api/v1/auth/me': () => respond(workerSession(null)) });
    const w = mountApp();
    await useAuthStore().check();
    await flushPromises();
    expect(w.find('[data-test="not-worker"]').exists()).toBe(true);
  });
});
