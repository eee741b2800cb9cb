import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { I18nName } from '@shared/schemas/common.schema';
import { isLocale, translate } from './messages';
import type { Locale, MessageKey, MessageParams } from './messages';

const STORAGE_KEY = 'cityops.locale';

/**
 * Language of a wall is configured once (`?lang=en` in the kiosk URL) or by the
 * toggle, and survives reloads; Chinese otherwise.
 */
function initialLocale(): Locale {
  if (typeof window === 'undefined') return 'zh';
  const fromUrl = new URLSearchParams(window.location.search).get('lang');
  if (isLocale(fromUrl)) return fromUrl;
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    if (isLocale(stored)) return stored;
  } catch {
    // Storage may be disabled in kiosk browsers; the default is fine.
  }
  return 'zh';
}

/** UI language and string lookup. */
export const useI18nStore = defineStore('i18n', () => {
  /** Current UI language. */
  const locale = ref<Locale>(initialLocale());

  /** UI string for `key` in the current language (falls back to Chinese). */
  function t(key: MessageKey, params?: MessageParams): string {
    return translate(locale.value, key, params);
  }

  /** The current-language half of a bilingual name from the contract. */
  function name(value: I18nName): string {
    return locale.value === 'en' ? value.en : value.zh;
  }

  function setLocale(next: Locale): void {
    locale.value = next;
    if (typeof window === 'undefined') return;
    try {
      window.localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Not persisted; the choice still holds for this session.
    }
  }

  function toggle(): void {
    setLocale(locale.value === 'zh' ? 'en' : 'zh');
  }

  return { locale, t, name, setLocale, toggle };
});
