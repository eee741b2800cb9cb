import turfDistance from '@turf/distance';
import { point } from '@turf/helpers';
import { skillName } from '@shared/domain/caseCategories';
import type { I18nName } from '@shared/schemas/common.schema';
import type { DispatchSuggestion } from '@shared/schemas/workOrder.schema';
import type { Worker } from '@shared/schemas/worker.schema';
import { onDuty } from './roster';

/**
 * 任务派遣 — ranking grid workers for a case, pure. Criteria, most important first:
 *
 * 1. coverage: the worker covers the site's cell (`cell`), a cell touching it
 *    (`neighbour`), another cell of the same district (`district`), or none of these;
 * 2. on duty now (their shift, see roster.ts);
 * 3. has the skill the case category needs (a category without a skill: everyone has it);
 * 4. score = distance to the site (km) + LOAD_PENALTY_KM × open cases, lower first;
 *    ties by worker id.
 *
 * The first three are lexicographic: a covering off-duty worker ranks above an on-duty
 * neighbour, however far or busy. Nobody is excluded; the caller decides (see
 * `pickAutoDispatch`).
 */

/** A live position older than this (ms) is ignored and the worker's home base is used. */
export const LIVE_POSITION_MAX_AGE_MS = 15 * 60_000;
/** Each open case counts as this many km of extra distance. */
export const LOAD_PENALTY_KM = 1;

export interface RankInput {
  /** The case's site. `skill`: the one its category needs, or null. */
  site: { location: [number, number]; gridCellId: string; districtId: string; skill: string | null };
  workers: readonly Worker[];
  /** Cells sharing an edge or corner with the site's cell (the caller computes them). */
  neighbourCells: ReadonlySet<string>;
  /** Epoch ms. */
  now: number;
  /** Latest live position per worker id (reported from the phone). */
  positions: ReadonlyMap<string, { location: [number, number]; at: number }>;
  /** Open cases assigned per worker id. */
  loads: ReadonlyMap<string, number>;
  /** Return at most this many. */
  limit: number;
}

type Coverage = DispatchSuggestion['coverage'];
const COVERAGE_TIERS: readonly Coverage[] = ['cell', 'neighbour', 'district', 'none'];

const COVERAGE_REASONS: Record<Coverage, I18nName> = {
  cell: { zh: '负责该网格', en: 'covers the cell' },
  neighbour: { zh: '邻近网格', en: 'covers a neighbouring cell' },
  district: { zh: '同区', en: 'same district' },
  none: { zh: '非本区', en: 'outside the district' },
};

/**
 * The composite `score`, so that it alone sorts like the list:
 * tier × 1,000,000 + off-duty × 100,000 + lacks-skill × 10,000 + min(base, 9,999.999),
 * where tier is 0 cell, 1 neighbour, 2 district, 3 none and base = distance km +
 * LOAD_PENALTY_KM × load; rounded to 3 decimals (metres). Reading the digits left to right
 * gives the factors (3 110 012.5: no coverage, off duty, lacks the skill, 12.5 km-equivalent).
 * The cap only keeps the digits apart; a base that large cannot happen within a city.
 */
const TIER_WEIGHT = 1_000_000;
const OFF_DUTY_WEIGHT = 100_000;
const NO_SKILL_WEIGHT = 10_000;
const BASE_CAP = 9_999.999;

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

interface Ranked {
  worker: Worker;
  tier: number;
  onDuty: boolean;
  hasSkill: boolean;
  distanceKm: number;
  livePosition: boolean;
  load: number;
  base: number;
}

function coverageOf(worker: Worker, input: RankInput): Coverage {
  if (worker.gridCellIds.includes(input.site.gridCellId)) return 'cell';
  if (worker.gridCellIds.some((c) => input.neighbourCells.has(c))) return 'neighbour';
  if (worker.districtId === input.site.districtId) return 'district';
  return 'none';
}

function assess(worker: Worker, input: RankInput): Ranked {
  const live = input.positions.get(worker.id);
  const livePosition = live !== undefined && input.now - live.at <= LIVE_POSITION_MAX_AGE_MS;
  const from = live && livePosition ? live.location : worker.location;
  const distanceKm = turfDistance(point(from), point(input.site.location), { units: 'kilometers' });
  const load = input.loads.get(worker.id) ?? 0;
  const skill = input.site.skill;
  return {
    worker,
    tier: COVERAGE_TIERS.indexOf(coverageOf(worker, input)),
    onDuty: onDuty(worker.shift, input.now),
    hasSkill: skill === null || worker.skills.includes(skill),
    distanceKm,
    livePosition,
    load,
    base: distanceKm + LOAD_PENALTY_KM * load,
  };
}

function compare(a: Ranked, b: Ranked): number {
  return (
    a.tier - b.tier ||
    Number(b.onDuty) - Number(a.onDuty) ||
    Number(b.hasSkill) - Number(a.hasSkill) ||
    a.base - b.base ||
    (a.worker.id < b.worker.id ? -1 : a.worker.id > b.worker.id ? 1 : 0)
  );
}

function reasonsOf(r: Ranked, coverage: Coverage, skill: string | null): I18nName[] {
  const km = r.distanceKm.toFixed(1);
  return [
    COVERAGE_REASONS[coverage],
    r.onDuty ? { zh: '在岗', en: 'on duty' } : { zh: '不在岗', en: 'off duty' },
    skill === null
      ? { zh: '无需专门技能', en: 'no special skill needed' }
      : r.hasSkill
        ? { zh: `具备技能：${skillName(skill).zh}`, en: `skill: ${skillName(skill).en}` }
        : { zh: '缺少技能', en: 'lacks the skill' },
    r.livePosition
      ? { zh: `距离 ${km} km（实时位置）`, en: `${km} km away (live position)` }
      : { zh: `距离 ${km} km（驻点）`, en: `${km} km away (home base)` },
    { zh: `在办 ${r.load} 件`, en: `${r.load} open case${r.load === 1 ? '' : 's'}` },
  ];
}

/** The workers best placed to take a case, best first, at most `limit` of them. */
export function rankWorkers(input: RankInput): DispatchSuggestion[] {
  return input.workers
    .map((w) => assess(w, input))
    .sort(compare)
    .slice(0, Math.max(0, input.limit))
    .map((r, i): DispatchSuggestion => {
      const coverage = COVERAGE_TIERS[r.tier] ?? 'none';
      return {
        workerId: r.worker.id,
        name: r.worker.name,
        rank: i + 1,
        score: round3(
          r.tier * TIER_WEIGHT +
            (r.onDuty ? 0 : OFF_DUTY_WEIGHT) +
            (r.hasSkill ? 0 : NO_SKILL_WEIGHT) +
            Math.min(r.base, BASE_CAP),
        ),
        coverage,
        onDuty: r.onDuty,
        hasSkill: r.hasSkill,
        distanceKm: round3(r.distanceKm),
        livePosition: r.livePosition,
        load: r.load,
        reasons: reasonsOf(r, coverage, input.site.skill),
      };
    });
}

/**
 * The suggestion auto-dispatch may use: the top one, only if that worker is on duty,
 * has the skill and covers the cell or a neighbouring one. Otherwise null, and the case
 * waits for a dispatcher (it must not go to someone who cannot do it).
 */
export function pickAutoDispatch(suggestions: readonly DispatchSuggestion[]): DispatchSuggestion | null {
  const top = suggestions[0];
  if (!top || !top.onDuty || !top.hasSkill) return null;
  return top.coverage === 'cell' || top.coverage === 'neighbour' ? top : null;
}
