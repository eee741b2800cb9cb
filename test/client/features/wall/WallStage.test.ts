// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import WallStage from '../../../../client/src/features/wall/WallStage.vue';
import { useRemPx } from '../../../../client/src/features/wall/stageFit';

/** Resize the emulated window as a browser would, resize event included. */
function resizeWindow(width: number, height: number): void {
  Object.defineProperty(window, 'innerWidth', { configurable: true, value: width });
  Object.defineProperty(window, 'innerHeight', { configurable: true, value: height });
  window.dispatchEvent(new Event('resize'));
}

// A panel inside the stage, reading the px per rem its charts size text with.
const Probe = defineComponent({
  setup() {
    const remPx = useRemPx();
    return () => h('span', { 'data-test': 'probe' }, String(remPx.value));
  },
});

describe('WallStage', () => {
  beforeEach(() => {
    document.documentElement.style.fontSize = '';
    resizeWindow(1920, 1080);
  });
  afterEach(() => {
    document.documentElement.style.fontSize = '';
  });

  const mountStage = () => mount(WallStage, { slots: { default: () => h(Probe) }, attachTo: document.body });

  it('lays the wall out at 18 px per rem on a 1920×1080 window, with no bars', () => {
    const w = mountStage();
    const stage = w.get('[data-test="wall-stage"]');
    expect(document.documentElement.style.fontSize).toBe('18px');
    expect(stage.attributes('style')).toContain('width: 1920px');
    expect(stage.attributes('style')).toContain('height: 1080px');
    expect(stage.attributes('style')).toContain('left: 0px');
    expect(w.get('[data-test="probe"]').text()).toBe('18');
    w.unmount();
  });

  it('scales and letterboxes when the window changes, and tells the charts', async () => {
    const w = mountStage();
    resizeWindow(1280, 1024);
    await w.vm.$nextTick();

    const stage = w.get('[data-test="wall-stage"]');
    expect(document.documentElement.style.fontSize).toBe('12px');
    expect(stage.attributes('style')).toContain('width: 1280px');
    expect(stage.attributes('style')).toContain('height: 720px');
    expect(stage.attributes('style')).toContain('top: 152px');
    expect(stage.attributes('data-scale')).toBe('0.6667');
    expect(w.get('[data-test="probe"]').text()).toBe('12');
    w.unmount();
  });

  it('gives the page its own root size back when the wall goes (sign-out shows the fluid sign-in form)', async () => {
    document.documentElement.style.fontSize = '15px';
    const w = mountStage();
    expect(document.documentElement.style.fontSize).toBe('18px');

    w.unmount();
    resizeWindow(800, 600);

    expect(document.documentElement.style.fontSize).toBe('15px');
  });

  it('outside the stage (the fluid console), sizes chart text by the root font, read again on resize', async () => {
    document.documentElement.style.fontSize = '16px';
    const w = mount(Probe);
    expect(w.text()).toBe('16');

    document.documentElement.style.fontSize = '24px';
    resizeWindow(2560, 1440);
    await w.vm.$nextTick();

    expect(w.text()).toBe('24');
    w.unmount();
  });
});
