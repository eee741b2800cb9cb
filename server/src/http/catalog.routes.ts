import { Router } from 'express';
import { z } from 'zod';
import { SensorKindSchema } from '@shared/schemas/sensor.schema';
import type { CatalogService } from '../services/catalog.service';
import { districtListed, reachesCell, reachesSensor } from '../domain/access';
import { guard, requirePrincipal } from './auth';
import { reachOf } from '../services/reach';
import { ApiError, parseOr400 } from './errors';
import { DistrictIdSchema, GridCellIdSchema } from '@shared/schemas/common.schema';

const Page = z.object({
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
  offset: z.coerce.number().int().min(0).default(0),
});

export const SensorListQuerySchema = Page.extend({
  kind: SensorKindSchema.optional(),
  districtId: DistrictIdSchema.optional(),
  gridCellId: GridCellIdSchema.optional(),
}).strict();

export const GridCellListQuerySchema = Page.extend({
  districtId: DistrictIdSchema.optional(),
}).strict();

function page<T>(items: T[], limit: number, offset: number) {
  return { items: items.slice(offset, offset + limit), total: items.length };
}

/** The city's territory and devices: read-only resources, each filtered to what the caller reaches. */
export function catalogRoutes(catalog: CatalogService): Router {
  const r = Router();
  const cellDistrict = (cellId: string) => catalog.gridCell(cellId)?.districtId;
  const outside = (what: string) => new ApiError(403, 'forbidden', `${what} is outside your assigned area`);

  r.get('/city', guard('GET /api/v1/city'), (_req, res) => {
    const meta = catalog.cityMeta();
    if (!meta) throw new ApiError(404, 'not_found', 'no city pack is loaded');
    res.json(meta);
  });

  r.get('/districts', guard('GET /api/v1/districts'), (_req, res) => {
    const reach = reachOf(requirePrincipal(res), catalog);
    const items = catalog.listDistricts().filter((d) => districtListed(reach, d.id, cellDistrict));
    res.json({ items, total: items.length });
  });

  r.get('/districts/:id', guard('GET /api/v1/districts/:id'), (req, res) => {
    const d = catalog.district(String(req.params['id']));
    if (!d) throw new ApiError(404, 'not_found', `district ${String(req.params['id'])} does not exist`);
    if (!districtListed(reachOf(requirePrincipal(res), catalog), d.id, cellDistrict))
      throw outside(`district ${d.id}`);
    res.json(d);
  });

  r.get('/grid-cells', guard('GET /api/v1/grid-cells'), (req, res) => {
    const q = parseOr400(GridCellListQuerySchema, req.query, 'query');
    const reach = reachOf(requirePrincipal(res), catalog);
    if (q.districtId && !districtListed(reach, q.districtId, cellDistrict))
      throw outside(`district ${q.districtId}`);
    const items = catalog.listGridCells(q.districtId).filter((c) => reachesCell(reach, c));
    res.json(page(items, q.limit, q.offset));
  });

  r.get('/grid-cells/:id', guard('GET /api/v1/grid-cells/:id'), (req, res) => {
    const c = catalog.gridCell(String(req.params['id']));
    if (!c) throw new ApiError(404, 'not_found', `grid cell ${String(req.params['id'])} does not exist`);
    if (!reachesCell(reachOf(requirePrincipal(res), catalog), c)) throw outside(`grid cell ${c.id}`);
    res.json(c);
  });

  r.get('/sensors', guard('GET /api/v1/sensors'), (req, res) => {
    const q = parseOr400(SensorListQuerySchema, req.query, 'query');
    const reach = reachOf(requirePrincipal(res), catalog);
    if (q.districtId && !districtListed(reach, q.districtId, cellDistrict))
      throw outside(`district ${q.districtId}`);
    if (q.gridCellId) {
      const cell = catalog.gridCell(q.gridCellId);
      if (cell && !reachesCell(reach, cell)) throw outside(`grid cell ${q.gridCellId}`);
    }
    res.json(
      page(
        catalog.listSensors(q).filter((s) => reachesSensor(reach, s)),
        q.limit,
        q.offset,
      ),
    );
  });

  r.get('/sensors/:id', guard('GET /api/v1/sensors/:id'), (req, res) => {
    const s = catalog.sensor(String(req.params['id']));
    if (!s) throw new ApiError(404, 'not_found', `sensor ${String(req.params['id'])} does not exist`);
    if (!reachesSensor(reachOf(requirePrincipal(res), catalog), s)) throw outside(`sensor ${s.id}`);
    res.json(s);
  });

  return r;
}
