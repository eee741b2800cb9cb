import type { Severity } from '@shared/schemas/alert.schema';

/**
 * Warning colours (GB/T 19201 红/橙/黄/蓝), the same as the theme's `--sev-*` variables, for the
 * places CSS cannot reach: ECharts options and the map's WebGL layers.
 */
export const SEVERITY_COLORS: Readonly<Record<Severity, string>> = {
  red: '#ef4444',
  orange: '#f97316',
  yellow: '#eab308',
  blue: '#3b82f6',
};
