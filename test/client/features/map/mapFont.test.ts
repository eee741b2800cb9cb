// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import {
  mapFontFaces,
  pageFontFaceDeclarations,
  srcUrl,
  type FontFaceDeclaration,
} from '../../../../client/src/features/map/mapFont';

const BASE = 'http://wall.local:8080/';

function decl(over: Partial<FontFaceDeclaration> = {}): FontFaceDeclaration {
  return {
    family: '"Noto Sans SC"',
    weight: '400',
    style: 'normal',
    src: 'url("/assets/noto-sans-sc-4-400-normal-Ab1.woff2") format("woff2"), url("/assets/noto-sans-sc-4-400-normal-Cd2.woff") format("woff")',
    unicodeRange: 'U+1F1E9-1F1F5, U+4E00, U+3002',
    ...over,
  };
}

describe('srcUrl', () => {
  it('prefers the WOFF2 file whatever its position, resolved against the page', () => {
    expect(srcUrl('url(a.woff) format("woff"), url(b.woff2) format("woff2")', BASE)).toBe(
      'http://wall.local:8080/b.woff2',
    );
  });

  it('takes the first URL when none is WOFF2, and null when there is none', () => {
    expect(srcUrl("url('./x.ttf') format('truetype'), url(y.otf)", BASE)).toBe(
      'http://wall.local:8080/x.ttf',
    );
    expect(srcUrl('local("Noto Sans SC")', BASE)).toBeNull();
  });
});

describe('mapFontFaces', () => {
  it('lists one face per Noto Sans SC Regular subset with its ranges split', () => {
    expect(mapFontFaces([decl()], BASE)).toEqual([
      {
        url: 'http://wall.local:8080/assets/noto-sans-sc-4-400-normal-Ab1.woff2',
        'unicode-range': ['U+1F1E9-1F1F5', 'U+4E00', 'U+3002'],
      },
    ]);
  });

  it('leaves out other families, weights and italic faces', () => {
    const faces = mapFontFaces(
      [
        decl({ family: 'Inter' }),
        decl({ weight: '700' }),
        decl({ style: 'italic' }),
        decl({ src: 'url(/assets/keep.woff2) format("woff2")', weight: 'normal' }),
      ],
      BASE,
    );
    expect(faces.map((f) => f.url)).toEqual(['http://wall.local:8080/assets/keep.woff2']);
  });

  it('keeps a face without ranges as covering every codepoint, and skips one without a file', () => {
    expect(mapFontFaces([decl({ unicodeRange: '' }), decl({ src: 'local(x)' })], BASE)).toEqual([
      { url: 'http://wall.local:8080/assets/noto-sans-sc-4-400-normal-Ab1.woff2' },
    ]);
  });
});

describe('pageFontFaceDeclarations', () => {
  it("reads the page's @font-face rules, nested ones included", () => {
    const style = document.createElement('style');
    style.textContent = `
      @font-face { font-family: 'Noto Sans SC'; font-weight: 400; font-style: normal;
        src: url(/assets/sc-1.woff2) format('woff2'); unicode-range: U+4E00-4E0F; }
      @media screen { @font-face { font-family: 'Other'; src: url(/o.woff2); } }
      body { color: red; }`;
    document.head.append(style);
    try {
      const found = pageFontFaceDeclarations();
      const families = found.map((d) => d.family.replace(/["']/g, ''));
      expect(families).toContain('Noto Sans SC');
      expect(families).toContain('Other');
      const sc = found.find((d) => d.family.includes('Noto'));
      expect(sc?.src).toContain('/assets/sc-1.woff2');
    } finally {
      style.remove();
    }
  });
});
