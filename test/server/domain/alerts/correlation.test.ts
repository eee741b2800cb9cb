import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Alert } from '@shared/schemas/alert.schema';
import type { Incident } from '@shared/schemas/incident.schema';
import {
  cellNeighbours,
  correlate,
  MAX_INCIDENT_CELLS,
  openIncident,
  withMember,
  type Neighbours,
} from '../../../../server/src/domain/alerts/correlation';

const MIN = 60_000;
const T0 = Date.parse('2026-03-02T08:00:00Z');
const WINDOW = 30 * MIN;

interface Cell {
  id: string;
  polygon: number[][][];
}

const square = (id: string, x0: number, y0: number, x1: number, y1: number): Cell => ({
  id,
  polygon: [
    [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
      [x0, y0],
    ],
  ],
});

/** A 4×4 grid of 0.01° squares; neighbours share the very same edge coordinates. */
const STEP = 0.01;
const lng = (col: number) => 120.1 + col * STEP;
const lat = (row: number) => 30.2 + row * STEP;
const cellId = (row: number, col: number) => `r${row}c${col}`;
const GRID: Cell[] = [];
for (let row = 0; row < 4; row++)
  for (let col = 0; col < 4; col++)
    GRID.push(square(cellId(row, col), lng(col), lat(row), lng(col + 1), lat(row + 1)));
const FAR = square('far', 121.5, 31.5, 121.51, 31.51);
const NEIGHBOURS = cellNeighbours([...GRID, FAR]);

const sorted = (n: Neighbours, id: string) => [...(n.get(id) ?? [])].sort();

/** Every id listed as a neighbour of a cell that does not list the cell back. */
function asymmetric(n: Neighbours): string[] {
  const out: string[] = [];
  for (const [a, around] of n) for (const b of around) if (!n.get(b)?.has(a)) out.push(`${a}→${b}`);
  return out;
}

/** A firing PM2.5 alert from sensor `S-<id>` in a cell of district 330102. */
function alert(id: string, cell: string | null, over: Partial<Alert> = {}): Alert {
  return {
    id,
    ruleId: 'R-pm25',
    ruleVersion: 1,
    subject: { type: 'sensor', id: `S-${id}` },
    severity: 'yellow',
    state: 'firing',
    title: { zh: `${id} PM2.5 超标`, en: `${id} PM2.5 high` },
    districtId: '330102',
    ...(cell !== null && { gridCellId: cell }),
    startsAt: T0 - 5 * MIN,
    firingAt: T0,
    updatedAt: T0,
    ...over,
  };
}

function incident(id: string, cells: string[], over: Partial<Incident> = {}): Incident {
  return {
    id,
    state: 'open',
    severity: 'yellow',
    peakSeverity: over.severity ?? 'yellow',
    title: { zh: `${id}`, en: `${id}` },
    districtIds: ['330102'],
    gridCellIds: cells,
    subjects: [`sensor:S-${id}-1`],
    alertIds: [`${id}-1`],
    openAlertIds: [`${id}-1`],
    ruleIds: ['R-pm25'],
    startsAt: T0 - 10 * MIN,
    updatedAt: T0 - 10 * MIN,
    lastActiveAt: T0 - 10 * MIN,
    ...over,
  };
}

const ctx = (now: number) => ({ neighbours: NEIGHBOURS, windowMs: WINDOW, now });

/** A lookup over the alerts the caller knows. */
const lookupOf =
  (...alerts: Alert[]) =>
  (id: string) =>
    alerts.find((a) => a.id === id);

describe('cellNeighbours', () => {
  it('lists the three cells around a corner cell, diagonal included', () => {
    expect(sorted(NEIGHBOURS, 'r0c0')).toEqual(['r0c1', 'r1c0', 'r1c1']);
  });

  it('lists the eight cells around an inner cell', () => {
    expect(sorted(NEIGHBOURS, 'r1c2')).toEqual([
      'r0c1',
      'r0c2',
      'r0c3',
      'r1c1',
      'r1c3',
      'r2c1',
      'r2c2',
      'r2c3',
    ]);
  });

  it('lists exactly the 8-neighbourhood of every grid cell, never the cell itself or farther ones', () => {
    for (let row = 0; row < 4; row++)
      for (let col = 0; col < 4; col++) {
        const expected: string[] = [];
        for (let r = row - 1; r <= row + 1; r++)
          for (let c = col - 1; c <= col + 1; c++)
            if ((r !== row || c !== col) && r >= 0 && r < 4 && c >= 0 && c < 4) expected.push(cellId(r, c));
        expect(sorted(NEIGHBOURS, cellId(row, col)), cellId(row, col)).toEqual(expected.sort());
      }
  });

  it('gives a cell far from all others an empty set', () => {
    expect(NEIGHBOURS.get('far')).toEqual(new Set());
    expect(NEIGHBOURS.size).toBe(17);
  });

  it('is symmetric', () => {
    expect(asymmetric(NEIGHBOURS)).toEqual([]);
  });

  it('does not depend on the order of the cells', () => {
    const reversed = cellNeighbours([FAR, ...GRID].reverse());
    for (const { id } of [...GRID, FAR]) expect(sorted(reversed, id), id).toEqual(sorted(NEIGHBOURS, id));
  });

  it('pairs overlapping and contained cells but not cells a hair apart', () => {
    const n = cellNeighbours([
      square('A', 120.0, 30.0, 120.01, 30.01),
      square('B', 120.005, 30.005, 120.015, 30.015), // overlaps A
      square('C', 120.01001, 29.99, 120.02, 30.006), // 0.00001° east of A, overlaps B's corner
      square('D', 120.002, 30.002, 120.003, 30.003), // inside A
      square('E', 120.0, 30.01001, 120.004, 30.02), // 0.00001° north of A, clear of B
    ]);
    expect(sorted(n, 'A')).toEqual(['B', 'D']);
    expect(sorted(n, 'B')).toEqual(['A', 'C']);
    expect(sorted(n, 'C')).toEqual(['B']);
    expect(sorted(n, 'D')).toEqual(['A']);
    expect(sorted(n, 'E')).toEqual([]);
  });

  it('pairs a long cell with every cell along its edge', () => {
    const strip = square('strip', lng(0), lat(-1), lng(4), lat(0)); // under the whole bottom row
    const n = cellNeighbours([...GRID, strip]);
    expect(sorted(n, 'strip')).toEqual(['r0c0', 'r0c1', 'r0c2', 'r0c3']);
    expect(n.get('r0c3')?.has('strip')).toBe(true);
    expect(n.get('r1c0')?.has('strip')).toBe(false);
  });

  it('gives every cell of the Hangzhou city pack at least one neighbour, symmetrically', () => {
    const file = fileURLToPath(
      new URL('../../../../server/citypacks/hangzhou/gridCells.json', import.meta.url),
    );
    const cells = JSON.parse(readFileSync(file, 'utf8')) as Cell[];
    const n = cellNeighbours(cells);
    expect(cells.length).toBeGreaterThan(100);
    expect(n.size).toBe(cells.length);
    expect(cells.filter((c) => (n.get(c.id)?.size ?? 0) === 0).map((c) => c.id)).toEqual([]);
    expect(cells.filter((c) => n.get(c.id)?.has(c.id)).map((c) => c.id)).toEqual([]);
    expect(asymmetric(n)).toEqual([]);
  });
});

describe('correlate', () => {
  const inc = incident('I1', ['r1c1']);

  it('joins an open incident in the same cell', () => {
    expect(correlate(alert('A', 'r1c1'), [inc], ctx(T0))).toBe(inc);
  });

  it('joins an open incident in an edge or corner neighbouring cell', () => {
    expect(correlate(alert('A', 'r1c2'), [inc], ctx(T0))).toBe(inc);
    expect(correlate(alert('B', 'r2c2'), [inc], ctx(T0))).toBe(inc);
  });

  it('does not join an incident two cells away', () => {
    expect(correlate(alert('A', 'r3c3'), [inc], ctx(T0))).toBeNull();
    expect(correlate(alert('B', 'r1c3'), [inc], ctx(T0))).toBeNull();
  });

  it('does not join from an unknown cell', () => {
    expect(correlate(alert('A', 'nowhere'), [inc], ctx(T0))).toBeNull();
  });

  it('chains: once a neighbour joined, the next ring joins too', () => {
    const first = alert('A', 'r1c1');
    const opened = openIncident(first, 'I9', T0);
    const far = alert('C', 'r3c3');
    expect(correlate(far, [opened], ctx(T0))).toBeNull();
    const mid = alert('B', 'r2c2');
    expect(correlate(mid, [opened], ctx(T0))).toBe(opened);
    const grown = withMember(opened, mid, T0 + MIN, lookupOf(first, mid));
    expect(correlate(far, [grown], ctx(T0 + 2 * MIN))).toBe(grown);
  });

  it('joins (reopens) a resolved incident within the window, boundary included', () => {
    const resolved = incident('I1', ['r1c1'], {
      state: 'resolved',
      openAlertIds: [],
      lastActiveAt: T0,
      resolvedAt: T0,
    });
    expect(correlate(alert('A', 'r1c1'), [resolved], ctx(T0 + WINDOW))).toBe(resolved);
  });

  it('does not join a resolved incident beyond the window', () => {
    const resolved = incident('I1', ['r1c1'], {
      state: 'resolved',
      openAlertIds: [],
      lastActiveAt: T0,
      resolvedAt: T0,
    });
    expect(correlate(alert('A', 'r1c1'), [resolved], ctx(T0 + WINDOW + 1))).toBeNull();
  });

  it('joins an open incident however long ago it was last updated', () => {
    const old = incident('I1', ['r1c1'], { lastActiveAt: T0 - 10 * WINDOW });
    expect(correlate(alert('A', 'r1c1'), [old], ctx(T0))).toBe(old);
  });

  it('chooses the most recently active of several resolved candidates', () => {
    const older = incident('I1', ['r1c1'], {
      state: 'resolved',
      openAlertIds: [],
      lastActiveAt: T0 - 20 * MIN,
    });
    const newer = incident('I2', ['r1c2'], {
      state: 'resolved',
      openAlertIds: [],
      lastActiveAt: T0 - 5 * MIN,
    });
    const a = alert('A', 'r1c1');
    expect(correlate(a, [older, newer], ctx(T0))?.id).toBe('I2');
    expect(correlate(a, [newer, older], ctx(T0))?.id).toBe('I2');
  });

  it('prefers an open incident over a more recently resolved one', () => {
    const open = incident('I1', ['r1c1'], { lastActiveAt: T0 - 25 * MIN });
    const resolved = incident('I2', ['r1c2'], {
      state: 'resolved',
      openAlertIds: [],
      lastActiveAt: T0 - MIN,
    });
    const a = alert('A', 'r1c1');
    expect(correlate(a, [resolved, open], ctx(T0))?.id).toBe('I1');
    expect(correlate(a, [open, resolved], ctx(T0))?.id).toBe('I1');
  });

  it('ignores incidents that are not near when choosing', () => {
    const near = incident('I1', ['r0c0'], {
      state: 'resolved',
      openAlertIds: [],
      lastActiveAt: T0 - 20 * MIN,
    });
    const far = incident('I2', ['far']);
    expect(correlate(alert('A', 'r1c1'), [far, near], ctx(T0))?.id).toBe('I1');
  });

  it('joins a cell-less alert only to an incident about the same subject', () => {
    const district = alert('D', null, { subject: { type: 'district', id: '330102' } });
    const sameDistrictCells = incident('I1', ['r1c1']); // districtIds ['330102'] but no such subject
    const otherDistrict = incident('I2', [], { subjects: ['district:330105'], districtIds: ['330105'] });
    const sameSubject = incident('I3', [], { subjects: ['district:330102'] });
    expect(correlate(district, [sameDistrictCells, otherDistrict], ctx(T0))).toBeNull();
    expect(correlate(district, [sameDistrictCells, otherDistrict, sameSubject], ctx(T0))?.id).toBe('I3');
  });

  it('does not join a cell alert to an incident only by subject', () => {
    const bySubject = incident('I1', [], { subjects: ['sensor:S-A'] });
    expect(correlate(alert('A', 'r1c1'), [bySubject], ctx(T0))).toBeNull();
  });

  describe('at MAX_INCIDENT_CELLS', () => {
    const fillers = (n: number) => Array.from({ length: n }, (_, i) => `x${i}`);
    const full = incident('I1', ['r1c1', ...fillers(MAX_INCIDENT_CELLS - 1)]);
    const almost = incident('I2', ['r1c1', ...fillers(MAX_INCIDENT_CELLS - 2)]);

    it('still grows to a neighbouring cell one cell below the limit', () => {
      expect(almost.gridCellIds).toHaveLength(MAX_INCIDENT_CELLS - 1);
      expect(correlate(alert('A', 'r1c2'), [almost], ctx(T0))).toBe(almost);
    });

    it('stops growing to new cells', () => {
      expect(full.gridCellIds).toHaveLength(MAX_INCIDENT_CELLS);
      expect(correlate(alert('A', 'r1c2'), [full], ctx(T0))).toBeNull();
    });

    it('still takes alerts from its own cells', () => {
      expect(correlate(alert('A', 'r1c1'), [full], ctx(T0))).toBe(full);
    });
  });
});

describe('openIncident', () => {
  it('opens an incident around its first alert', () => {
    const a = alert('A', 'r1c1', { severity: 'orange', location: [120.105, 30.215] });
    expect(openIncident(a, 'I1', T0 + MIN)).toEqual({
      id: 'I1',
      state: 'open',
      severity: 'orange',
      peakSeverity: 'orange',
      title: { zh: 'A PM2.5 超标', en: 'A PM2.5 high' },
      districtIds: ['330102'],
      gridCellIds: ['r1c1'],
      subjects: ['sensor:S-A'],
      alertIds: ['A'],
      openAlertIds: ['A'],
      ruleIds: ['R-pm25'],
      location: [120.105, 30.215],
      startsAt: T0,
      updatedAt: T0 + MIN,
      lastActiveAt: T0 + MIN,
    });
  });

  it('starts at the condition start when the alert has not fired, and leaves out unknown place', () => {
    const {
      districtId: _d,
      firingAt: _f,
      ...a
    } = alert('D', null, { subject: { type: 'district', id: '330102' } });
    const i = openIncident(a, 'I1', T0);
    expect(i).toMatchObject({
      startsAt: T0 - 5 * MIN,
      districtIds: [],
      gridCellIds: [],
      subjects: ['district:330102'],
    });
    expect('location' in i).toBe(false);
  });
});

describe('withMember', () => {
  const a = alert('A', 'r1c1', { severity: 'yellow' });
  const opened = openIncident(a, 'I1', T0);

  it('adds a joining alert, its cell, district, subject and rule', () => {
    const b = alert('B', 'r1c2', { ruleId: 'R-noise', districtId: '330105' });
    const next = withMember(opened, b, T0 + MIN, lookupOf(a, b));
    expect(next).toMatchObject({
      state: 'open',
      alertIds: ['A', 'B'],
      openAlertIds: ['A', 'B'],
      gridCellIds: ['r1c1', 'r1c2'],
      districtIds: ['330102', '330105'],
      subjects: ['sensor:S-A', 'sensor:S-B'],
      ruleIds: ['R-pm25', 'R-noise'],
      updatedAt: T0 + MIN,
      lastActiveAt: T0 + MIN,
      startsAt: T0,
    });
  });

  it('does not repeat cells, districts, rules or ids already listed', () => {
    const b = alert('B', 'r1c1');
    const once = withMember(opened, b, T0 + MIN, lookupOf(a, b));
    const acked = { ...b, state: 'acknowledged' as const };
    const twice = withMember(once, acked, T0 + 2 * MIN, lookupOf(a, acked));
    expect(twice).toMatchObject({
      alertIds: ['A', 'B'],
      openAlertIds: ['A', 'B'],
      gridCellIds: ['r1c1'],
      districtIds: ['330102'],
      subjects: ['sensor:S-A', 'sensor:S-B'],
      ruleIds: ['R-pm25'],
    });
  });

  it('takes the location of the first located alert and keeps it', () => {
    const b = alert('B', 'r1c2', { location: [120.115, 30.215] });
    const c = alert('C', 'r1c2', { location: [120.119, 30.219] });
    const withB = withMember(opened, b, T0 + MIN, lookupOf(a, b));
    const withC = withMember(withB, c, T0 + 2 * MIN, lookupOf(a, b, c));
    expect(withB.location).toEqual([120.115, 30.215]);
    expect(withC.location).toEqual([120.115, 30.215]);
  });

  it('rates the incident by the worst open member', () => {
    const red = alert('B', 'r1c2', { severity: 'red' });
    const orange = alert('C', 'r1c2', { severity: 'orange' });
    const withRed = withMember(opened, red, T0 + MIN, lookupOf(a, red));
    expect(withRed.severity).toBe('red');
    const withOrange = withMember(withRed, orange, T0 + 2 * MIN, lookupOf(a, red, orange));
    expect(withOrange.severity).toBe('red');
    const redResolved = { ...red, state: 'resolved' as const };
    const after = withMember(withOrange, redResolved, T0 + 3 * MIN, lookupOf(a, redResolved, orange));
    expect(after).toMatchObject({ state: 'open', severity: 'orange', openAlertIds: ['A', 'C'] });
  });

  it('follows a member whose own severity changes', () => {
    const worse = { ...a, severity: 'red' as const };
    expect(withMember(opened, worse, T0 + MIN, lookupOf(worse)).severity).toBe('red');
  });

  it('resolves the incident when its last open member resolves', () => {
    const b = alert('B', 'r1c2');
    const two = withMember(opened, b, T0 + MIN, lookupOf(a, b));
    const aDone = { ...a, state: 'resolved' as const };
    const one = withMember(two, aDone, T0 + 2 * MIN, lookupOf(aDone, b));
    expect(one).toMatchObject({ state: 'open', openAlertIds: ['B'] });
    expect('resolvedAt' in one).toBe(false);
    const bDone = { ...b, state: 'closed' as const };
    const none = withMember(one, bDone, T0 + 3 * MIN, lookupOf(aDone, bDone));
    expect(none).toMatchObject({
      state: 'resolved',
      openAlertIds: [],
      alertIds: ['A', 'B'],
      resolvedAt: T0 + 3 * MIN,
      severity: 'yellow',
    });
  });

  it('keeps the first resolvedAt when a resolved incident hears from a member again', () => {
    const aDone = { ...a, state: 'resolved' as const };
    const resolved = withMember(opened, aDone, T0 + MIN, lookupOf(aDone));
    const aClosed = { ...a, state: 'closed' as const };
    const later = withMember(resolved, aClosed, T0 + 5 * MIN, lookupOf(aClosed));
    expect(later).toMatchObject({ state: 'resolved', resolvedAt: T0 + MIN, updatedAt: T0 + 5 * MIN });
  });

  it('leaves lastActiveAt at the resolution when a resolved member is closed later', () => {
    const aDone = { ...a, state: 'resolved' as const };
    const resolved = withMember(opened, aDone, T0 + MIN, lookupOf(aDone));
    const aClosed = { ...a, state: 'closed' as const };
    const later = withMember(resolved, aClosed, T0 + 60 * MIN, lookupOf(aClosed));
    expect(later.lastActiveAt).toBe(T0 + MIN);
    // Consequence: a new alert 50 min after the resolution reopens it with a 30 min window.
    expect(correlate(alert('B', 'r1c1'), [later], ctx(T0 + 51 * MIN))).toBeNull();
  });

  it('rates a resolved incident by the worst of all its alerts', () => {
    const red = alert('B', 'r1c2', { severity: 'red' });
    const withRed = withMember(opened, red, T0 + MIN, lookupOf(a, red));
    const redDone = { ...red, state: 'resolved' as const };
    const yellowLeft = withMember(withRed, redDone, T0 + 2 * MIN, lookupOf(a, redDone));
    const aDone = { ...a, state: 'resolved' as const };
    const resolved = withMember(yellowLeft, aDone, T0 + 3 * MIN, lookupOf(aDone, redDone));
    expect(resolved).toMatchObject({ state: 'resolved', severity: 'red' });
  });

  it('reopens a resolved incident and clears resolvedAt when an alert joins', () => {
    const aDone = { ...a, state: 'resolved' as const };
    const resolved = withMember(opened, aDone, T0 + MIN, lookupOf(aDone));
    expect(resolved).toMatchObject({ state: 'resolved', resolvedAt: T0 + MIN });
    const b = alert('B', 'r1c1', { severity: 'orange' });
    const reopened = withMember(resolved, b, T0 + 10 * MIN, lookupOf(aDone, b));
    expect(reopened).toMatchObject({
      state: 'open',
      openAlertIds: ['B'],
      severity: 'orange',
      lastActiveAt: T0 + 10 * MIN,
    });
    expect('resolvedAt' in reopened).toBe(false);
  });

  it('counts the members in the title without stacking suffixes', () => {
    const b = alert('B', 'r1c2');
    const c = alert('C', 'r2c2');
    const two = withMember(opened, b, T0 + MIN, lookupOf(a, b));
    expect(two.title).toEqual({ zh: 'A PM2.5 超标 等 2 条告警', en: 'A PM2.5 high (+1 more)' });
    const three = withMember(two, c, T0 + 2 * MIN, lookupOf(a, b, c));
    expect(three.title).toEqual({ zh: 'A PM2.5 超标 等 3 条告警', en: 'A PM2.5 high (+2 more)' });
    const acked = { ...c, state: 'acknowledged' as const };
    const same = withMember(three, acked, T0 + 3 * MIN, lookupOf(a, b, acked));
    expect(same.title).toEqual({ zh: 'A PM2.5 超标 等 3 条告警', en: 'A PM2.5 high (+2 more)' });
  });

  it('counts from the stored title when the first alert is no longer known', () => {
    const b = alert('B', 'r1c2');
    const c = alert('C', 'r2c2');
    const two = withMember(opened, b, T0 + MIN, lookupOf(a, b));
    const three = withMember(two, c, T0 + 2 * MIN, lookupOf(b, c));
    expect(three.title).toEqual({ zh: 'A PM2.5 超标 等 3 条告警', en: 'A PM2.5 high (+2 more)' });
  });

  it('keeps a single-member title plain', () => {
    const acked = { ...a, state: 'acknowledged' as const };
    expect(withMember(opened, acked, T0 + MIN, lookupOf(acked)).title).toEqual({
      zh: 'A PM2.5 超标',
      en: 'A PM2.5 high',
    });
  });
});
