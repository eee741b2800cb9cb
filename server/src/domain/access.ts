import type { Role } from '@shared/access';
import type { Scope } from '@shared/schemas/live.schema';

/**
 * What part of the city a caller may see. Pure: the caller's role and
 * assignment in, yes/no out. Route permissions (may this role call this at
 * all?) are the permission matrix in shared/access.ts; this is the second
 * check — which records.
 */
export interface Reach {
  role: Role;
  /** Districts an operator (or anyone) is limited to; null = the whole city. */
  districtIds: readonly string[] | null;
  /** For grid workers: the cells they cover; null for everyone else. */
  cellIds: ReadonlySet<string> | null;
}

export function reachesWholeCity(reach: Reach): boolean {
  return reach.cellIds === null && reach.districtIds === null;
}

export function reachesDistrict(reach: Reach, districtId: string): boolean {
  if (reach.cellIds !== null) return false; // a grid worker sees cells, not whole districts
  return reach.districtIds === null || reach.districtIds.includes(districtId);
}

export function reachesCell(reach: Reach, cell: { id: string; districtId: string }): boolean {
  if (reach.cellIds !== null) return reach.cellIds.has(cell.id);
  return reach.districtIds === null || reach.districtIds.includes(cell.districtId);
}

/** A sensor is reached through its cell; an unplaced one only by whole-city callers. */
export function reachesSensor(
  reach: Reach,
  sensor: { gridCellId: string | null; districtId: string | null },
): boolean {
  if (sensor.gridCellId === null || sensor.districtId === null) return reachesWholeCity(reach);
  return reachesCell(reach, { id: sensor.gridCellId, districtId: sensor.districtId });
}

/** Districts to list for a caller: those they reach, or that hold a cell they reach. */
export function districtListed(
  reach: Reach,
  districtId: string,
  cellDistrict: (cellId: string) => string | undefined,
): boolean {
  if (reach.cellIds === null) return reachesDistrict(reach, districtId);
  for (const c of reach.cellIds) if (cellDistrict(c) === districtId) return true;
  return false;
}

export function reachesScope(
  reach: Reach,
  scope: Scope,
  cellDistrict: (cellId: string) => string | undefined,
): boolean {
  switch (scope.kind) {
    case 'city':
      return reachesWholeCity(reach);
    case 'district':
      return reachesDistrict(reach, scope.id);
    case 'cell': {
      const districtId = cellDistrict(scope.id);
      return districtId !== undefined && reachesCell(reach, { id: scope.id, districtId });
    }
  }
}

/** Where a live client starts when it asks for no scope: the widest it reaches. */
export function defaultScope(reach: Reach): Scope | null {
  if (reachesWholeCity(reach)) return { kind: 'city' };
  if (reach.cellIds !== null) {
    const first = [...reach.cellIds].sort()[0];
    return first ? { kind: 'cell', id: first } : null;
  }
  const first = reach.districtIds?.[0];
  return first ? { kind: 'district', id: first } : null;
}
