import { describe, expect, it } from 'vitest';
import { DEFAULT_PALETTE, readPalette } from '../../../../client/src/features/map/palette';

describe('readPalette', () => {
  it("takes the wall's colours from the theme's CSS variables", () => {
    const theme: Record<string, string> = {
      '--bg': ' #000010',
      '--text': '#fafafa',
      '--accent': '#00ffff',
      '--ok': '#00ff00',
      '--sev-red': '#ff0000',
      '--sev-orange': '#ff8800',
      '--sev-yellow': '#ffff00',
      '--sev-blue': '#0000ff',
    };

    const p = readPalette((name) => theme[name] ?? '');

    expect(p.background).toBe('#000010');
    expect(p.textHalo).toBe('#000010');
    expect(p.text).toBe('#fafafa');
    expect(p.districtLine).toBe('#00ffff');
    expect(p.calm).toBe('#00ffff');
    expect(p.worker).toBe('#00ff00');
    expect(p.severity).toEqual({ red: '#ff0000', orange: '#ff8800', yellow: '#ffff00', blue: '#0000ff' });
  });

  it('keeps the defaults where the page has no theme', () => {
    expect(readPalette(() => '')).toEqual(DEFAULT_PALETTE);
  });

  it('leaves the defaults untouched', () => {
    readPalette((name) => (name === '--sev-red' ? '#123456' : ''));

    expect(DEFAULT_PALETTE.severity.red).toBe('#ef4444');
  });
});
