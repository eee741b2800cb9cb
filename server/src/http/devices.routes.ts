import { Router } from 'express';
import { DeviceCredentialCreateSchema } from '@shared/schemas/device.schema';
import type { AuditService } from '../services/audit.service';
import { DeviceCredentialError, type DeviceCredentialService } from '../services/devices.service';
import { auditActor, auditOrigin, guard } from './auth';
import { ApiError, parseOr400 } from './errors';

function deviceError(err: unknown): never {
  if (err instanceof DeviceCredentialError) {
    const status = err.code === 'not_found' ? 404 : err.code === 'conflict' ? 409 : 400;
    throw new ApiError(status, err.code === 'invalid_request' ? 'invalid_request' : err.code, err.message);
  }
  throw err;
}

/** Device credentials: list (devices:read); issue, rotate, revoke (devices:manage), each audited. */
export function devicesRoutes(deps: { devices: DeviceCredentialService; audit: AuditService }): Router {
  const r = Router();

  r.get('/devices', guard('GET /api/v1/devices'), (_req, res) => {
    const items = deps.devices.list();
    res.json({ items, total: items.length });
  });

  r.post('/devices', guard('POST /api/v1/devices'), async (req, res) => {
    const body = parseOr400(DeviceCredentialCreateSchema, req.body, 'body');
    let issued;
    try {
      issued = await deps.devices.issue(body);
    } catch (err) {
      deviceError(err);
    }
    const c = issued.credential;
    await deps.audit.record({
      actor: auditActor(res),
      action: 'device.credential.issue',
      target: { type: 'device', id: c.id },
      after: {
        kind: c.kind,
        subjectId: c.subjectId,
        sensorIds: c.sensorIds === 'all' ? 'all' : c.sensorIds.length,
      },
      origin: auditOrigin(req),
    });
    res.status(201).json(issued);
  });

  r.post('/devices/:id/rotate', guard('POST /api/v1/devices/:id/rotate'), async (req, res) => {
    let issued;
    try {
      issued = await deps.devices.rotate(String(req.params['id']));
    } catch (err) {
      deviceError(err);
    }
    await deps.audit.record({
      actor: auditActor(res),
      action: 'device.credential.rotate',
      target: { type: 'device', id: issued.credential.id },
      origin: auditOrigin(req),
    });
    res.json(issued);
  });

  r.post('/devices/:id/revoke', guard('POST /api/v1/devices/:id/revoke'), async (req, res) => {
    let revoked;
    try {
      revoked = await deps.devices.revoke(String(req.params['id']));
    } catch (err) {
      deviceError(err);
    }
    await deps.audit.record({
      actor: auditActor(res),
      action: 'device.credential.revoke',
      target: { type: 'device', id: revoked.id },
      origin: auditOrigin(req),
    });
    res.json(revoked);
  });

  return r;
}
