// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import CaseList from '../../../../../client/src/features/console/workOrders/CaseList.vue';
import { freshPiniaEachTest } from '../../../pinia.fixtures';
import { T0, workOrder } from './consoleWorkOrders.fixtures';

describe('CaseList', () => {
  const pinia = freshPiniaEachTest();

  const many = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      workOrder(`WO-${String(i).padStart(4, '0')}`, { createdAt: T0 - i * 1000 }),
    );
  const rows = (w: ReturnType<typeof mount>) => w.findAll('[data-test^="case-WO-"]');

  it('renders only the rows in view of a long list', () => {
    const w = mount(CaseList, {
      props: { items: many(2000), selectedId: null },
      global: { plugins: [pinia()] },
    });
    const shown = rows(w);
    expect(shown.length).toBeGreaterThan(10);
    expect(shown.length).toBeLessThan(100);
    expect(shown[0]!.attributes('data-test')).toBe('case-WO-0000');
    // The scroll area is as tall as the whole list, so the scrollbar tells the truth.
    expect(w.get('.spacer').attributes('style')).toContain('height: 5500rem');
  });

  it('renders the rows further down once scrolled there', async () => {
    const w = mount(CaseList, {
      props: { items: many(2000), selectedId: null },
      global: { plugins: [pinia()] },
    });
    const viewport = w.get('.viewport');
    // 44 px per row at the default 16 px root size: 1000 rows down.
    (viewport.element as HTMLElement).scrollTop = 44_000;
    await viewport.trigger('scroll');

    const ids = rows(w).map((r) => r.attributes('data-test'));
    expect(ids).toContain('case-WO-1000');
    expect(ids).not.toContain('case-WO-0000');
    expect(ids.length).toBeLessThan(100);
  });

  it('tells which case was picked and marks the selected one', async () => {
    const w = mount(CaseList, {
      props: { items: many(3), selectedId: 'WO-0001' },
      global: { plugins: [pinia()] },
    });
    expect(w.get('[data-test="case-WO-0001"]').attributes('aria-selected')).toBe('true');
    await w.get('[data-test="case-WO-0002"]').trigger('click');
    expect(w.emitted('select')).toEqual([['WO-0002']]);
  });
});
