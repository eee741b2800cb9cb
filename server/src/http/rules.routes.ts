import { Router, type Request, type Response } from 'express';
import {
  RuleBacktestBodySchema,
  RuleCreateBodySchema,
  RuleDeleteQuerySchema,
  RulePatchBodySchema,
  RuleUpdateBodySchema,
} from '@shared/schemas/rule.schema';
import { ruleKindInfos } from '../domain/rules/registry';
import { BacktestError, type BacktestService } from '../services/backtest.service';
import type { CatalogService } from '../services/catalog.service';
import { reachOf } from '../services/reach';
import { RuleError, type RuleChangeContext, type RulesService } from '../services/rules.service';
import { auditActor, auditOrigin, guard, requirePrincipal } from './auth';
import { ApiError, parseOr400 } from './errors';

function ruleError(err: unknown): never {
  if (err instanceof RuleError) {
    const status = err.code === 'not_found' ? 404 : err.code === 'conflict' ? 409 : 400;
    throw new ApiError(
      status,
      err.code,
      err.message,
      err.issues.map((i) => ({ path: `rule.${i.path}`, message: i.message })),
    );
  }
  throw err;
}

function backtestError(err: unknown): never {
  if (err instanceof BacktestError) {
    const status = { invalid_request: 400, not_found: 404, forbidden: 403, overloaded: 503 }[err.code];
    throw new ApiError(
      status,
      err.code,
      err.message,
      err.details,
      err.code === 'overloaded' ? { 'retry-after': '5' } : {},
    );
  }
  throw err;
}

const context = (req: Request, res: Response, reason: string): RuleChangeContext => ({
  actor: auditActor(res),
  origin: auditOrigin(req),
  reason,
});

/**
 * Rules as data: kinds (with parameter schemas for forms), CRUD with versions, enable/disable
 * (changes apply live), and backtests of a rule against stored history.
 */
export function rulesRoutes(deps: {
  rules: RulesService;
  backtest: BacktestService;
  catalog: CatalogService;
}): Router {
  const r = Router();
  const { rules } = deps;

  r.get('/rule-kinds', guard('GET /api/v1/rule-kinds'), (_req, res) => {
    const items = ruleKindInfos();
    res.json({ items, total: items.length });
  });

  r.get('/rules', guard('GET /api/v1/rules'), (_req, res) => {
    const items = rules.list();
    res.json({ items, total: items.length });
  });

  r.get('/rules/:id', guard('GET /api/v1/rules/:id'), (req, res) => {
    const rule = rules.get(String(req.params['id']));
    if (!rule) throw new ApiError(404, 'not_found', `rule ${String(req.params['id'])} not found`);
    res.json(rule);
  });

  r.get('/rules/:id/versions', guard('GET /api/v1/rules/:id/versions'), async (req, res) => {
    const items = await rules.versions(String(req.params['id']));
    if (items.length === 0)
      throw new ApiError(404, 'not_found', `rule ${String(req.params['id'])} not found`);
    res.json({ items, total: items.length });
  });

  r.post('/rules', guard('POST /api/v1/rules'), async (req, res) => {
    const body = parseOr400(RuleCreateBodySchema, req.body, 'body');
    const rule = await rules.create(body.rule, context(req, res, body.reason)).catch(ruleError);
    res.status(201).json(rule);
  });

  r.post('/rules/backtest', guard('POST /api/v1/rules/backtest'), async (req, res) => {
    const body = parseOr400(RuleBacktestBodySchema, req.body, 'body');
    const reach = reachOf(requirePrincipal(res), deps.catalog);
    res.json(await deps.backtest.run(body, reach).catch(backtestError));
  });

  r.put('/rules/:id', guard('PUT /api/v1/rules/:id'), async (req, res) => {
    const body = parseOr400(RuleUpdateBodySchema, req.body, 'body');
    const rule = await rules
      .update(String(req.params['id']), body.rule, context(req, res, body.reason), body.expectedVersion)
      .catch(ruleError);
    res.json(rule);
  });

  r.patch('/rules/:id', guard('PATCH /api/v1/rules/:id'), async (req, res) => {
    const body = parseOr400(RulePatchBodySchema, req.body, 'body');
    const rule = await rules
      .setEnabled(String(req.params['id']), body.enabled, context(req, res, body.reason))
      .catch(ruleError);
    res.json(rule);
  });

  r.delete('/rules/:id', guard('DELETE /api/v1/rules/:id'), async (req, res) => {
    const q = parseOr400(RuleDeleteQuerySchema, req.query, 'query');
    await rules.remove(String(req.params['id']), context(req, res, q.reason)).catch(ruleError);
    res.status(204).end();
  });

  return r;
}
