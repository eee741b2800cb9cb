import { describe, expect, it } from 'vitest';
import { LatestValues } from '../../../server/src/services/latest.service';
import type { Reading } from '../../../shared/schemas/reading.schema';

const T0 = Date.parse('2026-11-21T08:00:00Z');

const reading = (
  observedAt: number,
  values: Record<string, number>,
  quality?: Reading['quality'],
): Reading => ({
  sensorId: 'TRF-1',
  observedAt,
  values,
  ...(quality ? { quality } : {}),
});

describe('LatestValues', () => {
  it('knows nothing about a sensor before its first reading', () => {
    const latest = new LatestValues();
    expect(latest.get('TRF-1')).toBeUndefined();
    expect(latest.forSensors(['TRF-1'])).toEqual([]);
    expect(latest.newestObservedAt()).toBeNull();
  });

  it('merges metrics reported in separate readings, each with its newest value', () => {
    const latest = new LatestValues();
    latest.apply(reading(T0, { speed: 40, volume: 900 }));
    latest.apply(reading(T0 + 1000, { occupancy: 0.3 }));
    latest.apply(reading(T0 + 2000, { speed: 35 }));
    expect(latest.get('TRF-1')).toEqual({
      sensorId: 'TRF-1',
      observedAt: T0 + 2000,
      values: { speed: 35, volume: 900, occupancy: 0.3 },
    });
  });

  it('keeps a newer value when a late reading arrives, and takes only the metrics it has nothing newer for', () => {
    const latest = new LatestValues();
    latest.apply(reading(T0 + 5000, { speed: 30 }, 'good'));
    latest.apply(reading(T0, { speed: 99, volume: 700 }, 'suspect'));
    expect(latest.get('TRF-1')).toEqual({
      sensorId: 'TRF-1',
      observedAt: T0 + 5000,
      values: { speed: 30, volume: 700 },
      quality: 'good',
    });
  });

  it('takes the value of a second reading at the same time (a corrected retransmission)', () => {
    const latest = new LatestValues();
    latest.apply(reading(T0, { speed: 30 }));
    latest.apply(reading(T0, { speed: 31 }));
    expect(latest.get('TRF-1')?.values).toEqual({ speed: 31 });
  });

  it('follows the quality flag of the newest reading, dropping it when the newest has none', () => {
    const latest = new LatestValues();
    latest.apply(reading(T0, { speed: 30 }, 'suspect'));
    expect(latest.get('TRF-1')?.quality).toBe('suspect');
    latest.apply(reading(T0 + 1000, { speed: 31 }));
    expect(latest.get('TRF-1')).not.toHaveProperty('quality');
  });

  it('hands out copies that do not change what it holds', () => {
    const latest = new LatestValues();
    latest.apply(reading(T0, { speed: 30 }));
    const copy = latest.get('TRF-1');
    if (copy) copy.values['speed'] = 0;
    expect(latest.get('TRF-1')?.values).toEqual({ speed: 30 });
  });

  it('lists the sensors that reported, in the order asked, skipping the silent ones', () => {
    const latest = new LatestValues();
    latest.apply({ sensorId: 'AQ-1', observedAt: T0, values: { pm25: 12 } });
    latest.apply(reading(T0 + 1000, { speed: 30 }));
    expect(latest.forSensors(['TRF-1', 'SILENT', 'AQ-1']).map((r) => r.sensorId)).toEqual(['TRF-1', 'AQ-1']);
    expect(latest.newestObservedAt()).toBe(T0 + 1000);
  });

  it('warms from stored rows without letting them overwrite newer values', () => {
    const latest = new LatestValues();
    latest.apply(reading(T0 + 1000, { speed: 30 }));
    latest.warm([
      { sensorId: 'TRF-1', observedAt: T0, values: { speed: 10, volume: 600 }, quality: 'bad' },
      { sensorId: 'AQ-1', observedAt: T0, values: { pm25: 12 } },
    ]);
    expect(latest.get('TRF-1')).toEqual({
      sensorId: 'TRF-1',
      observedAt: T0 + 1000,
      values: { speed: 30, volume: 600 },
    });
    expect(latest.get('AQ-1')).toEqual({ sensorId: 'AQ-1', observedAt: T0, values: { pm25: 12 } });
  });
});
