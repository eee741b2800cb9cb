import type { RosterWorker } from '@shared/schemas/worker.schema';
import { respond } from '../../auth.fixtures';

/** The route key of the roster. */
export const ROSTER_ROUTE = 'GET /api/v1/workers';

/** A roster entry in full, as an operator receives it. */
export function rosterEntry(id: string, overrides: Partial<RosterWorker> = {}): RosterWorker {
  return {
    id,
    name: '彭玲娜',
    phone: '13812346493',
    districtId: '330106',
    gridCellIds: ['330106001001001'],
    skills: ['manhole'],
    shift: { start: '08:00', end: '20:00' },
    location: [120.15, 30.25],
    masked: false,
    ...overrides,
  };
}

/** The same entry as a viewer receives it: name and phone masked, the rest withheld. */
export function maskedEntry(id: string, overrides: Partial<RosterWorker> = {}): RosterWorker {
  return rosterEntry(id, {
    name: '彭**',
    phone: '138****6493',
    skills: null,
    shift: null,
    location: null,
    masked: true,
    ...overrides,
  });
}

/** `GET /api/v1/workers` answering `items`. */
export function rosterAnswer(items: RosterWorker[]): Response {
  return respond({ items, total: items.length });
}
