import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useCityStore } from '../../../../client/src/features/city/city.store';

const CITY = {
  id: 'hangzhou',
  name: { zh: '杭州市', en: 'Hangzhou' },
  adcode: '330100',
  center: [120.16, 30.27],
  zoom: 10,
  bbox: [118.3, 29.2, 120.7, 30.6],
  timezone: 'Asia/Shanghai',
  coordinateSystem: 'GCJ-02',
  sources: [{ what: 'districts', name: 'x', licence: 'y' }],
  cellSizeM: 500,
};
const square = [
  [
    [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 0],
    ],
  ],
];
const DISTRICTS = {
  items: [
    { id: '330106', name: { zh: '西湖区', en: 'Xihu' }, polygon: square, centroid: [0.5, 0.5], areaKm2: 1 },
    {
      id: '330102',
      name: { zh: '上城区', en: 'Shangcheng' },
      polygon: square,
      centroid: [0.5, 0.5],
      areaKm2: 1,
    },
  ],
  total: 2,
};

function respond(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

describe('useCityStore', () => {
  beforeEach(() => setActivePinia(createPinia()));
  afterEach(() => vi.unstubAllGlobals());

  it('loads the city and its districts, sorted by code and without outlines', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => respond(url === '/api/v1/city' ? CITY : DISTRICTS)),
    );
    const city = useCityStore();
    expect(city.timeZone).toBe('Asia/Shanghai');
    expect(await city.load()).toBe(true);
    expect(city.meta?.name.zh).toBe('杭州市');
    expect(city.districts).toEqual([
      { id: '330102', name: { zh: '上城区', en: 'Shangcheng' } },
      { id: '330106', name: { zh: '西湖区', en: 'Xihu' } },
    ]);
  });

  it('reports the error code when the server refuses', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => respond({ error: { code: 'unavailable', message: 'starting', details: [] } }, 503)),
    );
    const city = useCityStore();
    expect(await city.load()).toBe(false);
    expect(city.loadError).toBe('unavailable');
    expect(city.meta).toBeNull();
  });

  it('reports a network failure', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        throw new TypeError('fetch failed');
      }),
    );
    const city = useCityStore();
    expect(await city.load()).toBe(false);
    expect(city.loadError).toBe('network');
  });

  it('stops retrying when nobody is signed in', async () => {
    const fetch = vi.fn(async () =>
      respond({ error: { code: 'unauthorized', message: 'no session', details: [] } }, 401),
    );
    vi.stubGlobal('fetch', fetch);
    const city = useCityStore();

    await city.loadWithRetry(1);

    expect(city.loadError).toBe('unauthorized');
    expect(fetch).toHaveBeenCalledTimes(2); // city and districts, once
  });
});
