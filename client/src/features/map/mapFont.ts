/**
 * The map's Chinese font, without shipping a second copy of it.
 *
 * The page already declares Noto Sans SC Regular as ~100 WOFF2 subsets split by `unicode-range`
 * (`@fontsource/noto-sans-sc/400.css`, imported by main.ts; 3.7 MB in all, of which a wall draws a
 * few hundred kB). maplibre-gl's style `font-faces` takes the same shape — a list of files, each
 * with its Unicode ranges, fetched only once a codepoint it covers is drawn — so the map reads
 * those declarations from the page's own style sheets and the browser fetches (or finds in its
 * cache) exactly the subsets the labels need. Nothing here is bundled twice and no glyph server or
 * system font is involved.
 */

/** A `font-faces` entry of the style: one file and the codepoints it covers. */
export interface MapFontFace {
  url: string;
  /** CSS `unicode-range` entries (`U+4E00-9FFF`, `U+3002`…); absent = every codepoint. */
  'unicode-range'?: string[];
}

/** What the map needs of one CSS `@font-face` rule. */
export interface FontFaceDeclaration {
  family: string;
  weight: string;
  style: string;
  /** The rule's `src` value: `url(…) format('woff2'), url(…) format('woff')`. */
  src: string;
  /** The rule's `unicode-range` value, comma-separated; empty = every codepoint. */
  unicodeRange: string;
}

/** The family and face of the page's font the map draws with. */
export const MAP_FONT_FAMILY = 'Noto Sans SC';
const MAP_FONT_WEIGHT = '400';

const unquote = (s: string): string => s.trim().replace(/^(['"])(.*)\1$/, '$2');

/**
 * The first WOFF2 (else the first) URL of a CSS `src` value, resolved against `baseUrl`; null when
 * it names no URL (a `local()` only source).
 */
export function srcUrl(src: string, baseUrl: string): string | null {
  const entries = [
    ...src.matchAll(/url\(\s*(['"]?)([^'")]+)\1\s*\)\s*(?:format\(\s*(['"]?)([^'")]+)\3\s*\))?/g),
  ];
  const chosen = entries.find((m) => m[4] === 'woff2') ?? entries[0];
  return chosen?.[2] ? new URL(chosen[2], baseUrl).href : null;
}

/**
 * The `font-faces` list for {@link MAP_FONT_FAMILY} Regular among the page's `@font-face`
 * declarations: one entry per subset file with its Unicode ranges, in declaration order.
 */
export function mapFontFaces(declarations: readonly FontFaceDeclaration[], baseUrl: string): MapFontFace[] {
  const faces: MapFontFace[] = [];
  for (const d of declarations) {
    if (unquote(d.family) !== MAP_FONT_FAMILY) continue;
    if ((d.weight.trim() || '400') !== MAP_FONT_WEIGHT && d.weight.trim() !== 'normal') continue;
    if (d.style.trim() && d.style.trim() !== 'normal') continue;
    const url = srcUrl(d.src, baseUrl);
    if (!url) continue;
    const ranges = d.unicodeRange
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r.length > 0);
    faces.push(ranges.length > 0 ? { url, 'unicode-range': ranges } : { url });
  }
  return faces;
}

/** The `@font-face` declarations of the page's same-origin style sheets. */
export function pageFontFaceDeclarations(doc: Document = document): FontFaceDeclaration[] {
  const out: FontFaceDeclaration[] = [];
  const visit = (rules: CSSRuleList): void => {
    for (const rule of Array.from(rules)) {
      // Duck-typed rather than `instanceof CSSFontFaceRule`, which not every DOM implementation has.
      if ('style' in rule && rule.cssText.trimStart().startsWith('@font-face')) {
        const s = (rule as CSSFontFaceRule).style;
        out.push({
          family: s.getPropertyValue('font-family'),
          weight: s.getPropertyValue('font-weight'),
          style: s.getPropertyValue('font-style'),
          src: s.getPropertyValue('src'),
          unicodeRange: s.getPropertyValue('unicode-range'),
        });
      } else if ('cssRules' in rule) {
        visit((rule as CSSGroupingRule).cssRules);
      }
    }
  };
  for (const sheet of Array.from(doc.styleSheets)) {
    let rules: CSSRuleList;
    try {
      rules = sheet.cssRules;
    } catch {
      continue; // a cross-origin sheet (none of ours) hides its rules
    }
    visit(rules);
  }
  return out;
}
