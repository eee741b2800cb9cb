import type { Reach } from '../domain/access';
import type { CatalogService } from './catalog.service';
import type { Principal } from './identity.service';

/** The part of the city a principal reaches (districts of an operator, cells of a grid worker). */
export function reachOf(principal: Principal, catalog: CatalogService): Reach {
  const { user } = principal;
  if (user.role === 'worker') {
    const worker = user.workerId ? catalog.worker(user.workerId) : undefined;
    return { role: user.role, districtIds: null, cellIds: new Set(worker?.gridCellIds ?? []) };
  }
  return { role: user.role, districtIds: user.districtIds, cellIds: null };
}
