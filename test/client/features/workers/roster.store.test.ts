import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Role } from '@shared/access';
import { useAuthStore } from '../../../../client/src/features/auth/auth.store';
import { useLiveStore } from '../../../../client/src/features/live/live.store';
import { useRosterStore } from '../../../../client/src/features/workers/roster.store';
import { isDialable, workerLabel } from '../../../../client/src/features/workers/rosterFormat';
import { apiError, deferred, respond, sessionInfo, stubApi } from '../../auth.fixtures';
import { maskedEntry, ROSTER_ROUTE, rosterAnswer, rosterEntry } from './roster.fixtures';

function signIn(role: Role, id = `u-${role}`): void {
  const auth = useAuthStore();
  const info = sessionInfo(role);
  auth.session = { ...info, user: { ...info.user, id } };
  auth.status = 'signed-in';
}

const asked = (seen: Array<{ path: string }>) => seen.filter((r) => r.path === '/api/v1/workers').length;

describe('useRosterStore', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('fetches the roster once per session and names workers by roster id', async () => {
    const seen = stubApi({
      [ROSTER_ROUTE]: () => rosterAnswer([rosterEntry('W-0135'), rosterEntry('W-0142')]),
    });
    signIn('operator');
    const roster = useRosterStore();

    await roster.ensure();
    await roster.ensure();

    expect(roster.status).toBe('ready');
    expect(roster.worker('W-0135')).toMatchObject({ name: '彭玲娜', phone: '13812346493', masked: false });
    expect(roster.worker('W-9999')).toBeUndefined();
    expect(asked(seen)).toBe(1);
  });

  it('keeps the masked forms exactly as the server sent them to a viewer', async () => {
    stubApi({ [ROSTER_ROUTE]: () => rosterAnswer([maskedEntry('W-0135')]) });
    signIn('viewer');
    const roster = useRosterStore();

    await roster.ensure();

    expect(roster.worker('W-0135')).toMatchObject({ name: '彭**', phone: '138****6493', masked: true });
  });

  it('asks once while calls overlap', async () => {
    const answer = deferred<Response>();
    const seen = stubApi({ [ROSTER_ROUTE]: () => answer.promise });
    signIn('operator');
    const roster = useRosterStore();

    const first = roster.ensure();
    const second = roster.ensure();
    expect(roster.status).toBe('loading');
    answer.resolve(rosterAnswer([rosterEntry('W-0135')]));
    await Promise.all([first, second]);

    expect(asked(seen)).toBe(1);
    expect(roster.status).toBe('ready');
  });

  it('shows workers by id only to a role refused the roster, without asking again', async () => {
    const seen = stubApi({ [ROSTER_ROUTE]: () => respond(apiError('forbidden', 'no'), 403) });
    signIn('engineer');
    const roster = useRosterStore();

    await roster.ensure();
    await roster.ensure();

    expect(roster.status).toBe('unavailable');
    expect(roster.byId.size).toBe(0);
    expect(asked(seen)).toBe(1);
  });

  it('asks again after a failure', async () => {
    let calls = 0;
    stubApi({
      [ROSTER_ROUTE]: () =>
        ++calls === 1 ? respond(apiError('internal', 'boom'), 500) : rosterAnswer([rosterEntry('W-0135')]),
    });
    signIn('operator');
    const roster = useRosterStore();

    await roster.ensure();
    expect(roster.status).toBe('failed');
    await roster.ensure();

    expect(roster.status).toBe('ready');
    expect(roster.worker('W-0135')?.name).toBe('彭玲娜');
  });

  it('refuses an answer that is not a roster', async () => {
    stubApi({ [ROSTER_ROUTE]: () => respond({ items: [{ id: 'W-0135', name: 42 }], total: 1 }) });
    signIn('operator');
    const roster = useRosterStore();

    await roster.ensure();

    expect(roster.status).toBe('failed');
    expect(roster.byId.size).toBe(0);
  });

  it('asks nothing while nobody is signed in', async () => {
    const seen = stubApi({ [ROSTER_ROUTE]: () => rosterAnswer([rosterEntry('W-0135')]) });
    const roster = useRosterStore();

    await roster.ensure();

    expect(asked(seen)).toBe(0);
    expect(roster.status).toBe('idle');
  });

  it('forgets the roster on sign-out and fetches the next user their own view of it', async () => {
    let full = true;
    const seen = stubApi({
      [ROSTER_ROUTE]: () => rosterAnswer([full ? rosterEntry('W-0135') : maskedEntry('W-0135')]),
    });
    signIn('operator');
    const roster = useRosterStore();
    await roster.ensure();
    expect(roster.worker('W-0135')?.name).toBe('彭玲娜');

    useLiveStore().clear();
    expect(roster.byId.size).toBe(0);
    expect(roster.status).toBe('idle');

    full = false;
    signIn('viewer');
    await roster.ensure();
    expect(roster.worker('W-0135')?.name).toBe('彭**');
    expect(asked(seen)).toBe(2);
  });

  it('fetches again when another user signed in without a sign-out in between', async () => {
    let full = true;
    stubApi({ [ROSTER_ROUTE]: () => rosterAnswer([full ? rosterEntry('W-0135') : maskedEntry('W-0135')]) });
    signIn('operator');
    const roster = useRosterStore();
    await roster.ensure();

    full = false;
    signIn('viewer');
    await roster.ensure();

    expect(roster.worker('W-0135')?.name).toBe('彭**');
  });

  it('drops an answer that arrives after the sign-out', async () => {
    const answer = deferred<Response>();
    stubApi({ [ROSTER_ROUTE]: () => answer.promise });
    signIn('operator');
    const roster = useRosterStore();

    const loading = roster.ensure();
    useLiveStore().clear();
    answer.resolve(rosterAnswer([rosterEntry('W-0135')]));
    await loading;

    expect(roster.byId.size).toBe(0);
    expect(roster.status).toBe('idle');
  });
});

describe('worker labels', () => {
  it('puts the name before the roster id in each language, the id alone when unnamed', () => {
    expect(workerLabel('W-0135', '彭玲娜', 'zh')).toBe('彭玲娜（W-0135）');
    expect(workerLabel('W-0135', '彭**', 'en')).toBe('彭** (W-0135)');
    expect(workerLabel('W-0135', null, 'zh')).toBe('W-0135');
    expect(workerLabel('W-0135', '', 'en')).toBe('W-0135');
  });

  it('dials whole numbers only, never a masked one', () => {
    expect(isDialable('13812346493')).toBe(true);
    expect(isDialable('+8613812346493')).toBe(true);
    expect(isDialable('138****6493')).toBe(false);
    expect(isDialable('')).toBe(false);
  });
});
