import { describe, expect, it } from 'vitest';
import { DispatchSuggestionSchema, type DispatchSuggestion } from '@shared/schemas/workOrder.schema';
import { WorkerSchema, type Worker } from '@shared/schemas/worker.schema';
import {
  LIVE_POSITION_MAX_AGE_MS,
  LOAD_PENALTY_KM,
  pickAutoDispatch,
  rankWorkers,
  type RankInput,
} from '../../../../server/src/domain/workOrders/dispatch';

const MIN = 60_000;
/** 10:00 on 21 Nov 2026 in Shanghai (UTC+8); tests run with TZ=UTC. */
const NOW = Date.UTC(2026, 10, 21, 10, 0) - 8 * 60 * MIN;

const DISTRICT = '330106';
const SITE_CELL = '330106001001001';
const NEIGHBOUR_CELL = '330106001001002';
const FAR_CELL = '330106002003009';
const OTHER_DISTRICT_CELL = '330105001001001';
const SITE: [number, number] = [120.15, 30.27];

/** A point `km` north of the site (a degree of latitude is 111.195 km on turf's sphere). */
const north = (km: number): [number, number] => [SITE[0], SITE[1] + km / 111.195];

const ROUND_THE_CLOCK = { start: '00:00', end: '00:00' };
const NIGHTS = { start: '20:00', end: '08:00' };

function worker(id: string, over: Partial<Worker> = {}): Worker {
  return WorkerSchema.parse({
    id,
    name: `网格员${id}`,
    phone: '13800000000',
    districtId: DISTRICT,
    gridCellIds: [SITE_CELL],
    skills: ['manhole'],
    shift: ROUND_THE_CLOCK,
    location: north(1),
    ...over,
  });
}

function rank(workers: Worker[], over: Partial<RankInput> = {}): DispatchSuggestion[] {
  return rankWorkers({
    site: { location: SITE, gridCellId: SITE_CELL, districtId: DISTRICT, skill: 'manhole' },
    workers,
    neighbourCells: new Set([NEIGHBOUR_CELL]),
    now: NOW,
    positions: new Map(),
    loads: new Map(),
    limit: 10,
    ...over,
  });
}

const ids = (list: DispatchSuggestion[]): string[] => list.map((s) => s.workerId);

describe('rankWorkers', () => {
  it('ranks a worker covering the cell above one covering a neighbour, above the district, above the rest', () => {
    const list = rank([
      worker('w-none', { districtId: '330105', gridCellIds: [OTHER_DISTRICT_CELL], location: north(0.1) }),
      worker('w-district', { gridCellIds: [FAR_CELL], location: north(0.2) }),
      worker('w-neighbour', { gridCellIds: [NEIGHBOUR_CELL], location: north(0.3) }),
      worker('w-cell', { location: north(5) }),
    ]);
    expect(ids(list)).toEqual(['w-cell', 'w-neighbour', 'w-district', 'w-none']);
    expect(list.map((s) => s.coverage)).toEqual(['cell', 'neighbour', 'district', 'none']);
  });

  it('ranks a covering off-duty worker above an on-duty worker of a neighbouring cell', () => {
    const list = rank([
      worker('w-neighbour', { gridCellIds: [NEIGHBOUR_CELL], location: north(0.1) }),
      worker('w-cell', { shift: NIGHTS, location: north(8) }),
    ]);
    expect(ids(list)).toEqual(['w-cell', 'w-neighbour']);
    expect(list[0]).toMatchObject({ coverage: 'cell', onDuty: false });
    expect(list[1]).toMatchObject({ coverage: 'neighbour', onDuty: true });
  });

  it('ranks an on-duty worker without the skill above an off-duty one with it', () => {
    const list = rank([
      worker('w-skilled', { shift: NIGHTS, location: north(0.1) }),
      worker('w-unskilled', { skills: ['streetlight'], location: north(6) }),
    ]);
    expect(ids(list)).toEqual(['w-unskilled', 'w-skilled']);
    expect(list[0]).toMatchObject({ onDuty: true, hasSkill: false });
  });

  it('ranks a distant worker with the skill above a nearby one without it', () => {
    const list = rank([
      worker('w-near', { skills: [], location: north(0.1) }),
      worker('w-far', { location: north(10) }),
    ]);
    expect(ids(list)).toEqual(['w-far', 'w-near']);
  });

  it('weighs each open case as LOAD_PENALTY_KM of extra distance', () => {
    expect(LOAD_PENALTY_KM).toBe(1);
    const near = worker('w-near', { location: north(0.5) });
    const far = worker('w-far', { location: north(2) });
    // 0.5 km + 3 cases = 3.5 against 2 km + 0 = 2: the farther, idle worker wins.
    expect(ids(rank([near, far], { loads: new Map([['w-near', 3]]) }))).toEqual(['w-far', 'w-near']);
    // 0.5 km + 1 case = 1.5 against 2: the nearer one still wins.
    expect(ids(rank([near, far], { loads: new Map([['w-near', 1]]) }))).toEqual(['w-near', 'w-far']);
  });

  it('breaks equal scores by worker id', () => {
    const list = rank([worker('w-c'), worker('w-a'), worker('w-b')]);
    expect(ids(list)).toEqual(['w-a', 'w-b', 'w-c']);
  });

  it('measures from a live position reported within the last 15 minutes', () => {
    const positions = new Map([['w-1', { location: north(0.8), at: NOW - LIVE_POSITION_MAX_AGE_MS }]]);
    const [s] = rank([worker('w-1', { location: north(5) })], { positions });
    expect(s?.livePosition).toBe(true);
    expect(s?.distanceKm).toBeCloseTo(0.8, 3);
    expect(s?.reasons).toContainEqual({ zh: '距离 0.8 km（实时位置）', en: '0.8 km away (live position)' });
  });

  it('measures from the home base when the live position is older than 15 minutes', () => {
    const positions = new Map([['w-1', { location: north(0.8), at: NOW - LIVE_POSITION_MAX_AGE_MS - 1 }]]);
    const [s] = rank([worker('w-1', { location: north(5) })], { positions });
    expect(s?.livePosition).toBe(false);
    expect(s?.distanceKm).toBeCloseTo(5, 3);
    expect(s?.reasons).toContainEqual({ zh: '距离 5.0 km（驻点）', en: '5.0 km away (home base)' });
  });

  it('lets a fresh live position reorder workers of the same standing', () => {
    const a = worker('w-a', { location: north(1) });
    const b = worker('w-b', { location: north(3) });
    expect(ids(rank([a, b]))).toEqual(['w-a', 'w-b']);
    const positions = new Map([['w-b', { location: north(0.2), at: NOW - 2 * MIN }]]);
    expect(ids(rank([a, b], { positions }))).toEqual(['w-b', 'w-a']);
  });

  it('counts everyone as skilled when the category needs no skill', () => {
    const list = rank([worker('w-1', { skills: [] })], {
      site: { location: SITE, gridCellId: SITE_CELL, districtId: DISTRICT, skill: null },
    });
    expect(list[0]?.hasSkill).toBe(true);
    expect(list[0]?.reasons).toContainEqual({ zh: '无需专门技能', en: 'no special skill needed' });
  });

  it('explains each factor in Chinese and English', () => {
    const list = rank(
      [
        worker('w-cell', { location: north(0.8) }),
        worker('w-neighbour', {
          gridCellIds: [NEIGHBOUR_CELL],
          skills: [],
          shift: NIGHTS,
          location: north(2),
        }),
      ],
      {
        loads: new Map([
          ['w-cell', 2],
          ['w-neighbour', 1],
        ]),
      },
    );
    expect(list[0]?.reasons).toEqual([
      { zh: '负责该网格', en: 'covers the cell' },
      { zh: '在岗', en: 'on duty' },
      { zh: '具备技能：井盖', en: 'skill: manhole covers' },
      { zh: '距离 0.8 km（驻点）', en: '0.8 km away (home base)' },
      { zh: '在办 2 件', en: '2 open cases' },
    ]);
    expect(list[1]?.reasons).toEqual([
      { zh: '邻近网格', en: 'covers a neighbouring cell' },
      { zh: '不在岗', en: 'off duty' },
      { zh: '缺少技能', en: 'lacks the skill' },
      { zh: '距离 2.0 km（驻点）', en: '2.0 km away (home base)' },
      { zh: '在办 1 件', en: '1 open case' },
    ]);
  });

  it('returns at most `limit` suggestions, ranked from 1', () => {
    const workers = ['w-1', 'w-2', 'w-3', 'w-4', 'w-5'].map((id, i) =>
      worker(id, { location: north(i + 1) }),
    );
    const list = rank(workers, { limit: 2 });
    expect(ids(list)).toEqual(['w-1', 'w-2']);
    expect(list.map((s) => s.rank)).toEqual([1, 2]);
    expect(rank(workers, { limit: 0 })).toEqual([]);
  });

  it('gives scores that sort like the list and spell out the factors', () => {
    const list = rank(
      [
        worker('w-none', {
          districtId: '330105',
          gridCellIds: [OTHER_DISTRICT_CELL],
          skills: [],
          shift: NIGHTS,
        }),
        worker('w-neighbour', {
          gridCellIds: [NEIGHBOUR_CELL],
          skills: [],
          shift: NIGHTS,
          location: north(2.5),
        }),
        worker('w-cell', { location: north(0.5) }),
        worker('w-cell-busy', { location: north(0.5) }),
      ],
      { loads: new Map([['w-cell-busy', 4]]) },
    );
    const scores = list.map((s) => s.score);
    expect(scores).toEqual([...scores].sort((a, b) => a - b));
    expect(list.find((s) => s.workerId === 'w-cell')?.score).toBe(0.5);
    expect(list.find((s) => s.workerId === 'w-cell-busy')?.score).toBe(4.5);
    // neighbour tier 1, off duty, lacks the skill, 2.5 km.
    expect(list.find((s) => s.workerId === 'w-neighbour')?.score).toBe(1_110_002.5);
    expect(list.find((s) => s.workerId === 'w-none')?.score).toBe(3_110_001);
  });

  it('returns suggestions that satisfy the shared schema', () => {
    const list = rank([worker('w-1'), worker('w-2', { gridCellIds: [NEIGHBOUR_CELL] })], {
      positions: new Map([['w-2', { location: north(0.1234567), at: NOW }]]),
    });
    for (const s of list) expect(DispatchSuggestionSchema.parse(s)).toEqual(s);
    expect(list[1]?.distanceKm).toBe(0.123);
  });
});

describe('pickAutoDispatch', () => {
  it('picks the top suggestion when it covers the cell, is on duty and has the skill', () => {
    const list = rank([worker('w-2', { location: north(3) }), worker('w-1')]);
    expect(pickAutoDispatch(list)?.workerId).toBe('w-1');
  });

  it('picks a top suggestion covering a neighbouring cell', () => {
    const list = rank([worker('w-1', { gridCellIds: [NEIGHBOUR_CELL] })]);
    expect(pickAutoDispatch(list)?.workerId).toBe('w-1');
  });

  it('refuses when the top worker is off duty', () => {
    const list = rank([worker('w-1', { shift: NIGHTS }), worker('w-2', { gridCellIds: [NEIGHBOUR_CELL] })]);
    expect(list[0]?.workerId).toBe('w-1');
    expect(pickAutoDispatch(list)).toBeNull();
  });

  it('refuses when the top worker lacks the skill', () => {
    expect(pickAutoDispatch(rank([worker('w-1', { skills: ['streetlight'] })]))).toBeNull();
  });

  it('refuses when the top worker only shares the district', () => {
    expect(pickAutoDispatch(rank([worker('w-1', { gridCellIds: [FAR_CELL] })]))).toBeNull();
  });

  it('refuses when the top worker covers nothing near the site', () => {
    const list = rank([worker('w-1', { districtId: '330105', gridCellIds: [OTHER_DISTRICT_CELL] })]);
    expect(pickAutoDispatch(list)).toBeNull();
  });

  it('refuses when there is no suggestion', () => {
    expect(pickAutoDispatch([])).toBeNull();
  });
});
