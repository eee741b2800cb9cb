import type { z } from 'zod';
import { CASE_CATEGORIES, caseCategory, type CaseCategory } from '@shared/domain/caseCategories';
import type { District } from '@shared/schemas/geo.schema';
import {
  MAX_DESCRIPTION_CHARS,
  MAX_RANGE_MS,
  type GeoReportService,
  type Open311ServiceRequest,
  type Open311Status,
} from '@shared/schemas/open311.schema';
import {
  type CANCEL_REASONS,
  OPEN_WORK_ORDER_STATES,
  WORK_ORDER_STATE_NAMES,
  type WorkOrder,
  type WorkOrderState,
} from '@shared/schemas/workOrder.schema';
import { shanghaiDate, shanghaiLocalIso } from '@shared/domain/shanghaiTime';

/**
 * Open311 GeoReport v2 rules, pure: how a case (案卷) reads as a service request, W3C dates in
 * Asia/Shanghai time, the search window, and refusals in words that name the field. The clock is
 * passed in.
 */

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

/** The states Open311 calls `closed`: 结案, 评价, 作废. */
const CLOSED_STATES: readonly WorkOrderState[] = ['closed', 'evaluated', 'cancelled'];

/** An instant as a W3C datetime in Asia/Shanghai time: `2026-11-21T14:05:09+08:00`. */
export function w3cShanghai(at: number): string {
  return `${shanghaiLocalIso(at)}+08:00`;
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
    if (Number.isNaN(day) || shanghaiDate(day) !== text) return null;
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
export function statusOf(state: WorkOrderState): Open311Status {
  return CLOSED_STATES.includes(state) ? 'closed' : 'open';
}

/**
 * The work-order states a search's `status` list selects: one status narrows to its states;
 * none, or both, selects every state (undefined).
 */
export function statesOf(
  statuses: readonly Open311Status[] | undefined,
): readonly WorkOrderState[] | undefined {
  const wanted = new Set(statuses ?? []);
  if (wanted.size !== 1) return undefined;
  return wanted.has('open') ? OPEN_WORK_ORDER_STATES : CLOSED_STATES;
}

const lastEntry = (order: WorkOrder, match: (e: WorkOrder['timeline'][number]) => boolean) =>
  [...order.timeline].reverse().find(match);

/** Why a case was cancelled, in words fit for the public. */
const PUBLIC_CANCEL_REASONS = new Map<string, { zh: string; en: string }>(
  Object.entries({
    'false-alarm': { zh: '经核实为误报', en: 'reported in error' },
    duplicate: { zh: '与已受理的案件重复', en: 'a duplicate of a request already being handled' },
    'not-a-case': { zh: '不属于城市管理受理范围', en: 'not a matter for city management' },
    other: { zh: '其他原因', en: 'for another reason' },
  } satisfies Record<(typeof CANCEL_REASONS)[number], { zh: string; en: string }>),
);

/**
 * A short bilingual note of where the case stands (`已派遣 · Dispatched`); a cancelled case says
 * why in fixed words for its reason code. Notes, comments and department names are written for
 * colleagues and never published.
 */
export function statusNotes(order: WorkOrder): string {
  const name = WORK_ORDER_STATE_NAMES[order.state];
  if (order.state === 'cancelled') {
    const reason = lastEntry(order, (e) => e.action === 'cancel')?.data?.['reason'];
    const why = typeof reason === 'string' ? PUBLIC_CANCEL_REASONS.get(reason) : undefined;
    if (why) return `${name.zh}：${why.zh} · ${name.en}: ${why.en}`;
  }
  return `${name.zh} · ${name.en}`;
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

/** What was kept of a citizen's request that may be shown beside the case: never who reported it. */
export interface ShownRequestFacts {
  /** The service code the citizen chose. */
  serviceCode: string;
  mediaUrl?: string;
  addressString?: string;
  addressId?: string;
}

/** A case as an Open311 service request, with what the citizen gave that may be shown (never who they are). */
export function toServiceRequest(
  order: WorkOrder,
  stored: ShownRequestFacts | null,
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

/** Form fields arrive as text; an empty field is the same as one left out. A repeated field stays an array (refused). */
export function fieldsOf(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return {};
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== '' && v !== null));
}

/** The first problem of a parse of `fields`, as a 400 in words that name the field. */
export function refusalOf(error: z.ZodError, fields: Record<string, unknown>): Open311Error {
  const issue = error.issues[0];
  const field = issue?.path.map(String).join('.') || 'request';
  if (issue?.path.length === 1 && fields[field] === undefined)
    return new Open311Error(400, `${field} is required`);
  if (field === 'description' && issue?.code === 'too_big')
    return new Open311Error(400, `description is longer than ${MAX_DESCRIPTION_CHARS} characters`);
  return new Open311Error(400, `${field} is invalid: ${issue?.message ?? 'bad value'}`);
}

const byServiceCode = new Map(CASE_CATEGORIES.map((c) => [c.serviceCode, c]));

/** The case category of a service code; an unknown code is refused (400). */
export function categoryOfCode(code: string): CaseCategory {
  const category = byServiceCode.get(code);
  if (!category)
    throw new Open311Error(400, `service_code ${code} is unknown; GET services.json lists the codes`);
  return category;
}

/** 案卷 title: the service's name and the start of what the citizen wrote. */
export function titleOf(category: CaseCategory, description: string | undefined): string {
  const start = description?.replace(/\s+/g, ' ').trim().slice(0, 60);
  return start ? `${category.name.zh}：${start}` : category.name.zh;
}
