import { inject, onScopeDispose, ref } from 'vue';
import type { InjectionKey, Ref } from 'vue';

/** The wall is designed at exactly this size, CSS px. */
export const DESIGN_WIDTH = 1920;
export const DESIGN_HEIGHT = 1080;
/**
 * Root font size at the design size, px: 1 rem of the wall. Everything on the wall is sized in
 * rem, so scaling the root font size scales the whole wall.
 */
export const DESIGN_REM_PX = 18;

/** Where the stage sits in the window and how much it is scaled. */
export interface StageFit {
  /** Window px per design px: the larger scale at which the whole design still fits. */
  scale: number;
  /** Size of the scaled stage, px. */
  width: number;
  height: number;
  /** Left and top bars (letterbox), whole px so the stage starts on a pixel edge. */
  offsetX: number;
  offsetY: number;
}

/**
 * Fit the 1920×1080 design into a `viewportWidth`×`viewportHeight` window: scaled uniformly
 * (never stretched) as large as fits, centred, the rest left as bars. A window without an area
 * (hidden, zero-sized) gets scale 0.
 */
export function fitStage(
  viewportWidth: number,
  viewportHeight: number,
  designWidth: number = DESIGN_WIDTH,
  designHeight: number = DESIGN_HEIGHT,
): StageFit {
  const w = Number.isFinite(viewportWidth) ? Math.max(0, viewportWidth) : 0;
  const h = Number.isFinite(viewportHeight) ? Math.max(0, viewportHeight) : 0;
  const scale = Math.min(w / designWidth, h / designHeight);
  const width = designWidth * scale;
  const height = designHeight * scale;
  return {
    scale,
    width,
    height,
    offsetX: Math.floor((w - width) / 2),
    offsetY: Math.floor((h - height) / 2),
  };
}

/** The stage's rem in px, provided to the charts inside it (ECharts sizes its text in px). */
export const STAGE_REM_PX: InjectionKey<Readonly<Ref<number>>> = Symbol('wall.remPx');

function rootFontPx(): number {
  if (typeof document === 'undefined') return DESIGN_REM_PX;
  const px = Number.parseFloat(getComputedStyle(document.documentElement).fontSize);
  return Number.isFinite(px) && px > 0 ? px : DESIGN_REM_PX;
}

/**
 * Px per rem for chart text: the stage's on the wall; elsewhere (the console's fluid overview)
 * the root font size, read again when the window is resized (the theme ties it to the width).
 */
export function useRemPx(): Readonly<Ref<number>> {
  const staged = inject(STAGE_REM_PX, null);
  if (staged) return staged;
  const px = ref(rootFontPx());
  if (typeof window === 'undefined') return px;
  const update = (): void => {
    px.value = rootFontPx();
  };
  window.addEventListener('resize', update);
  onScopeDispose(() => window.removeEventListener('resize', update));
  return px;
}
