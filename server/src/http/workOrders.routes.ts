import express, { Router, type Response } from 'express';
import { z } from 'zod';
import { cleared } from '@shared/access';
import { CASE_CATEGORIES } from '@shared/domain/caseCategories';
import { OPEN_ALERT_STATES } from '@shared/schemas/alert.schema';
import { LatSchema, LngSchema, TimeQuerySchema } from '@shared/schemas/common.schema';
import {
  DispatchFromSchema,
  KpiQuerySchema,
  PositionReportSchema,
  WorkOrderCommandSchemas,
  WorkOrderCreateSchema,
  WorkOrderPolicySchema,
  WorkOrderQuerySchema,
  type WorkOrder,
  type WorkOrderCommand,
  type WorkOrderCommandName,
} from '@shared/schemas/workOrder.schema';
import { reachesCell, reachesWholeCity, type Reach } from '../domain/access';
import type { Actor } from '../domain/workOrders/stateMachine';
import type { CatalogService } from '../services/catalog.service';
import type { Principal } from '../services/identity.service';
import { reachOf } from '../services/reach';
import { WorkOrderError, type CallerReach, type WorkOrderService } from '../services/workOrders.service';
import { districtFilter } from './alerts.routes';
import { auditOrigin, guard, requirePrincipal } from './auth';
import { ApiError, parseOr400 } from './errors';
import type { RouteKey } from './routeAccess';

const STATUS: Record<WorkOrderError['code'], number> = {
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  invalid_request: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
};

/** A refused action as an API error; the reason code lets a client explain it (offline sync conflicts). */
export function workOrderError(err: unknown): never {
  if (err instanceof WorkOrderError)
    throw new ApiError(STATUS[err.code], err.code, err.message, [
      { path: err.path ?? '', message: err.message, reason: err.reason },
    ]);
  throw err;
}

/** The state-machine actor of a signed-in user (grid workers act under their roster id). */
export function actorOf(principal: Principal): Actor {
  const { user } = principal;
  return {
    id: user.id,
    name: user.role === 'worker' && user.workerId ? user.workerId : user.displayName,
    role: user.role,
    workerId: user.role === 'worker' ? user.workerId : null,
  };
}

/**
 * Whether a caller sees a case: its cell (or district) is in their reach, or, for a grid worker,
 * it is assigned to them or they reported it on patrol. With `pastAssignee` (the command routes)
 * a worker also reaches a case that was once theirs, so a replay of what they did is answered
 * and a late action explained (`reassigned`) rather than hidden.
 */
export function reachesOrder(
  principal: Principal,
  catalog: CatalogService,
  order: Pick<WorkOrder, 'gridCellId' | 'districtId' | 'assigneeId' | 'source' | 'sourceRef' | 'timeline'>,
  opts: { pastAssignee?: boolean } = {},
): boolean {
  const workerId = principal.user.role === 'worker' ? principal.user.workerId : null;
  if (workerId) {
    if (order.assigneeId === workerId) return true;
    if (order.source === 'worker' && order.sourceRef === workerId) return true;
    if (opts.pastAssignee && order.timeline.some((e) => e.assigneeId === workerId)) return true;
  }
  return reachesCell(reachOf(principal, catalog), { id: order.gridCellId, districtId: order.districtId });
}

/** What a dispatcher's reach lets them hand out: workers of their districts, cases in their cells. */
export function callerReach(reach: Reach): CallerReach {
  const { districtIds } = reach;
  return {
    worker: (w) => districtIds === null || districtIds.includes(w.districtId),
    cell: (c) => reachesCell(reach, c),
  };
}

/**
 * Photos show faces, plates and where they were taken: their uploader, the case's assigned worker
 * and roles cleared for sensitive data see them; others learn only that some were withheld.
 */
function seesCasePhotos(principal: Principal, order: Pick<WorkOrder, 'assigneeId'>): boolean {
  const { user } = principal;
  if (user.role === 'worker') return user.workerId !== null && order.assigneeId === user.workerId;
  return cleared(user.role, 'sensitive');
}

/** Query of `POST /api/v1/photos`. */
export const PhotoQuerySchema = z
  .object({
    /** The phone's position when the photo was taken (used when the image has no EXIF GPS). */
    lng: z.coerce.number().pipe(LngSchema).optional(),
    lat: z.coerce.number().pipe(LatSchema).optional(),
    accuracyM: z.coerce.number().nonnegative().max(100_000).optional(),
    /** The phone's clock when the photo was taken (used when the image has no EXIF time). */
    takenAt: TimeQuerySchema.optional(),
  })
  .strict()
  .refine((q) => (q.lng === undefined) === (q.lat === undefined), {
    message: 'lng and lat go together',
    path: ['lat'],
  });

/** Idempotency key of an upload, chosen by the client (its offline-queue entry id). */
const CLIENT_KEY_HEADER = 'x-client-key';
const ClientKeySchema = z
  .string()
  .min(8)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-"');

/** Query of `GET /api/v1/work-orders/:id/suggestions`. */
export const SuggestQuerySchema = z
  .object({ limit: z.coerce.number().int().min(1).max(50).default(5) })
  .strict();

/** Work orders: the 案卷 API of dispatchers, grid workers and the wall. */
export function workOrdersRoutes(deps: {
  workOrders: WorkOrderService;
  catalog: CatalogService;
  maxPhotoBytes: number;
}): Router {
  const r = Router();
  const { workOrders, catalog } = deps;

  const loadReached = async (
    id: string,
    res: Response,
    opts: { pastAssignee?: boolean } = {},
  ): Promise<WorkOrder> => {
    const order = await workOrders.find(id);
    if (!order || !reachesOrder(requirePrincipal(res), catalog, order, opts))
      throw new ApiError(404, 'not_found', `work order ${id} not found`);
    return order;
  };
  const reachOfCaller = (res: Response) => callerReach(reachOf(requirePrincipal(res), catalog));

  r.get('/case-categories', guard('GET /api/v1/case-categories'), (_req, res) => {
    res.json({ items: CASE_CATEGORIES });
  });

  r.get('/work-orders', guard('GET /api/v1/work-orders'), async (req, res) => {
    const q = parseOr400(WorkOrderQuerySchema, req.query, 'query');
    const principal = requirePrincipal(res);
    const reach = reachOf(principal, catalog);
    const workerId = actorOf(principal).workerId;
    res.json(
      await workOrders.query({
        states: q.state,
        category: q.category,
        source: q.source,
        districtIds: reach.cellIds ? undefined : districtFilter(reach, q.districtId),
        ...(reach.cellIds ? { workerView: { cellIds: [...reach.cellIds], workerId: workerId ?? '' } } : {}),
        gridCellId: q.gridCellId,
        assigneeId: q.assigneeId,
        overdue: q.overdue,
        from: q.from,
        to: q.to,
        limit: q.limit,
        offset: q.offset,
      }),
    );
  });

  r.post('/work-orders', guard('POST /api/v1/work-orders'), async (req, res) => {
    const body = parseOr400(WorkOrderCreateSchema, req.body ?? {}, 'body');
    const principal = requirePrincipal(res);
    const cell = catalog.cellAt(body.location);
    if (cell && principal.user.role !== 'worker' && !reachesCell(reachOf(principal, catalog), cell))
      throw new ApiError(403, 'forbidden', `${cell.id} is outside your assigned area`);
    const order = await workOrders
      .create(body, actorOf(principal), auditOrigin(req), reachOfCaller(res))
      .catch(workOrderError);
    res.status(201).json(order);
  });

  r.get('/work-orders/kpis', guard('GET /api/v1/work-orders/kpis'), async (req, res) => {
    const q = parseOr400(KpiQuerySchema, req.query, 'query');
    const to = q.to ?? Date.now();
    const from = q.from ?? to - 30 * 86_400_000;
    if (from >= to)
      throw new ApiError(400, 'invalid_request', 'from must be before to', [
        { path: 'from', message: 'must be before to' },
      ]);
    const reach = reachOf(requirePrincipal(res), catalog);
    res.json(
      await workOrders.kpis({
        from,
        to,
        groupBy: q.groupBy,
        period: q.period,
        districtIds: districtFilter(reach, q.districtId),
        category: q.category,
      }),
    );
  });

  r.get('/work-orders/:id', guard('GET /api/v1/work-orders/:id'), async (req, res) => {
    const order = await loadReached(String(req.params['id']), res);
    const principal = requirePrincipal(res);
    const alert = await workOrders.alertOf(order);
    const all = (await Promise.all(order.photoIds.map((p) => workOrders.photo(p)))).filter((p) => p !== null);
    const photos = seesCasePhotos(principal, order)
      ? all
      : all.filter((p) => p.uploadedBy === principal.user.id);
    res.json({
      order,
      alert,
      // The verifier sees whether the sensor is still breaching before passing the case.
      stillBreaching: alert !== null && OPEN_ALERT_STATES.includes(alert.state),
      photos,
      photosWithheld: photos.length < all.length,
    });
  });

  r.get(
    '/work-orders/:id/suggestions',
    guard('GET /api/v1/work-orders/:id/suggestions'),
    async (req, res) => {
      const q = parseOr400(SuggestQuerySchema, req.query, 'query');
      const order = await loadReached(String(req.params['id']), res);
      res.json({ items: workOrders.suggestFor(order, q.limit, reachOfCaller(res)) });
    },
  );

  const command = <K extends WorkOrderCommandName>(name: K) => {
    const key = `POST /api/v1/work-orders/:id/${name}` as RouteKey;
    r.post(`/work-orders/:id/${name}`, guard(key), async (req, res) => {
      const body = parseOr400(WorkOrderCommandSchemas[name], req.body ?? {}, 'body') as object;
      const order = await loadReached(String(req.params['id']), res, { pastAssignee: true });
      const next = await workOrders
        .command(
          order.id,
          { action: name, ...body } as WorkOrderCommand,
          actorOf(requirePrincipal(res)),
          auditOrigin(req),
          reachOfCaller(res),
        )
        .catch(workOrderError);
      res.json(next);
    });
  };
  for (const name of Object.keys(WorkOrderCommandSchemas) as WorkOrderCommandName[]) command(name);

  r.post('/alerts/:id/dispatch', guard('POST /api/v1/alerts/:id/dispatch'), async (req, res) => {
    const body = parseOr400(DispatchFromSchema, req.body ?? {}, 'body');
    const principal = requirePrincipal(res);
    const id = String(req.params['id']);
    const alert = await workOrders.alertById(id);
    const reach = reachOf(principal, catalog);
    const reached =
      alert &&
      (alert.gridCellId && alert.districtId
        ? reachesCell(reach, { id: alert.gridCellId, districtId: alert.districtId })
        : reachesWholeCity(reach) ||
          (alert.districtId !== undefined && reach.districtIds?.includes(alert.districtId)));
    if (!reached) throw new ApiError(404, 'not_found', `alert ${id} not found`);
    const order = await workOrders
      .dispatchAlert(id, body, actorOf(principal), auditOrigin(req), callerReach(reach))
      .catch(workOrderError);
    res.status(201).json(order);
  });

  r.post('/incidents/:id/dispatch', guard('POST /api/v1/incidents/:id/dispatch'), async (req, res) => {
    const body = parseOr400(DispatchFromSchema, req.body ?? {}, 'body');
    const principal = requirePrincipal(res);
    const id = String(req.params['id']);
    const incident = await workOrders.incidentById(id);
    const reach = reachOf(principal, catalog);
    if (
      !incident ||
      !(reachesWholeCity(reach) || incident.districtIds.some((d) => reach.districtIds?.includes(d)))
    )
      throw new ApiError(404, 'not_found', `incident ${id} not found`);
    const order = await workOrders
      .dispatchIncident(id, body, actorOf(principal), auditOrigin(req), callerReach(reach))
      .catch(workOrderError);
    res.status(201).json(order);
  });

  // Photos arrive as the raw image body (no multipart): the type is checked from the bytes.
  r.post(
    '/photos',
    guard('POST /api/v1/photos'),
    express.raw({ type: () => true, limit: deps.maxPhotoBytes }),
    async (req, res) => {
      const q = parseOr400(PhotoQuerySchema, req.query, 'query');
      const rawKey = req.get(CLIENT_KEY_HEADER);
      const clientKey = rawKey === undefined ? undefined : ClientKeySchema.safeParse(rawKey);
      if (clientKey && !clientKey.success)
        throw new ApiError(400, 'invalid_request', `invalid ${CLIENT_KEY_HEADER} header`, [
          { path: CLIENT_KEY_HEADER, message: clientKey.error.issues[0]?.message ?? 'invalid' },
        ]);
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const photo = await workOrders
        .uploadPhoto(bytes, req.get('content-type'), actorOf(requirePrincipal(res)), {
          ...(clientKey?.success ? { clientKey: clientKey.data } : {}),
          ...(q.lng !== undefined && q.lat !== undefined
            ? {
                fix: {
                  location: [q.lng, q.lat],
                  ...(q.accuracyM !== undefined ? { accuracyM: q.accuracyM } : {}),
                },
              }
            : {}),
          ...(q.takenAt !== undefined ? { takenAt: q.takenAt } : {}),
        })
        .catch(workOrderError);
      res.status(201).json(photo);
    },
  );

  // A photo the caller may not see is answered as one that does not exist.
  r.get('/photos/:id', guard('GET /api/v1/photos/:id'), async (req, res) => {
    const id = String(req.params['id']);
    const principal = requirePrincipal(res);
    const photo = await workOrders.photo(id);
    let visible = photo !== null && photo.uploadedBy === principal.user.id;
    if (photo?.workOrderId && !visible) {
      const order = await workOrders.find(photo.workOrderId);
      visible = order !== null && seesCasePhotos(principal, order) && reachesOrder(principal, catalog, order);
    }
    const bytes = visible ? await workOrders.photoBytes(id) : null;
    if (!photo || !bytes) throw new ApiError(404, 'not_found', `photo ${id} not found`);
    res.set('content-type', photo.mime).set('cache-control', 'private, max-age=86400').send(bytes);
  });

  r.get('/work-order-policy', guard('GET /api/v1/work-order-policy'), (_req, res) => {
    res.json(workOrders.currentPolicy());
  });

  r.put('/work-order-policy', guard('PUT /api/v1/work-order-policy'), async (req, res) => {
    const policy = parseOr400(WorkOrderPolicySchema, req.body ?? {}, 'body');
    res.json(await workOrders.setPolicy(policy, actorOf(requirePrincipal(res)), auditOrigin(req)));
  });

  r.get('/worker-positions', guard('GET /api/v1/worker-positions'), (_req, res) => {
    const reach = reachOf(requirePrincipal(res), catalog);
    const workers = new Map(catalog.listWorkers().map((w) => [w.id, w]));
    const items = workOrders.listPositions().filter((p) => {
      const w = workers.get(p.workerId);
      return w !== undefined && (reach.districtIds === null || reach.districtIds.includes(w.districtId));
    });
    res.json({ items: reach.cellIds ? [] : items });
  });

  r.post('/me/position', guard('POST /api/v1/me/position'), async (req, res) => {
    const body = parseOr400(PositionReportSchema, req.body ?? {}, 'body');
    // The permission guard passed: a caller without a roster entry is in the wrong state, not refused.
    const workerId = actorOf(requirePrincipal(res)).workerId;
    if (!workerId) throw new ApiError(409, 'conflict', 'only a grid worker on the roster reports a position');
    res.json(await workOrders.reportPosition(workerId, body).catch(workOrderError));
  });

  r.get('/me/work-orders', guard('GET /api/v1/me/work-orders'), async (_req, res) => {
    const workerId = actorOf(requirePrincipal(res)).workerId;
    if (!workerId) throw new ApiError(409, 'conflict', 'only a grid worker on the roster has tasks');
    res.json(await workOrders.tasksOf(workerId));
  });

  return r;
}
