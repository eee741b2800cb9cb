// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { Pinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useAuthStore } from '../../../../client/src/features/auth/auth.store';
import PatrolReport from '../../../../client/src/features/worker/PatrolReport.vue';
import { useWorkerPositionStore } from '../../../../client/src/features/worker/position.store';
import { useWorkerActionsStore } from '../../../../client/src/features/worker/workerActions.store';
import { respond, stubApi } from '../../auth.fixtures';
import { FakeOutbox, T0, unusedTransport, workerSession } from './worker.fixtures';

describe('PatrolReport', () => {
  let pinia: Pinia;
  let outbox: FakeOutbox;

  beforeEach(async () => {
    pinia = createPinia();
    setActivePinia(pinia);
    stubApi({ 'GET /api/v1/auth/me': () => respond(workerSession()) });
    await useAuthStore().check();
    outbox = new FakeOutbox();
    const actions = useWorkerActionsStore();
    actions.setOnline(false);
    await actions.attach(outbox, unusedTransport);
  });
  afterEach(() => vi.unstubAllGlobals());

  const mountForm = () => mount(PatrolReport, { global: { plugins: [pinia] } });

  it('offers every case category, grouped by class', () => {
    const w = mountForm();
    expect(w.findAll('[data-test="category"] option:not([disabled])')).toHaveLength(12);
    expect(w.findAll('[data-test="category"] optgroup').map((g) => g.attributes('label'))).toContain(
      '市容环境',
    );
  });

  it('says what is missing and queues nothing without category, title and position', async () => {
    const w = mountForm();
    expect(w.find('[data-test="patrol-problems"]').exists()).toBe(false);

    await w.get('[data-test="patrol-submit"]').trigger('click');
    await flushPromises();

    expect(w.findAll('[data-test="patrol-problems"] li').map((li) => li.text())).toEqual([
      '请选择问题类别',
      '请填写标题',
      '需要当前位置才能上报，请等待定位',
    ]);
    expect(outbox.entries).toEqual([]);
    expect(w.emitted('close')).toBeUndefined();
  });

  it('needs the current position even when the form is filled in', async () => {
    const w = mountForm();
    await w.get('[data-test="category"]').setValue('event.city-appearance.litter');
    await w.get('[data-test="title"]').setValue('路边暴露垃圾');

    await w.get('[data-test="patrol-submit"]').trigger('click');
    await flushPromises();

    expect(w.findAll('[data-test="patrol-problems"] li').map((li) => li.text())).toEqual([
      '需要当前位置才能上报，请等待定位',
    ]);
    expect(outbox.entries).toEqual([]);
  });

  it('treats a title of spaces as missing', async () => {
    useWorkerPositionStore().setFix({ location: [120.16, 30.27], accuracyM: 6, at: T0 });
    const w = mountForm();
    await w.get('[data-test="category"]').setValue('event.city-appearance.litter');
    await w.get('[data-test="title"]').setValue('   ');

    await w.get('[data-test="patrol-submit"]').trigger('click');
    await flushPromises();

    expect(w.findAll('[data-test="patrol-problems"] li').map((li) => li.text())).toEqual(['请填写标题']);
  });

  it('queues the report at the current position and closes', async () => {
    useWorkerPositionStore().setFix({ location: [120.16, 30.27], accuracyM: 6, at: T0 });
    const w = mountForm();
    expect(w.get('[data-test="position"]').text()).toBe('当前位置 120.16000, 30.27000（±6 米）');
    await w.get('[data-test="category"]').setValue('event.city-appearance.litter');
    await w.get('[data-test="title"]').setValue('路边暴露垃圾');
    await w.get('[data-test="description"]').setValue('约两袋');

    await w.get('[data-test="patrol-submit"]').trigger('click');
    await flushPromises();

    expect(outbox.entries).toHaveLength(1);
    expect(outbox.entries[0]).toMatchObject({
      kind: 'create',
      body: {
        category: 'event.city-appearance.litter',
        title: '路边暴露垃圾',
        description: '约两袋',
        location: [120.16, 30.27],
        photoIds: [],
      },
    });
    expect(w.emitted('close')).toHaveLength(1);
  });
});
