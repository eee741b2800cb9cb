import { describe, expect, it } from 'vitest';
import { alertPlace, newestAlerts, raisedAt } from '../../../../client/src/features/wall/alertFeedRows';
import { alert, T0 } from '../../live.fixtures';

const names = {
  district: (id: string) => (id === '330106' ? '西湖区' : undefined),
  sensor: (id: string) => (id === 'AQ-001' ? '西溪空气站' : undefined),
};

describe('raisedAt', () => {
  it('is when the alert fired, or when its condition began while pending', () => {
    expect(raisedAt(alert('a', { startsAt: T0 - 60_000, firingAt: T0 }))).toBe(T0);
    expect(raisedAt(alert('a', { startsAt: T0 - 60_000, state: 'pending' }))).toBe(T0 - 60_000);
  });
});

describe('newestAlerts', () => {
  it('keeps the most recently raised first, at most the limit', () => {
    const alerts = [3, 9, 1, 7, 5].map((m) => alert(`a${m}`, { startsAt: T0 + m * 60_000 }));
    expect(newestAlerts(alerts, 3).map((a) => a.id)).toEqual(['a9', 'a7', 'a5']);
    expect(newestAlerts(alerts, 10).map((a) => a.id)).toEqual(['a9', 'a7', 'a5', 'a3', 'a1']);
  });

  it('gives the same order as sorting everything, for a thousand alerts', () => {
    const alerts = Array.from({ length: 1000 }, (_, i) =>
      alert(`al-${String(i).padStart(4, '0')}`, { startsAt: T0 + ((i * 7919) % 600) * 1000 }),
    );
    const sorted = [...alerts].sort((a, b) => b.startsAt - a.startsAt || a.id.localeCompare(b.id));
    expect(newestAlerts(alerts, 16)).toEqual(sorted.slice(0, 16));
  });

  it('orders equal times by id so rows never swap places between redraws', () => {
    const alerts = ['c', 'a', 'b'].map((id) => alert(id, { startsAt: T0 }));
    expect(newestAlerts(alerts, 3).map((a) => a.id)).toEqual(['a', 'b', 'c']);
  });

  it('leaves muted (silenced or inhibited) alerts off the feed', () => {
    const alerts = [
      alert('loud', { startsAt: T0 }),
      alert('muted', { startsAt: T0 + 1, suppressed: { by: 'silence', id: 's1', reason: '维护' } }),
    ];
    expect(newestAlerts(alerts, 5).map((a) => a.id)).toEqual(['loud']);
  });

  it('returns nothing for no alerts or no rows', () => {
    expect(newestAlerts([], 5)).toEqual([]);
    expect(newestAlerts([alert('a')], 0)).toEqual([]);
  });
});

describe('alertPlace', () => {
  it('names the district and the sensor that raised it', () => {
    const a = alert('a', { districtId: '330106', subject: { type: 'sensor', id: 'AQ-001' } });
    expect(alertPlace(a, names)).toBe('西湖区 · 西溪空气站');
  });

  it('falls back to codes it cannot name', () => {
    const a = alert('a', { districtId: '330102', subject: { type: 'sensor', id: 'TRF-9' } });
    expect(alertPlace(a, names)).toBe('330102 · TRF-9');
  });

  it('names an area alert by its district and its cell or area code', () => {
    expect(
      alertPlace(
        alert('a', { districtId: '330106', subject: { type: 'cell', id: '330106001001001' } }),
        names,
      ),
    ).toBe('西湖区 · 330106001001001');
    expect(alertPlace(alert('a', { subject: { type: 'district', id: '330106' } }), names)).toBe('西湖区');
  });

  it('says nothing rather than a stray separator when it knows only one part', () => {
    expect(alertPlace(alert('a', { subject: { type: 'sensor', id: 'AQ-001' } }), names)).toBe('西溪空气站');
  });
});
