import { METRICS, isMetricId } from '@shared/metrics';
import { translate } from '../i18n/messages';
import type { Locale } from '../i18n/messages';

/** One metric of a reading, ready to print. */
export interface FormattedValue {
  /** Metric id as sent (`pm25`, `speed`, …). */
  metric: string;
  /** Metric name in the UI language; the id itself for a metric the catalog does not know. */
  label: string;
  /** Number (or on/off) formatted for the UI language. */
  value: string;
  /** Unit symbol to print after the value; empty when the value carries its own meaning. */
  unit: string;
}

const numberFormats = new Map<string, Intl.NumberFormat>();

function numberFormat(locale: Locale, fractionDigits: number): Intl.NumberFormat {
  const key = `${locale}|${fractionDigits}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale === 'zh' ? 'zh-CN' : 'en-US', { maximumFractionDigits: fractionDigits });
    numberFormats.set(key, f);
  }
  return f;
}

/** Grouped integer-ish number for counters (`1,234,567`). */
export function formatCount(value: number, locale: Locale): string {
  return numberFormat(locale, 0).format(value);
}

/** Counts from here on are shortened by {@link formatCompactCount}. */
export const COMPACT_FROM = 10_000;

const compactFormats = new Map<Locale, Intl.NumberFormat>();

/**
 * A counter for a narrow tile: exact below {@link COMPACT_FROM}, then shortened the way each
 * language reads large numbers — `3.7万`, `1,234万` in Chinese; `37K`, `12M` in English.
 */
export function formatCompactCount(value: number, locale: Locale): string {
  if (Math.abs(value) < COMPACT_FROM) return formatCount(value, locale);
  let f = compactFormats.get(locale);
  if (!f) {
    f = new Intl.NumberFormat(locale === 'zh' ? 'zh-CN' : 'en-US', {
      notation: 'compact',
      maximumFractionDigits: 1,
    });
    compactFormats.set(locale, f);
  }
  return f.format(value);
}

/** A measured value with as many decimals as its size deserves (0.42, 7.5, 1,250). */
export function formatMeasure(value: number, locale: Locale): string {
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return numberFormat(locale, digits).format(value);
}

/** The values of a reading in the order sent, with labels and units from the metric catalog. */
export function formatReadingValues(
  values: Readonly<Record<string, number>>,
  locale: Locale,
): FormattedValue[] {
  const out: FormattedValue[] = [];
  for (const [metric, raw] of Object.entries(values)) {
    if (!isMetricId(metric)) {
      out.push({ metric, label: metric, value: formatMeasure(raw, locale), unit: '' });
      continue;
    }
    const info = METRICS[metric];
    const label = locale === 'en' ? info.en : info.zh;
    if (info.unit === 'bool') {
      out.push({ metric, label, value: translate(locale, raw >= 0.5 ? 'value.on' : 'value.off'), unit: '' });
    } else if (info.unit === 'ratio') {
      // Occupancy 0.35 reads better on a wall as 35 %.
      out.push({ metric, label, value: formatMeasure(raw * 100, locale), unit: '%' });
    } else {
      out.push({ metric, label, value: formatMeasure(raw, locale), unit: info.unit });
    }
  }
  return out;
}
