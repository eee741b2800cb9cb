import { Router, type Request, type Response } from 'express';
import { IncidentQuerySchema } from '@shared/schemas/incident.schema';
import {
  InhibitionDraftSchema,
  SilenceDraftSchema,
  SilenceQuerySchema,
  type AlertMatchers,
} from '@shared/schemas/silence.schema';
import { reachesCell, reachesDistrict, reachesSensor, reachesWholeCity, type Reach } from '../domain/access';
import type { CatalogService } from '../services/catalog.service';
import type { IncidentService } from '../services/incidents.service';
import { reachOf } from '../services/reach';
import {
  SuppressionError,
  type SuppressionChangeContext,
  type SuppressionService,
} from '../services/suppression.service';
import { districtFilter, reachesAlert } from './alerts.routes';
import { auditActor, auditOrigin, guard, requirePrincipal } from './auth';
import { ApiError, parseOr400 } from './errors';

function suppressionError(err: unknown): never {
  if (err instanceof SuppressionError)
    throw new ApiError(err.code === 'not_found' ? 404 : 409, err.code, err.message);
  throw err;
}

/**
 * A caller limited to part of the city may only silence inside it: the silence must
 * name districts, cells or sensors, all within reach. (A silence without them would
 * mute the whole city.)
 */
export function silenceReachProblem(reach: Reach, m: AlertMatchers, catalog: CatalogService): string | null {
  if (reachesWholeCity(reach)) return null;
  const checks: Array<[string, (id: string) => boolean]> = [
    ['districtId', (id) => reachesDistrict(reach, id)],
    [
      'gridCellId',
      (id) => {
        const cell = catalog.gridCell(id);
        return cell !== undefined && reachesCell(reach, cell);
      },
    ],
    [
      'sensorId',
      (id) => {
        const s = catalog.sensor(id);
        return s !== undefined && reachesSensor(reach, s);
      },
    ],
  ];
  let named = false;
  for (const [label, reaches] of checks) {
    const values = m[label];
    if (!values) continue;
    named = true;
    const outside = values.find((v) => !reaches(v));
    if (outside !== undefined)
      return `matchers.${label}: ${outside} is outside the part of the city you cover`;
  }
  return named ? null : 'matchers: name the districtId, gridCellId or sensorId values you cover';
}

/**
 * 静默 silences (maintenance windows), 抑制 inhibition rules, and 事件 incidents:
 * each change audited and applied to open alerts live.
 */
export function silencesRoutes(deps: {
  suppression: SuppressionService;
  incidents: IncidentService;
  catalog: CatalogService;
}): Router {
  const r = Router();
  const { suppression, incidents, catalog } = deps;

  const context = (req: Request, res: Response): SuppressionChangeContext => ({
    actor: auditActor(res),
    actorName: requirePrincipal(res).user.displayName,
    origin: auditOrigin(req),
  });

  const checkReach = (res: Response, matchers: AlertMatchers) => {
    const problem = silenceReachProblem(reachOf(requirePrincipal(res), catalog), matchers, catalog);
    if (problem) throw new ApiError(403, 'forbidden', problem, [{ path: 'matchers', message: problem }]);
  };

  r.get('/silences', guard('GET /api/v1/silences'), (req, res) => {
    const q = parseOr400(SilenceQuerySchema, req.query, 'query');
    const items = suppression.listSilences(q.state);
    res.json({ items, total: items.length });
  });

  r.get('/silences/:id', guard('GET /api/v1/silences/:id'), (req, res) => {
    const silence = suppression.silence(String(req.params['id']));
    if (!silence) throw new ApiError(404, 'not_found', `silence ${String(req.params['id'])} not found`);
    res.json(silence);
  });

  r.post('/silences', guard('POST /api/v1/silences'), async (req, res) => {
    const draft = parseOr400(SilenceDraftSchema, req.body, 'body');
    checkReach(res, draft.matchers);
    res.status(201).json(await suppression.createSilence(draft, context(req, res)));
  });

  r.put('/silences/:id', guard('PUT /api/v1/silences/:id'), async (req, res) => {
    const draft = parseOr400(SilenceDraftSchema, req.body, 'body');
    const id = String(req.params['id']);
    const before = suppression.silence(id);
    if (before) checkReach(res, before.matchers);
    checkReach(res, draft.matchers);
    res.json(await suppression.updateSilence(id, draft, context(req, res)).catch(suppressionError));
  });

  r.delete('/silences/:id', guard('DELETE /api/v1/silences/:id'), async (req, res) => {
    const id = String(req.params['id']);
    const before = suppression.silence(id);
    if (before) checkReach(res, before.matchers);
    res.json(await suppression.expireSilence(id, context(req, res)).catch(suppressionError));
  });

  r.get('/inhibitions', guard('GET /api/v1/inhibitions'), (_req, res) => {
    const items = suppression.listInhibitions();
    res.json({ items, total: items.length });
  });

  r.post('/inhibitions', guard('POST /api/v1/inhibitions'), async (req, res) => {
    const draft = parseOr400(InhibitionDraftSchema, req.body, 'body');
    const rule = await suppression.saveInhibition(draft, context(req, res), 'create').catch(suppressionError);
    res.status(201).json(rule);
  });

  r.put('/inhibitions/:id', guard('PUT /api/v1/inhibitions/:id'), async (req, res) => {
    const draft = parseOr400(InhibitionDraftSchema, req.body, 'body');
    const id = String(req.params['id']);
    if (draft.id !== undefined && draft.id !== id)
      throw new ApiError(400, 'invalid_request', `id ${draft.id} differs from the path's ${id}`, [
        { path: 'id', message: 'must equal the id in the path' },
      ]);
    const rule = await suppression
      .saveInhibition({ ...draft, id }, context(req, res), 'update')
      .catch(suppressionError);
    res.json(rule);
  });

  r.delete('/inhibitions/:id', guard('DELETE /api/v1/inhibitions/:id'), async (req, res) => {
    await suppression.deleteInhibition(String(req.params['id']), context(req, res)).catch(suppressionError);
    res.status(204).end();
  });

  r.get('/incidents', guard('GET /api/v1/incidents'), async (req, res) => {
    const q = parseOr400(IncidentQuerySchema, req.query, 'query');
    const districtIds = districtFilter(reachOf(requirePrincipal(res), catalog), q.districtId);
    res.json(await incidents.query({ ...q, districtIds }));
  });

  r.get('/incidents/:id', guard('GET /api/v1/incidents/:id'), async (req, res) => {
    const id = String(req.params['id']);
    const incident = await incidents.find(id);
    const reach = reachOf(requirePrincipal(res), catalog);
    const alerts = incident ? (await incidents.alertsOf(id)).filter((a) => reachesAlert(reach, a)) : [];
    if (!incident || alerts.length === 0) throw new ApiError(404, 'not_found', `incident ${id} not found`);
    res.json({ incident, alerts });
  });

  return r;
}
