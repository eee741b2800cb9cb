import type { CityPackMeta, Road } from '@shared/schemas/cityPack.schema';
import type { ClientConfig } from '@shared/schemas/clientConfig.schema';
import type { District, GridCell } from '@shared/schemas/geo.schema';
import { getJson } from '../../api/http';
import type { BasemapPack } from './offlineStyle';

/** Largest page `GET /api/v1/grid-cells` serves. */
const CELL_PAGE = 5000;

/** Every grid cell the caller may see, page by page. */
async function allGridCells(signal?: AbortSignal): Promise<GridCell[]> {
  const cells: GridCell[] = [];
  for (;;) {
    const page = await getJson<{ items: GridCell[]; total: number }>(
      `/api/v1/grid-cells?limit=${CELL_PAGE}&offset=${cells.length}`,
      signal ? { signal } : {},
    );
    cells.push(...page.items);
    if (page.items.length === 0 || cells.length >= page.total) return cells;
  }
}

/** What the map needs before it can open: the engine to use and the pack's territory and roads (what the caller may see). */
export async function loadBasemap(
  signal?: AbortSignal,
): Promise<{ config: ClientConfig; pack: BasemapPack }> {
  const opts = signal ? { signal } : {};
  const [config, meta, districts, gridCells, roads] = await Promise.all([
    getJson<ClientConfig>('/api/v1/client-config', opts),
    getJson<CityPackMeta>('/api/v1/city', opts),
    getJson<{ items: District[] }>('/api/v1/districts', opts),
    allGridCells(signal),
    getJson<{ items: Road[] }>('/api/v1/roads', opts),
  ]);
  return { config, pack: { meta, districts: districts.items, gridCells, roads: roads.items } };
}
