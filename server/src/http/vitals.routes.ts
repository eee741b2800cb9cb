import { Router } from 'express';
import { VitalsQuerySchema, type VitalsScope } from '@shared/schemas/vitals.schema';
import { reachesDistrict, reachesWholeCity } from '../domain/access';
import type { CatalogService } from '../services/catalog.service';
import { reachOf } from '../services/reach';
import type { VitalsService } from '../services/vitals.service';
import { guard, requirePrincipal } from './auth';
import { ApiError, parseOr400 } from './errors';

export interface VitalsRoutesDeps {
  vitals: Pick<VitalsService, 'current'>;
  catalog: CatalogService;
}

/**
 * `GET /api/v1/vitals` — the newest vitals (the same object the socket pushes, with the trend) of
 * the city, or of a district the caller reaches. A caller limited to districts gets their first
 * district by default; a grid worker, who reaches cells, finds none (vitals are kept for the city
 * and districts only).
 */
export function vitalsRoutes(deps: VitalsRoutesDeps): Router {
  const r = Router();
  r.get('/vitals', guard('GET /api/v1/vitals'), (req, res) => {
    const q = parseOr400(VitalsQuerySchema, req.query, 'query');
    const reach = reachOf(requirePrincipal(res), deps.catalog);
    let scope: VitalsScope;
    if (q.districtId !== undefined) {
      if (!deps.catalog.district(q.districtId))
        throw new ApiError(404, 'not_found', `district ${q.districtId} does not exist`);
      if (!reachesDistrict(reach, q.districtId))
        throw new ApiError(403, 'forbidden', `district ${q.districtId} is outside your assigned area`);
      scope = { kind: 'district', id: q.districtId };
    } else if (reachesWholeCity(reach)) {
      scope = { kind: 'city' };
    } else if (reach.cellIds === null && reach.districtIds?.[0] !== undefined) {
      scope = { kind: 'district', id: reach.districtIds[0] };
    } else {
      throw new ApiError(
        404,
        'not_found',
        'vitals are kept for the city and its districts, not for grid cells',
      );
    }
    const vitals = deps.vitals.current(scope);
    if (!vitals) throw new ApiError(503, 'unavailable', 'the vitals are not computed yet');
    res.json(vitals);
  });
  return r;
}
