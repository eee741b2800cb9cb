/**
 * 案卷类别 — the case categories of 数字城管 (GB/T 30428): 部件 (components: pieces of
 * urban infrastructure) and 事件 (events), each a class and a subclass. A category
 * names the worker skill it needs, its default urgency, the sensor families whose
 * alerts become cases of it, and the Open311 service code citizens report it under.
 * Pure data: the server, the client and the simulators read it.
 */

export type CaseKind = 'component' | 'event';
export type Urgency = 'emergency' | 'urgent' | 'normal';

/** Worker skills (workers.json `skills`): each the know-how for one family of cases. */
export const WORKER_SKILLS = [
  'manhole',
  'streetlight',
  'feeder',
  'waste-bin',
  'traffic',
  'waterlogging',
  'smoke',
  'air',
] as const;
export type WorkerSkill = (typeof WORKER_SKILLS)[number];

/** Skill names for people, zh first (dispatch reasons say 具备技能：井盖, never the id). */
export const SKILL_NAMES: Record<WorkerSkill, { zh: string; en: string }> = {
  manhole: { zh: '井盖', en: 'manhole covers' },
  streetlight: { zh: '路灯', en: 'streetlights' },
  feeder: { zh: '供电设施', en: 'power feeders' },
  'waste-bin': { zh: '市容环卫', en: 'waste and litter' },
  traffic: { zh: '道路交通', en: 'road traffic' },
  waterlogging: { zh: '防汛排涝', en: 'waterlogging' },
  smoke: { zh: '火情烟雾', en: 'smoke and fire' },
  air: { zh: '大气污染', en: 'air pollution' },
};

/** A skill's name; the id itself for a skill the table does not know (a city pack's own). */
export function skillName(skill: string): { zh: string; en: string } {
  return Object.hasOwn(SKILL_NAMES, skill) ? SKILL_NAMES[skill as WorkerSkill] : { zh: skill, en: skill };
}

export interface CaseCategory {
  /** `{kind}.{class}.{subclass}`, e.g. `component.public-facility.manhole`. */
  id: string;
  kind: CaseKind;
  /** 大类 */
  className: { zh: string; en: string };
  /** 小类 */
  name: { zh: string; en: string };
  /** Worker skill needed (workers.json `skills`), or null when any worker can handle it. */
  skill: WorkerSkill | null;
  urgency: Urgency;
  /** Sensor subtypes whose alerts become cases of this category. */
  sensorSubtypes: readonly string[];
  /** Alert metrics that map to this category when the sensor family alone does not decide. */
  metrics: readonly string[];
  /** Open311 GeoReport v2 `service_code`. */
  serviceCode: string;
  /** Open311 keywords (comma-separated in services.json). */
  keywords: readonly string[];
}

export const CASE_CATEGORIES: readonly CaseCategory[] = [
  {
    id: 'component.public-facility.manhole',
    kind: 'component',
    className: { zh: '公用设施', en: 'Public facilities' },
    name: { zh: '井盖', en: 'Manhole cover' },
    skill: 'manhole',
    urgency: 'emergency',
    sensorSubtypes: ['manhole'],
    metrics: ['tilt'],
    serviceCode: '101',
    keywords: ['manhole', '井盖', 'cover'],
  },
  {
    id: 'component.public-facility.streetlight',
    kind: 'component',
    className: { zh: '公用设施', en: 'Public facilities' },
    name: { zh: '路灯', en: 'Streetlight' },
    skill: 'streetlight',
    urgency: 'normal',
    sensorSubtypes: ['streetlight'],
    metrics: ['lampOn', 'lampFault'],
    serviceCode: '102',
    keywords: ['streetlight', '路灯', 'lamp'],
  },
  {
    id: 'component.public-facility.power-feeder',
    kind: 'component',
    className: { zh: '公用设施', en: 'Public facilities' },
    name: { zh: '供电设施', en: 'Power feeder' },
    skill: 'feeder',
    urgency: 'urgent',
    sensorSubtypes: ['feeder'],
    metrics: ['feederLoad', 'feederOnline'],
    serviceCode: '103',
    keywords: ['power', '供电', 'outage', '停电'],
  },
  {
    id: 'component.city-appearance.waste-bin',
    kind: 'component',
    className: { zh: '市容环境', en: 'City appearance' },
    name: { zh: '垃圾箱', en: 'Waste bin' },
    skill: 'waste-bin',
    urgency: 'normal',
    sensorSubtypes: ['waste-bin'],
    metrics: ['fillLevel'],
    serviceCode: '201',
    keywords: ['bin', '垃圾', 'overflow', '满溢'],
  },
  {
    id: 'component.road-traffic.detector',
    kind: 'component',
    className: { zh: '道路交通', en: 'Road traffic' },
    name: { zh: '交通检测设备', en: 'Traffic detector' },
    skill: 'traffic',
    urgency: 'normal',
    sensorSubtypes: [],
    metrics: [],
    serviceCode: '301',
    keywords: ['detector', '检测器'],
  },
  {
    id: 'event.emergency.waterlogging',
    kind: 'event',
    className: { zh: '突发事件', en: 'Emergencies' },
    name: { zh: '道路积水', en: 'Waterlogging' },
    skill: 'waterlogging',
    urgency: 'emergency',
    sensorSubtypes: ['waterlogging'],
    metrics: ['waterDepth', 'rainfall'],
    serviceCode: '401',
    keywords: ['flood', '积水', 'waterlogging'],
  },
  {
    id: 'event.emergency.fire',
    kind: 'event',
    className: { zh: '突发事件', en: 'Emergencies' },
    name: { zh: '火情烟雾', en: 'Smoke or fire' },
    skill: 'smoke',
    urgency: 'emergency',
    sensorSubtypes: ['smoke'],
    metrics: ['smoke'],
    serviceCode: '402',
    keywords: ['fire', 'smoke', '火', '烟'],
  },
  {
    id: 'event.street-order.traffic',
    kind: 'event',
    className: { zh: '街面秩序', en: 'Street order' },
    name: { zh: '交通拥堵与事故', en: 'Congestion or accident' },
    skill: 'traffic',
    urgency: 'urgent',
    sensorSubtypes: ['loop-detector'],
    metrics: ['speed', 'volume', 'occupancy', 'tpi', 'tti'],
    serviceCode: '501',
    keywords: ['traffic', '拥堵', 'accident', '事故'],
  },
  {
    id: 'event.city-appearance.air-pollution',
    kind: 'event',
    className: { zh: '市容环境', en: 'City appearance' },
    name: { zh: '大气污染源', en: 'Air pollution source' },
    skill: 'air',
    urgency: 'urgent',
    sensorSubtypes: ['aq-station', 'weather-station'],
    metrics: ['aqi', 'pm25', 'pm10', 'o3', 'no2', 'so2', 'co'],
    serviceCode: '202',
    keywords: ['smog', '污染', 'dust', '扬尘', 'burning', '焚烧'],
  },
  {
    id: 'event.city-appearance.litter',
    kind: 'event',
    className: { zh: '市容环境', en: 'City appearance' },
    name: { zh: '暴露垃圾', en: 'Exposed litter' },
    skill: 'waste-bin',
    urgency: 'normal',
    sensorSubtypes: [],
    metrics: [],
    serviceCode: '203',
    keywords: ['litter', '垃圾', 'rubbish'],
  },
  {
    id: 'event.construction.unlicensed',
    kind: 'event',
    className: { zh: '施工管理', en: 'Construction' },
    name: { zh: '违规施工', en: 'Unlicensed works' },
    skill: null,
    urgency: 'normal',
    sensorSubtypes: [],
    metrics: [],
    serviceCode: '601',
    keywords: ['construction', '施工', 'noise', '噪声'],
  },
  {
    id: 'event.other.other',
    kind: 'event',
    className: { zh: '其它', en: 'Other' },
    name: { zh: '其它问题', en: 'Other problem' },
    skill: null,
    urgency: 'normal',
    sensorSubtypes: [],
    metrics: [],
    serviceCode: '999',
    keywords: ['other', '其它'],
  },
];

export const CASE_CATEGORY_IDS = CASE_CATEGORIES.map((c) => c.id) as [string, ...string[]];

const byId = new Map(CASE_CATEGORIES.map((c) => [c.id, c]));

export function caseCategory(id: string): CaseCategory | undefined {
  return byId.get(id);
}

/**
 * The category an alert becomes: by the sensor family when the alert is about a sensor, else
 * by its metric (area rules); `event.other.other` when neither fits.
 */
export function categoryForAlert(subtype: string | undefined, metric: string | undefined): CaseCategory {
  const hit =
    (subtype ? CASE_CATEGORIES.find((c) => c.sensorSubtypes.includes(subtype)) : undefined) ??
    (metric ? CASE_CATEGORIES.find((c) => c.metrics.includes(metric)) : undefined);
  return hit ?? (byId.get('event.other.other') as CaseCategory);
}

/**
 * Stages a case goes through, each with its own time limit:
 * dispatch (立案→派遣), response (派遣→接单), arrival (接单→到场签到),
 * handling (到场→反馈), verification (反馈→核实结案), redispatch (a returned case
 * back to a worker), department (a case escalated to a department, until its reply).
 */
export const SLA_STAGES = [
  'dispatch',
  'response',
  'arrival',
  'handling',
  'verification',
  'redispatch',
  'department',
] as const;
export type SlaStage = (typeof SLA_STAGES)[number];

/** Time limits in minutes per stage. */
export type StageLimits = Record<SlaStage, number>;

/**
 * Default limits per urgency (minutes). Response ≤ 30 min for grid workers and ≤ 15 min
 * for emergencies (DOMAIN.md §2); the rest follow common 数字城管 practice: emergencies
 * handled within 2 hours, urgent cases within 4, normal ones within a working day.
 */
export const DEFAULT_STAGE_LIMITS: Record<Urgency, StageLimits> = {
  emergency: {
    dispatch: 5,
    response: 15,
    arrival: 30,
    handling: 120,
    verification: 60,
    redispatch: 10,
    department: 240,
  },
  urgent: {
    dispatch: 15,
    response: 30,
    arrival: 60,
    handling: 240,
    verification: 120,
    redispatch: 15,
    department: 480,
  },
  normal: {
    dispatch: 30,
    response: 30,
    arrival: 120,
    handling: 480,
    verification: 240,
    redispatch: 30,
    department: 1440,
  },
};

/** The stages counted in a case's overall deadline (按期结案: reported within it). */
export const DEADLINE_STAGES: readonly SlaStage[] = ['dispatch', 'response', 'arrival', 'handling'];
