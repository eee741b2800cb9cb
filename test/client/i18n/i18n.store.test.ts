import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { useI18nStore } from '../../../client/src/i18n/i18n.store';

describe('useI18nStore', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('starts in Chinese and toggles to English and back', () => {
    const i18n = useI18nStore();
    expect(i18n.locale).toBe('zh');
    expect(i18n.t('scope.city')).toBe('全市');
    i18n.toggle();
    expect(i18n.locale).toBe('en');
    expect(i18n.t('scope.city')).toBe('Whole city');
    i18n.toggle();
    expect(i18n.locale).toBe('zh');
  });

  it('picks the current-language half of a bilingual name', () => {
    const i18n = useI18nStore();
    const name = { zh: '西湖区', en: 'Xihu District' };
    expect(i18n.name(name)).toBe('西湖区');
    i18n.setLocale('en');
    expect(i18n.name(name)).toBe('Xihu District');
  });
});
