// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useCityStore } from '../../../../client/src/features/city/city.store';
import ScopeSelector from '../../../../client/src/features/scope/ScopeSelector.vue';
import { useScopeStore } from '../../../../client/src/features/scope/scope.store';
import { useTourStore } from '../../../../client/src/features/scope/tour.store';

describe('ScopeSelector', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    useCityStore().districts = [
      { id: '330102', name: { zh: '上城区', en: 'Shangcheng' } },
      { id: '330106', name: { zh: '西湖区', en: 'Xihu' } },
    ];
  });
  afterEach(() => useTourStore().stop());

  it('starts and stops the tour with its button, pressed while touring', async () => {
    const w = mount(ScopeSelector);
    const button = w.get('[data-test="tour"]');
    expect(button.text()).toBe('巡游');
    await button.trigger('click');
    expect(useTourStore().running).toBe(true);
    expect(button.attributes('aria-pressed')).toBe('true');
    expect(button.text()).toBe('停止巡游');
    await button.trigger('click');
    expect(useTourStore().running).toBe(false);
  });

  it('ends the tour when the operator picks a scope by hand', async () => {
    const select = vi.spyOn(useScopeStore(), 'select').mockResolvedValue();
    const w = mount(ScopeSelector);
    useTourStore().start();
    await w.get('[data-test="scope"]').setValue('330106');
    expect(select).toHaveBeenCalledWith({ kind: 'district', id: '330106' });
    expect(useTourStore().running).toBe(false);
  });
});
