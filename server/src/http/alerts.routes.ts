import { Router } from 'express';
import type { z } from 'zod';
import {
  AlertCommentSchema,
  AlertLinkWorkOrderSchema,
  AlertQuerySchema,
  AlertStatsQuerySchema,
  type Alert,
  type AlertStatsResponse,
} from '@shared/schemas/alert.schema';
import { reachesCell, reachesDistrict, reachesWholeCity, type Reach } from '../domain/access';
import { AlertActionError, type AlertingService } from '../services/alerting.service';
import type { AuditService } from '../services/audit.service';
import type { CatalogService } from '../services/catalog.service';
import type { Principal } from '../services/identity.service';
import { reachOf } from '../services/reach';
import type { RouteKey } from './routeAccess';
import { auditActor, auditOrigin, guard, requirePrincipal } from './auth';
import { ApiError, parseOr400 } from './errors';
import { SHANGHAI_OFFSET_MS } from '@shared/domain/shanghaiTime';

const PERIOD_MS = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 } as const;
/** Days and weeks are Asia/Shanghai calendar periods (SHANGHAI_OFFSET_MS); weeks start on Monday. */
/** 1970-01-01 was a Thursday: shift weeks so that they start on Monday. */
const WEEK_SHIFT_MS = 3 * 86_400_000;

/** Whether a caller reaches an alert: through its cell, else its district, else only whole-city callers. */
export function reachesAlert(reach: Reach, alert: Pick<Alert, 'districtId' | 'gridCellId'>): boolean {
  if (alert.gridCellId && alert.districtId)
    return reachesCell(reach, { id: alert.gridCellId, districtId: alert.districtId });
  if (alert.districtId) return reachesDistrict(reach, alert.districtId);
  return reachesWholeCity(reach);
}

/** Districts the caller is limited to (undefined: no limit), intersected with a requested one. */
export function districtFilter(reach: Reach, requested: string | undefined): string[] | undefined {
  if (reach.districtIds === null) return requested ? [requested] : undefined;
  if (requested) return reach.districtIds.includes(requested) ? [requested] : [];
  return [...reach.districtIds];
}

function actionError(err: unknown): never {
  if (err instanceof AlertActionError)
    throw new ApiError(err.code === 'not_found' ? 404 : 409, err.code, err.message);
  throw err;
}

/** Alert history, statistics and the operator's actions (acknowledge, close, link a work order), each audited. */
export function alertsRoutes(deps: {
  alerting: AlertingService;
  audit: AuditService;
  catalog: CatalogService;
}): Router {
  const r = Router();
  const { alerting, audit, catalog } = deps;

  const loadReached = async (id: string, res: Parameters<typeof requirePrincipal>[0]): Promise<Alert> => {
    const alert = await alerting.find(id);
    if (!alert || !reachesAlert(reachOf(requirePrincipal(res), catalog), alert)) {
      throw new ApiError(404, 'not_found', `alert ${id} not found`);
    }
    return alert;
  };

  r.get('/alerts', guard('GET /api/v1/alerts'), async (req, res) => {
    const q = parseOr400(AlertQuerySchema, req.query, 'query');
    const reach = reachOf(requirePrincipal(res), catalog);
    const page = await alerting.query({
      from: q.from,
      to: q.to,
      severities: q.severity,
      states: q.state,
      ruleId: q.ruleId,
      districtIds: districtFilter(reach, q.districtId),
      gridCellId: q.gridCellId,
      subjectId: q.subjectId,
      incidentId: q.incidentId,
      suppressed: q.suppressed,
      limit: q.limit,
      offset: q.offset,
    });
    res.json(page);
  });

  r.get('/alerts/stats', guard('GET /api/v1/alerts/stats'), async (req, res) => {
    const q = parseOr400(AlertStatsQuerySchema, req.query, 'query');
    const to = q.to ?? Date.now();
    const from = q.from ?? to - 30 * 86_400_000;
    const reach = reachOf(requirePrincipal(res), catalog);
    const rows = await alerting.periodStats({
      from,
      to,
      periodMs: PERIOD_MS[q.period],
      offsetMs: q.period === 'week' ? SHANGHAI_OFFSET_MS - WEEK_SHIFT_MS : SHANGHAI_OFFSET_MS,
      districtIds: districtFilter(reach, q.districtId),
      ruleId: q.ruleId,
    });
    const body: AlertStatsResponse = { from, to, period: q.period, rows };
    res.json(body);
  });

  r.get('/alerts/:id', guard('GET /api/v1/alerts/:id'), async (req, res) => {
    const alert = await loadReached(String(req.params['id']), res);
    res.json({ alert, events: await alerting.history(alert.id) });
  });

  /** An operator action on one alert in the caller's reach: parse, act, audit, answer with the alert. */
  const action = <S extends z.ZodType>(
    key: RouteKey & `POST /api/v1/alerts/:id/${string}`,
    schema: S,
    auditAction: string,
    run: (alert: Alert, body: z.output<S>, user: Principal['user']) => Promise<Alert>,
    summary: (
      alert: Alert,
      next: Alert,
      body: z.output<S>,
    ) => Record<'before' | 'after', Record<string, unknown>>,
  ) =>
    r.post(key.slice('POST /api/v1'.length), guard(key), async (req, res) => {
      const body = parseOr400(schema, req.body ?? {}, 'body');
      const alert = await loadReached(String(req.params['id']), res);
      const next = await run(alert, body, requirePrincipal(res).user).catch(actionError);
      await audit.record({
        actor: auditActor(res),
        action: auditAction,
        target: { type: 'alert', id: alert.id },
        ...summary(alert, next, body),
        origin: auditOrigin(req),
      });
      res.json(next);
    });

  action(
    'POST /api/v1/alerts/:id/acknowledge',
    AlertCommentSchema,
    'alert.acknowledge',
    (alert, body, user) =>
      alerting.acknowledge(alert.id, { id: user.id, name: user.displayName }, body.comment),
    (alert, next, body) => ({
      before: { state: alert.state },
      after: { state: next.state, comment: body.comment },
    }),
  );
  action(
    'POST /api/v1/alerts/:id/close',
    AlertCommentSchema,
    'alert.close',
    (alert, body, user) => alerting.close(alert.id, { id: user.id }, body.comment),
    (alert, next, body) => ({
      before: { state: alert.state },
      after: { state: next.state, comment: body.comment },
    }),
  );
  action(
    'POST /api/v1/alerts/:id/work-order',
    AlertLinkWorkOrderSchema,
    'alert.link',
    (alert, body, user) => alerting.linkWorkOrder(alert.id, body.workOrderId, { id: user.id }),
    (alert, _next, body) => ({
      before: { workOrderId: alert.workOrderId ?? null },
      after: { workOrderId: body.workOrderId },
    }),
  );

  return r;
}
