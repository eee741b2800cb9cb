import { cleared, type Classification, type Role } from '@shared/access';
import type { RosterWorker, Worker } from '@shared/schemas/worker.schema';

/**
 * 脱敏 — masking of personal data by classification. Each personal field is
 * tagged with a level; a caller whose role is not cleared for it gets the
 * masked form (names keep their first character, phones their first three and
 * last four digits) or nothing.
 */
export const WORKER_FIELD_CLASSIFICATION: Partial<Record<keyof Worker, Classification>> = {
  name: 'sensitive',
  phone: 'sensitive',
  location: 'internal',
  shift: 'internal',
  skills: 'internal',
};

/** 张三丰 → 张**; an empty name stays empty. */
export function maskName(name: string): string {
  const chars = [...name];
  return chars.length === 0 ? '' : `${chars[0]}${'*'.repeat(Math.max(chars.length - 1, 2))}`;
}

/** 13812345678 → 138****5678 */
export function maskPhone(phone: string): string {
  return phone.length < 8 ? '*'.repeat(phone.length) : `${phone.slice(0, 3)}****${phone.slice(-4)}`;
}

/** Masked view of a worker record (the roster entry of the contract); a field with no masked form is withheld. */
export type MaskedWorker = RosterWorker;

/** What `role` may see of `worker`; a grid worker sees all of their own record. */
export function maskWorker(worker: Worker, role: Role, self = false): MaskedWorker {
  const ok = (field: keyof Worker) => {
    const level = WORKER_FIELD_CLASSIFICATION[field];
    return self || level === undefined || cleared(role, level);
  };
  const out: MaskedWorker = {
    ...worker,
    name: ok('name') ? worker.name : maskName(worker.name),
    phone: ok('phone') ? worker.phone : maskPhone(worker.phone),
    location: ok('location') ? worker.location : null,
    shift: ok('shift') ? worker.shift : null,
    skills: ok('skills') ? worker.skills : null,
    masked: false,
  };
  out.masked = (Object.keys(WORKER_FIELD_CLASSIFICATION) as Array<keyof Worker>).some((f) => !ok(f));
  return out;
}
