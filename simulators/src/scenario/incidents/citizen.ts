import type { z } from 'zod';
import { caseCategory } from '@shared/domain/caseCategories';
import type { LngLat } from '@shared/schemas/common.schema';
import { hashString, mulberry32 } from '../../noise';
import {
  emptyIncident,
  type CitizenReport,
  type CompiledIncident,
  type IncidentCompileInput,
} from '../model';
import type { CitizenReportSpec, CitizenReportsSchema } from '../scenario.schema';
import { resolveTime } from '../time';
import type { World } from '../world';

export type CitizenReports = z.infer<typeof CitizenReportsSchema>;

const HOUR_MS = 3_600_000;
/** More reports than this in one incident is a typo in `perHour`, not a rehearsal. */
const MAX_REPORTS = 10_000;

/** A place a report can come from: a point inside the grid, its cell and district, and the sensor if any. */
interface Site {
  location: LngLat;
  gridCellId: string;
  districtId: string;
  sensorId?: string;
}

/**
 * 12345 市民热线: each report becomes a case through Open311 when its time comes. Labels: one
 * per report, on its grid cell (metric `citizen-report`), from the call to the incident's end;
 * the incident's area is the reports' cells and districts (and sensors, when a report names one).
 * Listed reports keep their place in the list as their index and are sorted by time; a rate
 * (`perHour`) draws a seeded Poisson stream.
 */
export function compileCitizenReports(input: IncidentCompileInput<CitizenReports>): CompiledIncident {
  const { incident: inc, world, start, end, seed, path, issues } = input;
  const out = emptyIncident(inc.id, inc.type, start, end);
  const reports: CitizenReport[] = [];
  const add = (t: number, category: string, site: Site, description: string) => {
    const serviceCode = caseCategory(category)?.serviceCode ?? '999';
    reports.push({
      t,
      incident: inc.id,
      index: reports.length,
      category,
      serviceCode,
      ...site,
      description,
    });
  };

  if (inc.reports) {
    inc.reports.forEach((r, i) => {
      const at = `${path}.reports[${i}]`;
      const t =
        r.at === undefined ? start : resolveTime(r.at, input.scenarioStart ?? start, input.offsetMin ?? 0);
      if (t < start || t >= end)
        issues.push({
          path: `${at}.at`,
          message: `${r.at} is outside the incident (from its \`at\` for its \`duration\`)`,
        });
      const site = siteOf(r.where, world, `${at}.where`, issues);
      if (site) add(t, r.category, site, r.description);
    });
    reports.sort((a, b) => a.t - b.t || a.index - b.index);
  } else if (inc.perHour !== undefined && inc.categories) {
    const before = issues.length;
    const sites = sitesIn(inc.area ?? {}, world, `${path}.area`, issues);
    const expected = (inc.perHour * (end - start)) / HOUR_MS;
    if (sites.length === 0) {
      // Unknown ids were already reported by the selector; only an empty but valid area needs a word.
      if (issues.length === before)
        issues.push({
          path: `${path}.area`,
          message: 'selects no place inside the city grid to report from',
        });
    } else if (expected > MAX_REPORTS) {
      issues.push({
        path: `${path}.perHour`,
        message: `about ${Math.round(expected)} reports over the incident; at most ${MAX_REPORTS}`,
      });
    } else {
      const rand = mulberry32((seed ^ hashString(`citizen:${inc.id}`)) >>> 0);
      const meanGapMs = HOUR_MS / inc.perHour;
      for (let t = start; ;) {
        // Exponential gaps: a Poisson stream of calls, on whole seconds.
        t += Math.max(1000, Math.round((-Math.log(1 - rand()) * meanGapMs) / 1000) * 1000);
        if (t >= end) break;
        const category = inc.categories[Math.floor(rand() * inc.categories.length)]!;
        const site = sites[Math.floor(rand() * sites.length)]!;
        add(t, category, site, describe(category, reports.length + 1));
      }
    }
  }

  for (const r of reports) {
    out.labels.push({
      incident: inc.id,
      type: inc.type,
      subject: { type: 'cell', id: r.gridCellId },
      metric: 'citizen-report',
      start: r.t,
      end,
    });
    out.area.cells.add(r.gridCellId);
    out.area.districts.add(r.districtId);
    if (r.sensorId) out.area.sensors.add(r.sensorId);
  }
  out.reports = reports;
  return out;
}

/** What a generated caller says: the category in Chinese and English, numbered. */
function describe(category: string, n: number): string {
  const c = caseCategory(category);
  return c
    ? `市民来电反映${c.name.zh}问题（模拟 ${n}）· A citizen reports a problem: ${c.name.en.toLowerCase()} (simulated call ${n})`
    : `市民来电（模拟 ${n}）· A citizen's call (simulated ${n})`;
}

/** The point a report names, inside the grid; unknown ids and points outside the city are issues. */
function siteOf(
  where: CitizenReportSpec['where'],
  world: World,
  path: string,
  issues: IncidentCompileInput<CitizenReports>['issues'],
): Site | null {
  let location: LngLat;
  let sensorId: string | undefined;
  if ('cell' in where) {
    const cell = world.gridCell(where.cell);
    if (!cell) {
      issues.push({ path: `${path}.cell`, message: `no cell "${where.cell}" in the city pack` });
      return null;
    }
    location = cell.centroid;
  } else if ('sensor' in where) {
    const sim = world.byId.get(where.sensor);
    if (!sim) {
      issues.push({ path: `${path}.sensor`, message: `no sensor "${where.sensor}" in the city pack` });
      return null;
    }
    if (!sim.sensor.location) {
      issues.push({ path: `${path}.sensor`, message: `sensor "${where.sensor}" has no position` });
      return null;
    }
    location = sim.sensor.location;
    sensorId = sim.sensor.id;
  } else location = where.lngLat;
  const cell = world.cellAt(location);
  if (!cell) {
    issues.push({
      path: `${path}${'lngLat' in where ? '.lngLat' : ''}`,
      message: `[${location.join(', ')}] is outside the city's grid cells (the server takes reports only inside it)`,
    });
    return null;
  }
  return { location, gridCellId: cell.id, districtId: cell.districtId, ...(sensorId ? { sensorId } : {}) };
}

/**
 * Places to report from in an area: the selected sensors' positions when the selector names
 * sensors, kinds or subtypes; otherwise the centres of the grid cells in its districts, cells
 * and `near` circle (the whole grid for an empty selector). Places outside the grid are left out.
 */
function sitesIn(
  area: NonNullable<CitizenReports['area']>,
  world: World,
  path: string,
  issues: IncidentCompileInput<CitizenReports>['issues'],
): Site[] {
  const sites: Site[] = [];
  const push = (location: LngLat, sensorId?: string) => {
    const cell = world.cellAt(location);
    if (cell)
      sites.push({
        location,
        gridCellId: cell.id,
        districtId: cell.districtId,
        ...(sensorId ? { sensorId } : {}),
      });
  };
  const selected = world.select(area, path, issues);
  if (area.sensors || area.kinds || area.subtypes) {
    for (const sim of selected) if (sim.sensor.location) push(sim.sensor.location, sim.sensor.id);
    return sites;
  }
  for (const cell of world.pack.gridCells) {
    if (area.districts && !area.districts.includes(cell.districtId)) continue;
    if (area.cells && !area.cells.includes(cell.id)) continue;
    if (area.near && world.distanceKm(cell.centroid, area.near.lngLat) > area.near.radiusKm) continue;
    push(cell.centroid);
  }
  return sites;
}
