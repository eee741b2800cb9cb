import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadBasemap } from '../../../../client/src/features/map/basemap';
import { tinyPack } from './map.fixtures';

const json = (body: unknown) =>
  new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });

describe('loadBasemap', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('loads the map engine, the city, its districts, every grid cell page by page, and the roads', async () => {
    const pack = tinyPack();
    const [cellA, cellB] = pack.gridCells;
    const asked: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (path: string) => {
        asked.push(path);
        if (path === '/api/v1/client-config') return json({ map: { provider: 'maplibre' } });
        if (path === '/api/v1/city') return json(pack.meta);
        if (path === '/api/v1/districts') return json({ items: pack.districts, total: 2 });
        if (path === '/api/v1/roads') return json({ items: pack.roads, total: 3 });
        // The server pages at most 5000 cells; pretend it gave one per page.
        if (path === '/api/v1/grid-cells?limit=5000&offset=0') return json({ items: [cellA], total: 2 });
        if (path === '/api/v1/grid-cells?limit=5000&offset=1') return json({ items: [cellB], total: 2 });
        return new Response('{}', { status: 404 });
      }),
    );

    const loaded = await loadBasemap();

    expect(loaded.config).toEqual({ map: { provider: 'maplibre' } });
    expect(loaded.pack).toEqual(pack);
    expect(asked.filter((p) => p.startsWith('/api/v1/grid-cells'))).toHaveLength(2);
  });
});
