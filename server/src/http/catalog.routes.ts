import { Router } from 'express';
import { z } from 'zod';
import { SensorKindSchema } from '@shared/schemas/sensor.schema';
import type { CatalogService } from '../services/catalog.service';
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

/** The city's territory and devices: read-only resources. */
export function catalogRoutes(catalog: CatalogService): Router {
  const r = Router();

  r.get('/city', (_req, res) => {
    const meta = catalog.cityMeta();
    if (!meta) throw new ApiError(404, 'not_found', 'no city pack is loaded');
    res.json(meta);
  });

  r.get('/districts', (_req, res) => {
    const items = catalog.listDistricts();
    res.json({ items, total: items.length });
  });

  r.get('/districts/:id', (req, res) => {
    const d = catalog.district(req.params.id);
    if (!d) throw new ApiError(404, 'not_found', `district ${req.params.id} does not exist`);
    res.json(d);
  });

  r.get('/grid-cells', (req, res) => {
    const q = parseOr400(GridCellListQuerySchema, req.query, 'query');
    res.json(page(catalog.listGridCells(q.districtId), q.limit, q.offset));
  });

  r.get('/grid-cells/:id', (req, res) => {
    const c = catalog.gridCell(req.params.id);
    if (!c) throw new ApiError(404, 'not_found', `grid cell ${req.params.id} does not exist`);
    res.json(c);
  });

  r.get('/sensors', (req, res) => {
    const q = parseOr400(SensorListQuerySchema, req.query, 'query');
    res.json(page(catalog.listSensors(q), q.limit, q.offset));
  });

  r.get('/sensors/:id', (req, res) => {
    const s = catalog.sensor(req.params.id);
    if (!s) throw new ApiError(404, 'not_found', `sensor ${req.params.id} does not exist`);
    res.json(s);
  });

  return r;
}
