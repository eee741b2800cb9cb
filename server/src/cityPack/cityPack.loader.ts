import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CityPackSchema } from '@shared/schemas/cityPack.schema';
import type { CityPack } from '@shared/schemas/cityPack.schema';

/**
 * A city pack is a folder of JSON files, one per part of {@link CityPack}.
 * `server/scripts/buildCityPack.ts` generates the default one (Hangzhou).
 */
export const CITY_PACK_FILES = {
  meta: 'meta.json',
  districts: 'districts.json',
  gridCells: 'gridCells.json',
  roads: 'roads.json',
  sensors: 'sensors.json',
  workers: 'workers.json',
} as const satisfies Record<keyof CityPack, string>;

type PackPart = keyof typeof CITY_PACK_FILES;
const PACK_PARTS = Object.keys(CITY_PACK_FILES) as PackPart[];

/** Folder holding the packs shipped with the server (`server/citypacks`). */
export const CITY_PACKS_ROOT = fileURLToPath(new URL('../../citypacks', import.meta.url));

/** The pack loaded when nothing else is configured: Hangzhou. */
export const DEFAULT_CITY_PACK_DIR = fileURLToPath(new URL('../../citypacks/hangzhou', import.meta.url));

/**
 * A bare name (`hangzhou`) means a pack shipped in `server/citypacks/<name>`;
 * anything containing a slash is a path to a pack folder (relative paths
 * resolve against the working directory).
 */
export function resolveCityPackDir(nameOrPath: string): string {
  if (nameOrPath.includes('/') || nameOrPath.includes('\\')) return path.resolve(nameOrPath);
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(nameOrPath)) {
    throw new Error(
      `City pack name ${JSON.stringify(nameOrPath)} is not valid: use letters, digits, "-" or "_", or give a path`,
    );
  }
  return path.join(CITY_PACKS_ROOT, nameOrPath);
}

function readPart(dir: string, part: PackPart): unknown {
  const file = path.join(dir, CITY_PACK_FILES[part]);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`City pack at ${dir}: cannot read ${CITY_PACK_FILES[part]}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(
      `City pack at ${dir}: ${CITY_PACK_FILES[part]} is not valid JSON: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** `[12].gridCellId` from a zod path below the part key; names the item's id where it has one. */
function formatIssuePath(
  raw: Record<PackPart, unknown>,
  part: PackPart,
  rest: readonly PropertyKey[],
): string {
  let out = '';
  let node: unknown = raw[part];
  rest.forEach((key, i) => {
    if (typeof key === 'number') {
      out += `[${key}]`;
      node = Array.isArray(node) ? node[key] : undefined;
      const id = i === 0 && node && typeof node === 'object' ? (node as { id?: unknown }).id : undefined;
      if (typeof id === 'string') out += ` (${id})`;
    } else {
      out += `.${String(key)}`;
      node = node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
    }
  });
  return out || '(root)';
}

/**
 * Referential checks the schema cannot express. Returns the problems found,
 * each starting with the file it is in; empty when the pack is consistent.
 */
export function checkCityPackIntegrity(pack: CityPack): string[] {
  const problems: string[] = [];
  const F = CITY_PACK_FILES;

  const duplicates = (ids: readonly string[]): string[] => {
    const seen = new Set<string>();
    const dup = new Set<string>();
    for (const id of ids) (seen.has(id) ? dup : seen).add(id);
    return [...dup];
  };

  for (const id of duplicates(pack.districts.map((d) => d.id)))
    problems.push(`${F.districts}: duplicate district id ${id}`);
  for (const id of duplicates(pack.gridCells.map((c) => c.id)))
    problems.push(`${F.gridCells}: duplicate cell id ${id}`);
  for (const id of duplicates(pack.roads.map((r) => r.id)))
    problems.push(`${F.roads}: duplicate road id ${id}`);
  for (const id of duplicates(pack.sensors.map((s) => s.id)))
    problems.push(`${F.sensors}: duplicate sensor id ${id}`);
  for (const id of duplicates(pack.workers.map((w) => w.id)))
    problems.push(`${F.workers}: duplicate worker id ${id}`);

  const districtIds = new Set(pack.districts.map((d) => d.id));
  const cellsById = new Map(pack.gridCells.map((c) => [c.id, c]));
  const roadIds = new Set(pack.roads.map((r) => r.id));

  for (const c of pack.gridCells) {
    if (!districtIds.has(c.districtId)) {
      problems.push(`${F.gridCells}: cell ${c.id}: districtId ${c.districtId} does not exist`);
    }
    if (
      !c.streetCode.startsWith(c.districtId) ||
      !c.communityCode.startsWith(c.streetCode) ||
      !c.id.startsWith(c.communityCode)
    ) {
      problems.push(
        `${F.gridCells}: cell ${c.id}: codes are not hierarchical (district → street → community → cell)`,
      );
    }
  }

  for (const s of pack.sensors) {
    if (s.districtId !== null && !districtIds.has(s.districtId)) {
      problems.push(`${F.sensors}: sensor ${s.id}: districtId ${s.districtId} does not exist`);
    }
    if (s.gridCellId !== null) {
      const cell = cellsById.get(s.gridCellId);
      if (!cell) problems.push(`${F.sensors}: sensor ${s.id}: gridCellId ${s.gridCellId} does not exist`);
      else if (s.districtId !== cell.districtId) {
        problems.push(
          `${F.sensors}: sensor ${s.id}: districtId ${s.districtId} differs from its cell's district ${cell.districtId}`,
        );
      }
    }
    if (s.road && !roadIds.has(s.road.id)) {
      problems.push(`${F.sensors}: sensor ${s.id}: road ${s.road.id} does not exist`);
    }
  }

  for (const w of pack.workers) {
    if (!districtIds.has(w.districtId)) {
      problems.push(`${F.workers}: worker ${w.id}: districtId ${w.districtId} does not exist`);
    }
    for (const cellId of w.gridCellIds) {
      if (!cellsById.has(cellId))
        problems.push(`${F.workers}: worker ${w.id}: grid cell ${cellId} does not exist`);
    }
  }
  return problems;
}

const MAX_LISTED_PROBLEMS = 20;

function invalid(dir: string, problems: readonly string[]): Error {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `  - ${p}`);
  if (problems.length > MAX_LISTED_PROBLEMS)
    listed.push(`  … and ${problems.length - MAX_LISTED_PROBLEMS} more`);
  return new Error(`City pack at ${dir} is invalid (${problems.length} problem(s)):\n${listed.join('\n')}`);
}

/**
 * Reads a pack folder, validates it against `CityPackSchema` and checks that
 * every reference (sensor → cell/district/road, worker → cells, cell →
 * district) resolves and that ids are unique. Throws an Error naming the file
 * and the offending item on the first kind of failure found.
 */
export function loadCityPack(dir: string): CityPack {
  const raw = {} as Record<PackPart, unknown>;
  for (const part of PACK_PARTS) raw[part] = readPart(dir, part);

  const parsed = CityPackSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const [head, ...rest] = issue.path;
      if (typeof head === 'string' && head in CITY_PACK_FILES) {
        const part = head as PackPart;
        return `${CITY_PACK_FILES[part]}: ${formatIssuePath(raw, part, rest)}: ${issue.message}`;
      }
      return `${issue.path.map(String).join('.') || '(pack)'}: ${issue.message}`;
    });
    throw invalid(dir, problems);
  }

  const problems = checkCityPackIntegrity(parsed.data);
  if (problems.length > 0) throw invalid(dir, problems);
  return parsed.data;
}
