import { SEVERITIES, type Severity } from '@shared/schemas/alert.schema';
import type { RoadClass } from '@shared/schemas/sensor.schema';
import { SEVERITY_COLORS } from '../../styles/severityColors';

/**
 * Every colour the map paints, as CSS colour strings. WebGL layers cannot read CSS variables, so
 * the map reads them once from the theme ({@link readPalette}); theme.css stays the one place the
 * wall's colours are defined.
 */
export interface MapPalette {
  background: string;
  /** Label text and its halo (the halo keeps labels readable over lines and fills). */
  text: string;
  textHalo: string;
  /** District fill (kept faint: live layers draw over it) and outline. */
  districtFill: string;
  districtLine: string;
  /** Grid-cell outline. */
  cellLine: string;
  road: Record<RoadClass, string>;
  /** 红/橙/黄/蓝 warning levels. */
  severity: Record<Severity, string>;
  /** Sensors and clusters with no open alert. */
  calm: string;
  /** Grid workers on patrol, and those dispatched to a case (with the line to its site). */
  worker: string;
  workerDispatched: string;
}

/** The theme's colours (client/src/styles/theme.css) for when the page has no theme loaded (tests). */
export const DEFAULT_PALETTE: MapPalette = {
  background: '#060b16',
  text: '#e6edf7',
  textHalo: '#060b16',
  districtFill: 'rgba(56, 189, 248, 0.06)',
  districtLine: '#38bdf8',
  cellLine: 'rgba(143, 163, 192, 0.35)',
  road: { expressway: '#f59e0b', arterial: '#c08a2e', secondary: '#5b6b84' },
  severity: { ...SEVERITY_COLORS },
  calm: '#38bdf8',
  worker: '#22c55e',
  workerDispatched: '#a78bfa',
};

/** Which CSS variable of the theme each palette colour comes from (colours not in the theme keep their default). */
const THEME_VARIABLES = {
  background: '--bg',
  text: '--text',
  textHalo: '--bg',
  districtLine: '--accent',
  calm: '--accent',
  worker: '--ok',
} as const satisfies Partial<Record<keyof MapPalette, string>>;

/**
 * The palette with the theme's CSS variables applied; `cssVariable` answers a variable's value
 * (`getComputedStyle(el).getPropertyValue`), or '' when it is not set.
 */
export function readPalette(cssVariable: (name: string) => string): MapPalette {
  const read = (name: string, fallback: string) => cssVariable(name).trim() || fallback;
  const palette: MapPalette = {
    ...DEFAULT_PALETTE,
    road: { ...DEFAULT_PALETTE.road },
    severity: { ...DEFAULT_PALETTE.severity },
  };
  for (const [key, variable] of Object.entries(THEME_VARIABLES) as [keyof typeof THEME_VARIABLES, string][])
    palette[key] = read(variable, DEFAULT_PALETTE[key]);
  for (const s of SEVERITIES) palette.severity[s] = read(`--sev-${s}`, DEFAULT_PALETTE.severity[s]);
  return palette;
}
