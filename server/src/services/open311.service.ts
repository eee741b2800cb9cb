import { createHash, randomBytes } from 'node:crypto';
import { CASE_CATEGORIES } from '@shared/domain/caseCategories';
import type { AuditActor, AuditOrigin } from '@shared/schemas/audit.schema';
import type { LngLat } from '@shared/schemas/common.schema';
import type { District, GridCell } from '@shared/schemas/geo.schema';
import {
  MAX_RESULTS,
  Open311SearchSchema,
  Open311SubmitSchema,
  type GeoReportService,
  type IssuedOpen311Key,
  type Open311Created,
  type Open311Key,
  type Open311ServiceRequest,
  type Open311Submit,
} from '@shared/schemas/open311.schema';
import type { WorkOrder } from '@shared/schemas/workOrder.schema';
import {
  categoryOfCode,
  fieldsOf,
  Open311Error,
  refusalOf,
  resolveRange,
  serviceNotice,
  serviceOf,
  statesOf,
  titleOf,
  toServiceRequest,
} from '../domain/open311';
import type { AuditService } from './audit.service';
import type { Open311KeyRecord, Open311Repository, Open311RequestRecord } from './ports';
import { WorkOrderError, type WorkOrderService } from './workOrders.service';

/**
 * Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) use cases: citizens' reports (12345
 * hotline apps and other clients) become 案卷 (work orders, source `citizen`). The wire schemas are
 * in shared/schemas/open311.schema.ts, the pure rules in domain/open311.ts. The reporter's
 * personal data stays in the Open311 store and never enters the case, its timeline or any push.
 */

/** A refused key-management action (our own API's error codes). */
export class Open311KeyError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'Open311KeyError';
  }
}

/** SHA-256 of a key secret, hex: the only form of a key the store keeps. */
export function hashKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** What the Open311 store keeps of a request; `addressId` rides along in the stored JSON document. */
type StoredRequest = Open311RequestRecord & { addressId?: string };

export interface Open311Deps {
  repo: Open311Repository;
  workOrders: Pick<WorkOrderService, 'createCitizenCase' | 'find' | 'query'>;
  catalog: { cellAt(point: LngLat): GridCell | undefined; district(id: string): District | undefined };
  audit: Pick<AuditService, 'record'>;
  clock: () => number;
}

const publicKey = (k: Open311KeyRecord): Open311Key => ({
  id: k.id,
  name: k.name,
  createdAt: k.createdAt,
  createdBy: k.createdBy,
  revokedAt: k.revokedAt,
});

/** Open311 GeoReport v2 use cases: API keys, the service list, submitting and reading citizens' requests. */
export class Open311Service {
  constructor(private readonly deps: Open311Deps) {}

  // ── API keys ──────────────────────────────────────────────────────────────

  async listKeys(): Promise<Open311Key[]> {
    return (await this.deps.repo.listKeys()).map(publicKey);
  }

  /** Issue a key to a client app; the secret is returned once and only its SHA-256 is kept. */
  async issueKey(name: string, actor: AuditActor, origin: AuditOrigin): Promise<IssuedOpen311Key> {
    const secret = randomBytes(24).toString('base64url');
    const record: Open311KeyRecord = {
      id: `o311-${randomBytes(6).toString('hex')}`,
      name,
      keyHash: hashKey(secret),
      createdAt: this.deps.clock(),
      createdBy: actor.id,
      revokedAt: null,
    };
    await this.deps.repo.insertKey(record);
    await this.deps.audit.record({
      actor,
      action: 'open311.key.issue',
      target: { type: 'open311Key', id: record.id },
      after: { name },
      origin,
    });
    return { key: publicKey(record), secret };
  }

  /** Revoke a key: requests with it are refused (403) from now on. */
  async revokeKey(id: string, actor: AuditActor, origin: AuditOrigin): Promise<Open311Key> {
    const key = (await this.deps.repo.listKeys()).find((k) => k.id === id);
    if (!key) throw new Open311KeyError('not_found', `Open311 key ${id} not found`);
    const at = this.deps.clock();
    if (key.revokedAt !== null || !(await this.deps.repo.revokeKey(id, at)))
      throw new Open311KeyError('conflict', `Open311 key ${id} is already revoked`);
    await this.deps.audit.record({
      actor,
      action: 'open311.key.revoke',
      target: { type: 'open311Key', id },
      before: { revokedAt: null },
      after: { revokedAt: at },
      origin,
    });
    return publicKey({ ...key, revokedAt: at });
  }

  /** The live key a secret belongs to, or null (unknown or revoked). */
  async verifyKey(secret: string): Promise<Open311KeyRecord | null> {
    const key = await this.deps.repo.findKeyByHash(hashKey(secret));
    return key && key.revokedAt === null ? key : null;
  }

  // ── GeoReport v2 ──────────────────────────────────────────────────────────

  services(): GeoReportService[] {
    return CASE_CATEGORIES.map(serviceOf);
  }

  /**
   * POST requests.json: check the key (missing: 400, unknown or revoked: 403), the fields and
   * the place (a point inside the city's grid: there is no geocoder for `address_string`
   * offline), then register the case at once and keep the reporter's data beside it.
   */
  async submit(body: unknown, origin: AuditOrigin): Promise<Open311Created> {
    const fields = fieldsOf(body);
    const apiKey = fields['api_key'];
    if (apiKey === undefined) throw new Open311Error(400, 'api_key is required');
    if (typeof apiKey !== 'string') throw new Open311Error(400, 'api_key must be given once, as text');
    const key = await this.verifyKey(apiKey);
    if (!key) throw new Open311Error(403, 'api_key is invalid or revoked');

    const parsed = Open311SubmitSchema.safeParse(fields);
    if (!parsed.success) throw refusalOf(parsed.error, fields);
    const input = parsed.data;
    const category = categoryOfCode(input.service_code);
    const location = this.locationOf(input);

    let order: WorkOrder;
    try {
      order = await this.deps.workOrders.createCitizenCase(
        {
          category: category.id,
          title: titleOf(category, input.description),
          ...(input.description ? { description: input.description } : {}),
          ...(input.address_string ? { address: input.address_string } : {}),
          location,
          sourceRef: `open311:${key.id}`,
        },
        origin,
      );
    } catch (err) {
      if (err instanceof WorkOrderError && err.code === 'invalid_request')
        throw new Open311Error(400, `lat/long: ${err.message}`);
      throw err;
    }
    const reporter: Open311RequestRecord['reporter'] = {
      ...(input.email ? { email: input.email } : {}),
      ...(input.device_id ? { deviceId: input.device_id } : {}),
      ...(input.account_id ? { accountId: input.account_id } : {}),
      ...(input.first_name ? { firstName: input.first_name } : {}),
      ...(input.last_name ? { lastName: input.last_name } : {}),
      ...(input.phone ? { phone: input.phone } : {}),
    };
    const record: StoredRequest = {
      workOrderId: order.id,
      keyId: key.id,
      serviceCode: category.serviceCode,
      requestedAt: order.createdAt,
      reporter,
      ...(input.media_url ? { mediaUrl: input.media_url } : {}),
      ...(input.address_string ? { addressString: input.address_string } : {}),
      ...(input.address_id ? { addressId: input.address_id } : {}),
    };
    await this.deps.repo.insertRequest(record);
    return {
      service_request_id: order.id,
      service_notice: serviceNotice(order),
      account_id: input.account_id ?? null,
    };
  }

  /** The point of a request: lat and long together, inside one of the city's grid cells. */
  private locationOf(input: Open311Submit): LngLat {
    const { lat, long } = input;
    if (lat === undefined && long === undefined)
      throw new Open311Error(
        400,
        input.address_string
          ? 'lat and long are required here: address_string alone cannot be located (no geocoder is available offline)'
          : 'lat and long are required (a location is needed to find the grid cell)',
      );
    if (lat === undefined) throw new Open311Error(400, 'lat is required with long');
    if (long === undefined) throw new Open311Error(400, 'long is required with lat');
    const location: LngLat = [long, lat];
    if (!this.deps.catalog.cellAt(location))
      throw new Open311Error(
        400,
        `lat/long (${lat}, ${long}) is outside the city's grid cells; requests are taken only inside the city`,
      );
    return location;
  }

  /**
   * GET requests.json: citizens' cases, newest first, at most 1,000. `service_request_id`
   * (comma-separated) overrides every other parameter, as the spec says.
   */
  async search(query: unknown): Promise<Open311ServiceRequest[]> {
    const fields = fieldsOf(query);
    const parsed = Open311SearchSchema.safeParse(fields);
    if (!parsed.success) throw refusalOf(parsed.error, fields);
    const q = parsed.data;
    if (q.service_request_id) {
      const ids = [...new Set(q.service_request_id)];
      if (ids.length > MAX_RESULTS)
        throw new Open311Error(400, `service_request_id names more than ${MAX_RESULTS} requests`);
      const found: Open311ServiceRequest[] = [];
      for (const id of ids) {
        const request = await this.findOne(id);
        if (request) found.push(request);
      }
      return found;
    }
    const categories = q.service_code?.length ? q.service_code.map((c) => categoryOfCode(c).id) : [undefined];
    const { from, to } = resolveRange(q.start_date, q.end_date, this.deps.clock());
    const states = statesOf(q.status);
    const orders: WorkOrder[] = [];
    for (const category of new Set(categories)) {
      const page = await this.deps.workOrders.query({
        source: 'citizen',
        ...(category ? { category } : {}),
        ...(states ? { states } : {}),
        from,
        to,
        limit: MAX_RESULTS,
        offset: 0,
      });
      orders.push(...page.items);
    }
    orders.sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id));
    const result: Open311ServiceRequest[] = [];
    for (const order of orders.slice(0, MAX_RESULTS)) result.push(await this.present(order));
    return result;
  }

  /** GET requests/{id}.json: one citizen's request, or 404 (unknown, or a case that no citizen reported). */
  async find(id: string): Promise<Open311ServiceRequest> {
    const request = await this.findOne(id);
    if (!request) throw new Open311Error(404, `service request ${id} not found`);
    return request;
  }

  private async findOne(id: string): Promise<Open311ServiceRequest | null> {
    const order = await this.deps.workOrders.find(id);
    return order && order.source === 'citizen' ? this.present(order) : null;
  }

  private async present(order: WorkOrder): Promise<Open311ServiceRequest> {
    const stored = (await this.deps.repo.findRequest(order.id)) as StoredRequest | null;
    return toServiceRequest(order, stored, this.deps.catalog.district(order.districtId));
  }
}
