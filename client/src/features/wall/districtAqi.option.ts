import type { BarSeriesOption } from 'echarts/charts';
import type { GridComponentOption } from 'echarts/components';
import type { ComposeOption } from 'echarts/core';
import type { AqiPollutant, AqiStandard } from '@shared/domain/aqi';
import type { DistrictAir } from '@shared/schemas/vitals.schema';
import type { Locale } from '../../i18n/messages';
import { CHART_DIM, labelledGrid, rowNamesAxis, trackedBarSeries } from './chartStyle';

export type DistrictAqiOption = ComposeOption<BarSeriesOption | GridComponentOption>;

/** How a pollutant is written on the wall (chemical notation reads the same in both languages). */
export const POLLUTANT_LABELS: Readonly<Record<AqiPollutant, string>> = {
  pm25: 'PM2.5',
  pm10: 'PM10',
  so2: 'SO₂',
  no2: 'NO₂',
  co: 'CO',
  o3: 'O₃',
};

/** The AQI standard as people write it. */
export const STANDARD_LABELS: Readonly<Record<AqiStandard, string>> = {
  'HJ633-2026': 'HJ 633—2026',
  'HJ633-2012': 'HJ 633—2012',
  'US-EPA-2024': 'US EPA 2024',
};

/** 首要污染物 as one label: `PM2.5`, or ties joined (`PM2.5/O₃`); empty when AQI ≤ 50 (none). */
export function pollutantLabel(pollutants: readonly AqiPollutant[]): string {
  return pollutants.map((p) => POLLUTANT_LABELS[p]).join('/');
}

/** The AQI axis ends at the next multiple of 50 above the worst district, at least 100. */
export function aqiAxisMax(values: readonly number[]): number {
  const top = Math.max(0, ...values);
  return Math.max(100, Math.ceil((top + 1) / 50) * 50);
}

/**
 * AQI per district (HJ 633), one horizontal bar each in the server's (city pack's) order so a
 * district keeps its row: the bar coloured by the level colour the server sends, labelled with
 * the AQI, the category and the 首要污染物. A district whose stations have no fresh reading gets
 * no bar and says so (`noData`).
 */
export function buildDistrictAqiOption(
  districts: readonly DistrictAir[],
  locale: Locale,
  remPx: number,
  noData: string,
): DistrictAqiOption {
  const en = locale === 'en';
  const values = districts.flatMap((d) => (d.aqi ? [d.aqi.aqi] : []));
  return {
    animation: false,
    grid: labelledGrid({ left: 0.4, right: 8.2, top: 0.2, bottom: 0.2 }, remPx),
    xAxis: { type: 'value', min: 0, max: aqiAxisMax(values), show: false },
    yAxis: rowNamesAxis(
      districts.map((d) => (en ? d.name.en : d.name.zh)),
      0.85,
      remPx,
      6.5,
    ),
    series: [
      trackedBarSeries(
        districts.map((d) => {
          if (!d.aqi) return { value: 0, label: { formatter: noData, color: CHART_DIM } };
          const category = en ? d.aqi.category.en : d.aqi.category.zh;
          const primary = pollutantLabel(d.aqi.primaryPollutants);
          return {
            value: d.aqi.aqi,
            itemStyle: { color: d.aqi.color },
            label: {
              formatter: primary ? `${d.aqi.aqi} ${category} · ${primary}` : `${d.aqi.aqi} ${category}`,
            },
          };
        }),
        { barWidth: '62%', radius: 0.15, label: 0.85 },
        remPx,
      ),
    ],
  };
}
