import { describe, expect, it } from 'vitest';
import { en, translate, zh } from '../../../client/src/i18n/messages';
import type { MessageKey } from '../../../client/src/i18n/messages';

describe('translate', () => {
  it('returns the Chinese string in zh', () => {
    expect(translate('zh', 'app.platform')).toBe('城市运行一网统管');
  });

  it('returns the English string in en', () => {
    expect(translate('en', 'conn.reconnecting')).toBe('Reconnecting');
  });

  it('falls back to Chinese for a key English lacks', () => {
    const key = 'kind.traffic' satisfies MessageKey;
    const saved = en[key];
    delete en[key];
    try {
      expect(translate('en', key)).toBe('交通');
    } finally {
      en[key] = saved;
    }
  });

  it('fills placeholders and leaves unknown ones as written', () => {
    expect(translate('zh', 'fresh.seconds', { n: 3 })).toBe('数据 3 秒前');
    expect(translate('en', 'fresh.seconds', { n: 3 })).toBe('Data 3 s ago');
    expect(translate('zh', 'fresh.seconds', { m: 3 })).toBe('数据 {n} 秒前');
  });

  it('has an English string for every Chinese one today', () => {
    const missing = (Object.keys(zh) as MessageKey[]).filter((k) => en[k] === undefined);
    expect(missing).toEqual([]);
  });
});
