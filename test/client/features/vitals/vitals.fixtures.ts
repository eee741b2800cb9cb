import type { AqiPollutant } from '@shared/domain/aqi';
import type {
  AlertHour,
  CityVitals,
  DistrictAir,
  GridEventCategory,
  RoadCongestion,
  VitalsScope,
} from '@shared/schemas/vitals.schema';
import { CityVitalsSchema } from '@shared/schemas/vitals.schema';
import { T0 } from '../../live.fixtures';

export { T0 };

const HOUR_MS = 3_600_000;

/** The 24 Asia/Shanghai hours ending with the one holding `at` (China has no DST: hours start on UTC hours). */
export function alertHours(
  at: number = T0,
  counts: Partial<Record<number, Partial<AlertHour['bySeverity']>>> = {},
): AlertHour[] {
  const current = Math.floor(at / HOUR_MS) * HOUR_MS;
  return Array.from({ length: 24 }, (_, i) => {
    const hourStart = current - (23 - i) * HOUR_MS;
    const local = new Date(hourStart + 8 * HOUR_MS).toISOString();
    const bySeverity = { red: 0, orange: 0, yellow: 0, blue: 0, ...counts[i] };
    return {
      hourStart,
      label: `${local.slice(11, 13)}:00`,
      day: local.slice(0, 10),
      total: bySeverity.red + bySeverity.orange + bySeverity.yellow + bySeverity.blue,
      bySeverity,
    };
  });
}

export function road(id: string, tpi: number, overrides: Partial<RoadCongestion> = {}): RoadCongestion {
  return {
    roadId: id,
    name: { zh: `道路${id}`, en: `Road ${id}` },
    class: 'arterial',
    tpi,
    state: { id: 'moderate', zh: '中度拥堵', en: 'Moderate', color: '#d73027' },
    speedKmh: 21.5,
    detectors: 2,
    ...overrides,
  };
}

export function districtAir(id: string, aqi: number | null, primary: AqiPollutant[] = []): DistrictAir {
  return {
    districtId: id,
    name: { zh: `区${id}`, en: `District ${id}` },
    aqi:
      aqi === null
        ? null
        : {
            aqi,
            level: aqi > 100 ? 3 : aqi > 50 ? 2 : 1,
            category:
              aqi > 100
                ? { zh: '轻度污染', en: 'Lightly polluted' }
                : aqi > 50
                  ? { zh: '良', en: 'Moderate' }
                  : { zh: '优', en: 'Excellent' },
            color: aqi > 100 ? '#ff7e00' : aqi > 50 ? '#ffff00' : '#00e400',
            primaryPollutants: primary,
            stations: 2,
          },
  };
}

export function gridCategory(
  subtype: GridEventCategory['subtype'],
  overrides: Partial<GridEventCategory> = {},
): GridEventCategory {
  const names: Record<GridEventCategory['subtype'], [string, string]> = {
    manhole: ['井盖', 'Manhole cover'],
    waterlogging: ['道路积水', 'Waterlogging'],
    streetlight: ['路灯', 'Streetlight'],
    feeder: ['供电设施', 'Power feeder'],
    smoke: ['火情烟雾', 'Smoke or fire'],
    'waste-bin': ['垃圾箱', 'Waste bin'],
  };
  const [zh, en] = names[subtype];
  return {
    subtype,
    name: { zh, en },
    sensors: 10,
    openAlerts: 0,
    bySeverity: { red: 0, orange: 0, yellow: 0, blue: 0 },
    deviceFaults: 0,
    ...overrides,
  };
}

const counts = { total: 0, online: 0 };

/** City vitals at `T0`, valid under the contract's schema (parsed, so a fixture cannot drift from it). */
export function vitals(
  overrides: Partial<CityVitals> = {},
  scope: VitalsScope = { kind: 'city' },
): CityVitals {
  return CityVitalsSchema.parse({
    v: 'v1',
    scope,
    at: T0,
    sensors: {
      total: 4,
      online: 3,
      onlinePct: 75,
      byKind: { traffic: counts, air: counts, weather: counts, 'grid-event': counts },
    },
    readingsPerSec: 120.5,
    alerts: { open: 2, bySeverity: { red: 1, orange: 1, yellow: 0, blue: 0 }, muted: 0 },
    workOrders: { open: 0, byState: {}, overdue: 0 },
    traffic: {
      index: {
        tpi: 4.2,
        state: { id: 'light', zh: '轻度拥堵', en: 'Light', color: '#fee08b' },
        detectors: 12,
      },
      topRoads: [road('r1', 6.1)],
    },
    air: {
      standard: 'HJ633-2026',
      index: districtAir('330106', 78, ['pm25']).aqi,
      districts: [districtAir('330106', 78, ['pm25'])],
    },
    gridEvents: [gridCategory('manhole')],
    alertTimeline: alertHours(),
    trend: [{ t: T0 - 60_000, tpi: 4.1, aqi: 77 }],
    ...overrides,
  });
}
