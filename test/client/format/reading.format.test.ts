import { describe, expect, it } from 'vitest';
import {
  formatCompactCount,
  formatCount,
  formatMeasure,
  formatReadingValues,
} from '../../../client/src/format/reading.format';

describe('reading formatting', () => {
  it('labels values with catalog names and units', () => {
    expect(formatReadingValues({ speed: 42.46, pm25: 135 }, 'zh')).toEqual([
      { metric: 'speed', label: '车速', value: '42.5', unit: 'km/h' },
      { metric: 'pm25', label: 'PM2.5', value: '135', unit: 'µg/m³' },
    ]);
    expect(formatReadingValues({ temperature: 3.456 }, 'en')).toEqual([
      { metric: 'temperature', label: 'Temperature', value: '3.46', unit: '°C' },
    ]);
  });

  it('shows a ratio as a percentage and a flag as on or off', () => {
    expect(formatReadingValues({ occupancy: 0.35, lampOn: 1, lampFault: 0 }, 'zh')).toEqual([
      { metric: 'occupancy', label: '占有率', value: '35', unit: '%' },
      { metric: 'lampOn', label: '路灯亮灯', value: '是', unit: '' },
      { metric: 'lampFault', label: '路灯故障', value: '否', unit: '' },
    ]);
  });

  it('shows a metric the catalog does not know by its id, without unit', () => {
    expect(formatReadingValues({ foo: 1.5 }, 'en')).toEqual([
      { metric: 'foo', label: 'foo', value: '1.5', unit: '' },
    ]);
  });

  it('groups thousands in counters', () => {
    expect(formatCount(1234567, 'en')).toBe('1,234,567');
    expect(formatMeasure(1250.4, 'zh')).toBe('1,250');
  });
});

describe('formatCompactCount', () => {
  it('keeps counts below ten thousand exact', () => {
    expect(formatCompactCount(9_999, 'zh')).toBe('9,999');
    expect(formatCompactCount(600, 'en')).toBe('600');
  });

  it('shortens larger counts the way each language reads them', () => {
    expect(formatCompactCount(36_721, 'zh')).toBe('3.7万');
    expect(formatCompactCount(12_345_678, 'zh')).toBe('1234.6万');
    expect(formatCompactCount(36_721, 'en')).toBe('36.7K');
    expect(formatCompactCount(12_345_678, 'en')).toBe('12.3M');
  });
});
