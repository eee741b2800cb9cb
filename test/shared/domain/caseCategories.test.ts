import { describe, expect, it } from 'vitest';
import { CASE_CATEGORIES, SKILL_NAMES, WORKER_SKILLS, skillName } from '@shared/domain/caseCategories';
import { DEFAULT_CITY_PACK_DIR, loadCityPack } from '../../../server/src/cityPack/cityPack.loader';

describe('worker skill names', () => {
  it('names every skill in Chinese and English, neither being the id', () => {
    for (const skill of WORKER_SKILLS) {
      const name = SKILL_NAMES[skill];
      expect(name.zh, skill).toMatch(/\p{Script=Han}/u);
      expect(name.en, skill).not.toBe('');
      expect(name.zh, skill).not.toBe(skill);
    }
  });

  it('knows the skill of every case category and of every worker in the bundled city pack', () => {
    const needed = CASE_CATEGORIES.flatMap((c) => (c.skill ? [c.skill] : []));
    const held = loadCityPack(DEFAULT_CITY_PACK_DIR).workers.flatMap((w) => w.skills);
    expect(held.length).toBeGreaterThan(0);
    for (const skill of new Set([...needed, ...held]))
      expect(WORKER_SKILLS as readonly string[], skill).toContain(skill);
  });

  it('gives the name of a known skill and the id of an unknown one', () => {
    expect(skillName('smoke')).toEqual({ zh: '火情烟雾', en: 'smoke and fire' });
    expect(skillName('beekeeping')).toEqual({ zh: 'beekeeping', en: 'beekeeping' });
    expect(skillName('constructor')).toEqual({ zh: 'constructor', en: 'constructor' });
  });
});
