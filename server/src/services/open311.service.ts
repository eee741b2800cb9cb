import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CASE_CATEGORIES, caseCategory, type CaseCategory } from '@shared/domain/caseCategories';
import type { AuditActor, AuditOrigin } from '@shared/schemas/audit.schema';
import type { LngLat } from '@shared/schemas/common.schema';
import type { District, GridCell } from '@shared/schemas/geo.schema';
import {
  OPEN_WORK_ORDER_STATES,
  WORK_ORDER_STATE_NAMES,
  type WorkOrder,
  type WorkOrderState,
} from '@shared/schemas/workOrder.schema';
import type { AuditService } from './audit.service';
import type { Open311KeyRecord, Open311Repository, Open311RequestRecord } from './ports';
import { WorkOrderError, type WorkOrderService } from './workOrders.service';

/**
 * Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): citizens' reports (12345 hotline
 * apps and other clients) become 案卷 (work orders, source `citizen`). Everything is in the
 * wire format of the spec: snake_case fields, `open`/`closed` status with the detail in
 * `status_notes`, W3C datetimes. The reporter's personal data stays in the Open311 store and
 * never enters the case, its timeline or any push.
 */

/** An API key as listed to administrators: never its secret nor its hash. */
export const Open311KeySchema = z.object({
  id: z.string(),
  /** Who the key was issued to, e.g. `12345 热线 App`. */
  name: z.string(),
  /** Epoch ms. */
  createdAt: z.number().int(),
  /** User id of the issuer. */
  createdBy: z.string(),
  /** When it was revoked (epoch ms), or null while it works. */
  revokedAt: z.number().int().nullable(),
});
export type Open311Key = z.infer<typeof Open311KeySchema>;

/** `POST /api/v1/open311/keys` answer: the key and its secret, shown this once. */
export const IssuedOpen311KeySchema = z.object({ key: Open311KeySchema, secret: z.string() });

/** An element of `services.json`: a service citizens can report under (a case category). */
export const GeoReportServiceSchema = z.object({
  service_code: z.string(),
  /** The category's Chinese name (小类). */
  service_name: z.string(),
  description: z.string(),
  metadata: z.literal(false),
  type: z.literal('realtime'),
  /** Comma-separated. */
  keywords: z.string(),
  /** The category's class (大类), in Chinese. */
  group: z.string(),
});
export type GeoReportService = z.infer<typeof GeoReportServiceSchema>;

/** A service request as GET requests.json answers it. Absent facts are null, as the spec's examples show. */
export const Open311ServiceRequestSchema = z.object({
  /** The work order (案卷) id. */
  service_request_id: z.string(),
  /** `closed` once the case is closed, evaluated or cancelled. */
  status: z.enum(['open', 'closed']),
  /** Where the case stands, in Chinese and English (the cancel reason, the verifier's comment). */
  status_notes: z.string(),
  service_name: z.string(),
  service_code: z.string(),
  description: z.string().nullable(),
  agency_responsible: z.string().nullable(),
  service_notice: z.string(),
  /** W3C datetimes, Asia/Shanghai offset (+08:00). */
  requested_datetime: z.string(),
  updated_datetime: z.string(),
  /** 处置时限: the case's deadline. */
  expected_datetime: z.string(),
  address: z.string().nullable(),
  address_id: z.string().nullable(),
  zipcode: z.string().nullable(),
  lat: z.number(),
  long: z.number(),
  media_url: z.string().nullable(),
});
export type Open311ServiceRequest = z.infer<typeof Open311ServiceRequestSchema>;

/** The answer to a created request: we register synchronously, so the id comes at once (no token). */
export const Open311CreatedSchema = z.object({
  service_request_id: z.string(),
  service_notice: z.string(),
  /** The `account_id` sent, echoed; null without one. */
  account_id: z.string().nullable(),
});
export type Open311Created = z.infer<typeof Open311CreatedSchema>;

/** A refusal in Open311 terms: the HTTP status is also the `code` of the error body. */
export class Open311Error extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 415,
    message: string,
  ) {
    super(message);
    this.name = 'Open311Error';
  }
}

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

/** The spec's limits: a description of at most 4,000 characters, a search of at most 90 days and 1,000 results. */
export const MAX_DESCRIPTION_CHARS = 4000;
export const MAX_RANGE_MS = 90 * 86_400_000;
export const MAX_RESULTS = 1000;

const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
const CLOSED_STATES: readonly WorkOrderState[] = ['closed', 'evaluated', 'cancelled'];

/** SHA-256 of a key secret, hex: the only form of a key the store keeps. */
export function hashKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** An instant as a W3C datetime in Asia/Shanghai time: `2026-11-21T14:05:09+08:00`. */
export function w3cShanghai(at: number): string {
  return `${new Date(at + SHANGHAI_OFFSET_MS).toISOString().slice(0, 19)}+08:00`;
}

const W3C_DATE = /^\d{4}-\d{2}-\d{2}$/;
const W3C_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parse a W3C datetime (`2026-11-21T08:00:00+08:00`, `…Z`, seconds optional) or a bare date
 * (`2026-11-21`, read as that Asia/Shanghai day: its start, or with `endOfDay` the start of the
 * next day, so that an end date includes the whole day). Null when it is neither.
 */
export function parseW3cDate(text: string, endOfDay = false): number | null {
  if (W3C_DATE.test(text)) {
    const day = Date.parse(`${text}T00:00:00+08:00`);
    if (Number.isNaN(day) || new Date(day + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10) !== text)
      return null;
    return endOfDay ? day + 86_400_000 : day;
  }
  if (!W3C_DATETIME.test(text)) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : at;
}

/**
 * The search window of GET requests.json, as `[from, to)` epoch ms: the last 90 days by default;
 * a start alone runs 90 days on; an end alone reaches 90 days back. A window
 * longer than 90 days, or one ending before it starts, is refused naming the field.
 */
export function resolveRange(
  startDate: string | undefined,
  endDate: string | undefined,
  now: number,
): { from: number; to: number } {
  const start = startDate === undefined ? undefined : parseW3cDate(startDate);
  if (start === null)
    throw new Open311Error(400, `start_date must be a W3C datetime such as 2026-11-21T08:00:00+08:00`);
  let end: number | undefined;
  if (endDate !== undefined) {
    const parsed = parseW3cDate(endDate, true);
    if (parsed === null)
      throw new Open311Error(400, `end_date must be a W3C datetime such as 2026-11-21T18:00:00+08:00`);
    // "Latest datetime to include": an instant is inclusive; a bare date already ends after its day.
    end = W3C_DATE.test(endDate) ? parsed : parsed + 1;
  }
  const to = end ?? (start !== undefined ? start + MAX_RANGE_MS : now + 1);
  const from = start ?? to - MAX_RANGE_MS;
  if (to <= from) throw new Open311Error(400, 'end_date must be after start_date');
  if (to - from > MAX_RANGE_MS)
    throw new Open311Error(400, 'start_date and end_date may not span more than 90 days');
  return { from, to };
}

/** Open311 status: `closed` once the case is 结案, 评价 or 作废; `open` while anyone still works on it. */
export function statusOf(state: WorkOrderState): 'open' | 'closed' {
  return CLOSED_STATES.includes(state) ? 'closed' : 'open';
}

const lastEntry = (order: WorkOrder, match: (e: WorkOrder['timeline'][number]) => boolean) =>
  [...order.timeline].reverse().find(match);

/**
 * A short bilingual note of where the case stands (`已派遣 · Dispatched`); a cancelled case says
 * why, a closed one carries the verifier's comment, an escalated one names the department.
 */
export function statusNotes(order: WorkOrder): string {
  const name = WORK_ORDER_STATE_NAMES[order.state];
  let zh = name.zh;
  let en = name.en;
  if (order.state === 'cancelled') {
    const entry = lastEntry(order, (e) => e.action === 'cancel');
    const reason = typeof entry?.data?.['reason'] === 'string' ? entry.data['reason'] : undefined;
    const why = [reason, entry?.note].filter(Boolean).join(': ');
    if (why) {
      zh += `：${why}`;
      en += `: ${why}`;
    }
  } else if (order.state === 'closed' || order.state === 'evaluated') {
    const passed = lastEntry(order, (e) => e.action === 'verify' && e.data?.['result'] === 'pass');
    if (passed?.note) return `${zh} · ${en}: ${passed.note}`;
  } else if (order.state === 'escalated' && order.department) {
    zh += ` ${order.department}`;
    en += ` to ${order.department}`;
  }
  return `${zh} · ${en}`;
}

/** What a request promises: its case number and the deadline (处置时限). */
export function serviceNotice(order: Pick<WorkOrder, 'id' | 'deadlineAt'>): string {
  const due = w3cShanghai(order.deadlineAt).slice(0, 16).replace('T', ' ');
  return `已立案 ${order.id}，处置时限 ${due} · Registered as ${order.id}, to be handled by ${due} (UTC+8)`;
}

/** The `services.json` entry of a case category. */
export function serviceOf(c: CaseCategory): GeoReportService {
  return {
    service_code: c.serviceCode,
    service_name: c.name.zh,
    description: `${c.className.zh} / ${c.name.zh} · ${c.className.en}: ${c.name.en}`,
    metadata: false,
    type: 'realtime',
    keywords: c.keywords.join(','),
    group: c.className.zh,
  };
}

/** What the Open311 store keeps of a request; `addressId` rides along in the stored JSON document. */
type StoredRequest = Open311RequestRecord & { addressId?: string };

/** A case as an Open311 service request, with what the citizen gave that may be shown (never who they are). */
export function toServiceRequest(
  order: WorkOrder,
  stored: StoredRequest | null,
  district: Pick<District, 'name'> | undefined,
): Open311ServiceRequest {
  const category = caseCategory(order.category);
  return {
    service_request_id: order.id,
    status: statusOf(order.state),
    status_notes: statusNotes(order),
    service_name: category?.name.zh ?? order.category,
    service_code: stored?.serviceCode ?? category?.serviceCode ?? '',
    description: order.description ?? null,
    agency_responsible:
      order.department ??
      (district ? `${district.name.zh}城市管理 · ${district.name.en} city management` : null),
    service_notice: serviceNotice(order),
    requested_datetime: w3cShanghai(order.createdAt),
    updated_datetime: w3cShanghai(order.updatedAt),
    expected_datetime: w3cShanghai(order.deadlineAt),
    address: order.address ?? stored?.addressString ?? null,
    address_id: stored?.addressId ?? null,
    zipcode: null,
    lat: order.location[1],
    long: order.location[0],
    media_url: stored?.mediaUrl ?? null,
  };
}

// ── wire schemas ─────────────────────────────────────────────────────────────

const text = (max: number) => z.string().trim().min(1).max(max);
/** A coordinate as a form field (text) or a JSON number. */
const coordinate = (min: number, max: number) =>
  z
    .union([
      z.number(),
      z
        .string()
        .trim()
        .regex(/^[-+]?\d+(\.\d+)?$/, 'a decimal number')
        .transform(Number),
    ])
    .pipe(z.number().min(min).max(max));

/**
 * Fields of POST requests.json the server reads after `api_key`; others (`attribute[…]`,
 * `jurisdiction_id`) are ignored.
 */
export const Open311SubmitSchema = z.object({
  service_code: text(64),
  lat: coordinate(-90, 90).optional(),
  long: coordinate(-180, 180).optional(),
  address_string: text(500).optional(),
  address_id: text(128).optional(),
  description: z.string().trim().max(MAX_DESCRIPTION_CHARS).optional(),
  media_url: z
    .url({ protocol: /^https?$/, error: 'an http(s) URL' })
    .max(2000)
    .optional(),
  email: z.email().max(254).optional(),
  device_id: text(128).optional(),
  account_id: text(128).optional(),
  first_name: text(100).optional(),
  last_name: text(100).optional(),
  phone: text(40).optional(),
});

const csv = z
  .string()
  .max(100_000)
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

/** Query of GET requests.json; lists are comma-separated. */
export const Open311SearchSchema = z.object({
  service_request_id: csv.optional(),
  service_code: csv.optional(),
  start_date: z.string().optional(),
  end_date: z.string().optional(),
  status: csv.pipe(z.array(z.enum(['open', 'closed']))).optional(),
});

/** The first problem of a parse, in words that name the field. */
function refusal(error: z.ZodError, fields: Record<string, unknown>): Open311Error {
  const issue = error.issues[0];
  const field = issue?.path.map(String).join('.') || 'request';
  if (issue?.path.length === 1 && fields[field] === undefined)
    return new Open311Error(400, `${field} is required`);
  if (field === 'description' && issue?.code === 'too_big')
    return new Open311Error(400, `description is longer than ${MAX_DESCRIPTION_CHARS} characters`);
  return new Open311Error(400, `${field} is invalid: ${issue?.message ?? 'bad value'}`);
}

/** Form fields arrive as text; an empty field is the same as one left out. A repeated field stays an array (refused). */
function fieldsOf(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return {};
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== '' && v !== null));
}

const byServiceCode = new Map(CASE_CATEGORIES.map((c) => [c.serviceCode, c]));

function categoryOfCode(code: string): CaseCategory {
  const category = byServiceCode.get(code);
  if (!category)
    throw new Open311Error(400, `service_code ${code} is unknown; GET services.json lists the codes`);
  return category;
}

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
  async issueKey(
    name: string,
    actor: AuditActor,
    origin: AuditOrigin,
  ): Promise<{ key: Open311Key; secret: string }> {
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
    if (!parsed.success) throw refusal(parsed.error, fields);
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
  private locationOf(input: z.output<typeof Open311SubmitSchema>): LngLat {
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
    if (!parsed.success) throw refusal(parsed.error, fields);
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
    const statuses = new Set(q.status ?? []);
    const states =
      statuses.size === 1 ? (statuses.has('open') ? OPEN_WORK_ORDER_STATES : CLOSED_STATES) : undefined;
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

/** 案卷 title: the service's name and the start of what the citizen wrote. */
function titleOf(category: CaseCategory, description: string | undefined): string {
  const start = description?.replace(/\s+/g, ' ').trim().slice(0, 60);
  return start ? `${category.name.zh}：${start}` : category.name.zh;
}
