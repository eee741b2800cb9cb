import { describe, expect, it } from 'vitest';
import { DESIGN_HEIGHT, DESIGN_WIDTH, fitStage } from '../../../../client/src/features/wall/stageFit';

describe('fitStage', () => {
  it('fills a 16:9 window exactly, with no bars', () => {
    expect(fitStage(1920, 1080)).toEqual({ scale: 1, width: 1920, height: 1080, offsetX: 0, offsetY: 0 });
    expect(fitStage(3840, 2160)).toEqual({ scale: 2, width: 3840, height: 2160, offsetX: 0, offsetY: 0 });
  });

  it('letterboxes a 4:3 window with bars above and below', () => {
    const fit = fitStage(1600, 1200);
    expect(fit.scale).toBeCloseTo(1600 / 1920, 10);
    expect(fit.width).toBeCloseTo(1600, 10);
    expect(fit.height).toBeCloseTo(900, 10);
    expect(fit).toMatchObject({ offsetX: 0, offsetY: 150 });
  });

  it('pillarboxes a 32:9 window with bars left and right', () => {
    const fit = fitStage(5120, 1440);
    expect(fit.scale).toBeCloseTo(1440 / 1080, 10);
    expect(fit.width).toBeCloseTo(2560, 10);
    expect(fit.height).toBeCloseTo(1440, 10);
    expect(fit).toMatchObject({ offsetX: 1280, offsetY: 0 });
  });

  it('shrinks into a tiny window without stretching, keeping the design aspect', () => {
    const fit = fitStage(320, 240);
    expect(fit.scale).toBeCloseTo(1 / 6, 10);
    expect(fit.width / fit.height).toBeCloseTo(DESIGN_WIDTH / DESIGN_HEIGHT, 10);
    expect(fit).toMatchObject({ offsetX: 0, offsetY: 30 });
  });

  it('puts the stage on whole pixels when the bars do not split evenly', () => {
    const fit = fitStage(1366, 769);
    expect(Number.isInteger(fit.offsetX)).toBe(true);
    expect(Number.isInteger(fit.offsetY)).toBe(true);
    expect(fit.offsetX + fit.width).toBeLessThanOrEqual(1366);
    expect(fit.offsetY + fit.height).toBeLessThanOrEqual(769);
  });

  it('gives a window without an area scale 0 rather than NaN', () => {
    expect(fitStage(0, 0)).toEqual({ scale: 0, width: 0, height: 0, offsetX: 0, offsetY: 0 });
    expect(fitStage(-5, 100).scale).toBe(0);
    expect(fitStage(Number.NaN, 1080).scale).toBe(0);
  });
});
