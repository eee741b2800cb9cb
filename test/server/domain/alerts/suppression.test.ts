import { describe, expect, it } from 'vitest';
import type { Alert, AlertSuppression } from '@shared/schemas/alert.schema';
import {
  InhibitionDraftSchema,
  SilenceDraftSchema,
  SilenceScheduleSchema,
  type Inhibition,
  type Silence,
  type SilenceSchedule,
} from '@shared/schemas/silence.schema';
import {
  buildInhibitionIndex,
  localWeekMinute,
  matchesLabels,
  sameSuppression,
  scheduleActive,
  silenceState,
  suppressionOf,
} from '../../../../server/src/domain/alerts/suppression';

const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (iso: string) => Date.parse(iso);
/** Monday 2026-03-02 00:00 UTC. */
const T0 = at('2026-03-02T00:00:00Z');

/** A weekly schedule as the API stores it (defaults applied). */
const weekly = (input: Record<string, unknown>): SilenceSchedule =>
  SilenceScheduleSchema.parse({ type: 'weekly', ...input });

const once = (startsAt: number, endsAt: number): SilenceSchedule => ({ type: 'once', startsAt, endsAt });

function alert(id: string, labels: Record<string, string> | undefined, over: Partial<Alert> = {}): Alert {
  return {
    id,
    ruleId: 'R-1',
    ruleVersion: 1,
    subject: { type: 'sensor', id: `S-${id}` },
    severity: 'yellow',
    state: 'firing',
    title: { zh: '告警', en: 'Alert' },
    startsAt: T0,
    firingAt: T0,
    updatedAt: T0,
    ...(labels && { labels }),
    ...over,
  };
}

/** A power outage alert (inhibition source) in a grid cell. */
const outage = (id: string, cell: string, state: Alert['state'] = 'firing') =>
  alert(id, { ruleId: 'R-power', ruleKind: 'threshold', event: 'powerOutage', gridCellId: cell }, { state });

/** A sensor offline alert (inhibition target) in a grid cell. */
const offline = (id: string, cell: string, state: Alert['state'] = 'firing') =>
  alert(id, { ruleId: 'R-offline', ruleKind: 'noData', sensorId: `S-${id}`, gridCellId: cell }, { state });

function inhibition(over: Partial<Inhibition> = {}): Inhibition {
  return {
    id: 'INH-1',
    name: { zh: '停电抑制离线', en: 'Outage mutes offline' },
    source: { event: ['powerOutage'] },
    target: { ruleKind: ['noData'] },
    equal: ['gridCellId'],
    enabled: true,
    updatedAt: T0,
    updatedBy: 'u-admin',
    ...over,
  };
}

function silence(over: Partial<Silence> = {}): Silence {
  return {
    id: 'SIL-1',
    matchers: { gridCellId: ['C1'] },
    schedule: once(T0, T0 + HOUR),
    comment: '变电站检修',
    createdBy: 'u-ops',
    createdByName: '王工',
    createdAt: T0,
    updatedAt: T0,
    state: 'active',
    ...over,
  };
}

/** Why `target` is muted given the active silences, the rules and the open alerts. */
const muting = (
  target: Alert,
  { silences = [], rules = [], open = [] }: { silences?: Silence[]; rules?: Inhibition[]; open?: Alert[] },
) => suppressionOf(target, silences, buildInhibitionIndex(rules, open));

const byOutage = (sourceId: string): AlertSuppression => ({
  by: 'inhibition',
  id: sourceId,
  reason: '停电抑制离线 / Outage mutes offline',
});

describe('matchesLabels', () => {
  const labels = { sensorId: 'AQ-7', ruleKind: 'noData', gridCellId: 'C1' };

  it('matches when every named label has one of its listed values', () => {
    expect(matchesLabels({ sensorId: ['AQ-7'], ruleKind: ['noData'] }, labels)).toBe(true);
  });

  it('rejects when one of several named labels has another value (AND across labels)', () => {
    expect(matchesLabels({ sensorId: ['AQ-7'], ruleKind: ['threshold'] }, labels)).toBe(false);
  });

  it('accepts any of the values listed for a label (OR across values)', () => {
    expect(matchesLabels({ gridCellId: ['C9', 'C1', 'C3'] }, labels)).toBe(true);
    expect(matchesLabels({ gridCellId: ['C9', 'C3'] }, labels)).toBe(false);
  });

  it('rejects an alert that lacks a named label', () => {
    expect(matchesLabels({ districtId: ['330102'] }, labels)).toBe(false);
  });

  it('compares values exactly (no prefix or case folding)', () => {
    expect(matchesLabels({ sensorId: ['AQ-'] }, labels)).toBe(false);
    expect(matchesLabels({ sensorId: ['aq-7'] }, labels)).toBe(false);
  });
});

describe('localWeekMinute', () => {
  it('gives the ISO weekday and minute of the day in the time zone, not in UTC', () => {
    // Monday 16:00 UTC is Tuesday 00:00 in Shanghai (UTC+8).
    expect(localWeekMinute(at('2026-03-02T16:00:00Z'), 'Asia/Shanghai')).toEqual({ day: 2, minute: 0 });
    expect(localWeekMinute(at('2026-03-02T15:59:00Z'), 'Asia/Shanghai')).toEqual({ day: 1, minute: 1439 });
  });

  it('numbers Sunday 7 and Monday 1', () => {
    expect(localWeekMinute(at('2026-03-08T15:59:00Z'), 'Asia/Shanghai')).toEqual({ day: 7, minute: 1439 });
    expect(localWeekMinute(at('2026-03-08T16:30:00Z'), 'Asia/Shanghai')).toEqual({ day: 1, minute: 30 });
  });

  it('follows daylight saving time', () => {
    expect(localWeekMinute(at('2026-01-14T09:15:00Z'), 'Europe/London')).toEqual({ day: 3, minute: 555 });
    expect(localWeekMinute(at('2026-07-15T09:15:00Z'), 'Europe/London')).toEqual({ day: 3, minute: 615 });
  });
});

describe('scheduleActive', () => {
  describe('once', () => {
    const start = at('2026-03-02T10:00:00Z');
    const end = at('2026-03-02T12:00:00Z');
    const schedule = once(start, end);

    it('is active from startsAt inclusive', () => {
      expect(scheduleActive(schedule, start - 1)).toBe(false);
      expect(scheduleActive(schedule, start)).toBe(true);
    });

    it('is inactive from endsAt (exclusive end)', () => {
      expect(scheduleActive(schedule, end - 1)).toBe(true);
      expect(scheduleActive(schedule, end)).toBe(false);
    });
  });

  describe('weekly in Asia/Shanghai', () => {
    // Tuesday 02:00–04:00 Shanghai = Monday 18:00–20:00 UTC.
    const tuesdayNight = weekly({ days: [2], start: '02:00', end: '04:00' });

    it('defaults to Asia/Shanghai', () => {
      expect(tuesdayNight).toMatchObject({ timeZone: 'Asia/Shanghai' });
    });

    it('opens at the local start time', () => {
      expect(scheduleActive(tuesdayNight, at('2026-03-02T17:59:59.999Z'))).toBe(false);
      expect(scheduleActive(tuesdayNight, at('2026-03-02T18:00:00Z'))).toBe(true);
    });

    it('closes at the local end time', () => {
      expect(scheduleActive(tuesdayNight, at('2026-03-02T19:59:59.999Z'))).toBe(true);
      expect(scheduleActive(tuesdayNight, at('2026-03-02T20:00:00Z'))).toBe(false);
    });

    it('recurs the next week', () => {
      expect(scheduleActive(tuesdayNight, at('2026-03-09T19:00:00Z'))).toBe(true);
    });

    it('is inactive at the same hours on other local days', () => {
      // Tuesday 19:00 UTC is Wednesday 03:00 in Shanghai.
      expect(scheduleActive(tuesdayNight, at('2026-03-03T19:00:00Z'))).toBe(false);
      // Sunday 19:00 UTC is Monday 03:00 in Shanghai.
      expect(scheduleActive(tuesdayNight, at('2026-03-01T19:00:00Z'))).toBe(false);
    });

    it('is active on each of several listed days', () => {
      const weekdays = weekly({ days: [1, 3, 5], start: '09:00', end: '10:00' });
      // 01:30 UTC = 09:30 Shanghai: Mon 2, Tue 3, Wed 4, Thu 5, Fri 6 March.
      const active = [2, 3, 4, 5, 6].map((d) => scheduleActive(weekdays, at(`2026-03-0${d}T01:30:00Z`)));
      expect(active).toEqual([true, false, true, false, true]);
    });
  });

  describe('overnight windows', () => {
    // Friday 22:00 → Saturday 06:00 Shanghai (UTC+8).
    const fridayNight = weekly({ days: [5], start: '22:00', end: '06:00' });

    it('is active on the evening of the listed day from the start time', () => {
      expect(scheduleActive(fridayNight, at('2026-03-06T13:59:00Z'))).toBe(false); // Fri 21:59
      expect(scheduleActive(fridayNight, at('2026-03-06T14:00:00Z'))).toBe(true); // Fri 22:00
      expect(scheduleActive(fridayNight, at('2026-03-06T15:00:00Z'))).toBe(true); // Fri 23:00
    });

    it('stays active past midnight until the end time on the next day', () => {
      expect(scheduleActive(fridayNight, at('2026-03-06T16:00:00Z'))).toBe(true); // Sat 00:00
      expect(scheduleActive(fridayNight, at('2026-03-06T21:59:00Z'))).toBe(true); // Sat 05:59
      expect(scheduleActive(fridayNight, at('2026-03-06T22:00:00Z'))).toBe(false); // Sat 06:00
    });

    it('is inactive on the night before and on the morning of the listed day', () => {
      expect(scheduleActive(fridayNight, at('2026-03-05T15:00:00Z'))).toBe(false); // Thu 23:00
      expect(scheduleActive(fridayNight, at('2026-03-05T21:00:00Z'))).toBe(false); // Fri 05:00
      expect(scheduleActive(fridayNight, at('2026-03-07T15:00:00Z'))).toBe(false); // Sat 23:00
    });

    it('carries a Sunday night window into Monday morning', () => {
      const sundayNight = weekly({ days: [7], start: '23:00', end: '02:00' });
      expect(scheduleActive(sundayNight, at('2026-03-08T17:00:00Z'))).toBe(true); // Mon 01:00
      expect(scheduleActive(sundayNight, at('2026-03-08T18:00:00Z'))).toBe(false); // Mon 02:00
      expect(scheduleActive(sundayNight, at('2026-03-07T17:00:00Z'))).toBe(false); // Sun 01:00
    });
  });

  describe('another time zone', () => {
    // Every day 09:00–10:00 London: 09:00 UTC in winter (GMT), 08:00 UTC in summer (BST).
    const london = weekly({
      days: [1, 2, 3, 4, 5, 6, 7],
      start: '09:00',
      end: '10:00',
      timeZone: 'Europe/London',
    });

    it('follows GMT in winter', () => {
      expect(scheduleActive(london, at('2026-01-14T08:59:00Z'))).toBe(false);
      expect(scheduleActive(london, at('2026-01-14T09:00:00Z'))).toBe(true);
      expect(scheduleActive(london, at('2026-01-14T09:59:00Z'))).toBe(true);
      expect(scheduleActive(london, at('2026-01-14T10:00:00Z'))).toBe(false);
    });

    it('follows BST in summer', () => {
      expect(scheduleActive(london, at('2026-07-15T07:59:00Z'))).toBe(false);
      expect(scheduleActive(london, at('2026-07-15T08:00:00Z'))).toBe(true);
      expect(scheduleActive(london, at('2026-07-15T08:59:00Z'))).toBe(true);
      expect(scheduleActive(london, at('2026-07-15T09:00:00Z'))).toBe(false);
    });

    it('moves one hour earlier in UTC across the spring change (29 March 2026)', () => {
      // Saturday 28 March: still GMT.
      expect(scheduleActive(london, at('2026-03-28T08:30:00Z'))).toBe(false);
      expect(scheduleActive(london, at('2026-03-28T09:30:00Z'))).toBe(true);
      // Monday 30 March: BST.
      expect(scheduleActive(london, at('2026-03-30T08:30:00Z'))).toBe(true);
      expect(scheduleActive(london, at('2026-03-30T09:30:00Z'))).toBe(false);
    });
  });

  describe('startsAt / endsAt bounds of a weekly schedule', () => {
    const bounded = weekly({
      days: [2],
      start: '02:00',
      end: '04:00',
      startsAt: '2026-03-09T18:30:00Z',
      endsAt: '2026-03-16T19:00:00Z',
    });

    it('parses the ISO bounds to epoch ms', () => {
      expect(bounded).toMatchObject({
        startsAt: at('2026-03-09T18:30:00Z'),
        endsAt: at('2026-03-16T19:00:00Z'),
      });
    });

    it('is inactive in a window before startsAt', () => {
      expect(scheduleActive(bounded, at('2026-03-02T19:00:00Z'))).toBe(false);
    });

    it('starts at startsAt inclusive, even in the middle of a window', () => {
      expect(scheduleActive(bounded, at('2026-03-09T18:29:59.999Z'))).toBe(false);
      expect(scheduleActive(bounded, at('2026-03-09T18:30:00Z'))).toBe(true);
    });

    it('ends at endsAt exclusive, even in the middle of a window', () => {
      expect(scheduleActive(bounded, at('2026-03-16T18:59:59.999Z'))).toBe(true);
      expect(scheduleActive(bounded, at('2026-03-16T19:00:00Z'))).toBe(false);
    });
  });
});

describe('silenceState', () => {
  const start = at('2026-03-02T10:00:00Z');
  const end = at('2026-03-02T12:00:00Z');

  it('is scheduled before a one-off silence starts, active during it, expired from its end', () => {
    const s = { schedule: once(start, end) };
    expect(silenceState(s, start - 1)).toBe('scheduled');
    expect(silenceState(s, start)).toBe('active');
    expect(silenceState(s, end - 1)).toBe('active');
    expect(silenceState(s, end)).toBe('expired');
  });

  it('is scheduled between the windows of a weekly silence and active inside one', () => {
    const s = { schedule: weekly({ days: [2], start: '02:00', end: '04:00' }) };
    expect(silenceState(s, at('2026-03-02T17:00:00Z'))).toBe('scheduled');
    expect(silenceState(s, at('2026-03-02T18:00:00Z'))).toBe('active');
    expect(silenceState(s, at('2026-03-02T20:00:00Z'))).toBe('scheduled');
  });

  it('is expired after a weekly silence ends, outside any window', () => {
    const s = {
      schedule: weekly({ days: [2], start: '02:00', end: '04:00', endsAt: '2026-03-10T00:00:00Z' }),
    };
    expect(silenceState(s, at('2026-03-09T23:59:59.999Z'))).toBe('scheduled');
    expect(silenceState(s, at('2026-03-10T00:00:00Z'))).toBe('expired');
  });

  it('is scheduled before a weekly silence starts, even inside a window', () => {
    const s = {
      schedule: weekly({ days: [2], start: '02:00', end: '04:00', startsAt: '2026-03-05T00:00:00Z' }),
    };
    expect(silenceState(s, at('2026-03-02T18:30:00Z'))).toBe('scheduled');
  });

  it('is expired from the moment it was ended early, though its window is still open', () => {
    const expiredAt = start + 30 * MIN;
    const s = { schedule: once(start, end), expiredAt };
    expect(silenceState(s, expiredAt - 1)).toBe('active');
    expect(silenceState(s, expiredAt)).toBe('expired');
    expect(silenceState(s, end - 1)).toBe('expired');
  });

  it('is expired when ended before it ever started', () => {
    expect(silenceState({ schedule: once(start, end), expiredAt: start - HOUR }, start + MIN)).toBe(
      'expired',
    );
  });
});

describe('silence and inhibition schemas', () => {
  const draft = (
    schedule: Record<string, unknown>,
    matchers: Record<string, unknown> = { gridCellId: ['C1'] },
  ) => SilenceDraftSchema.safeParse({ matchers, schedule, comment: '检修' });
  const issues = (r: { success: boolean; error?: { issues: Array<{ path: PropertyKey[] }> } }) =>
    r.error?.issues.map((i) => i.path) ?? [];

  it('accepts a one-off silence with ISO times and stores epoch ms', () => {
    const r = draft({
      type: 'once',
      startsAt: '2026-03-02T10:00:00+08:00',
      endsAt: '2026-03-02T12:00:00+08:00',
    });
    expect(r.success).toBe(true);
    expect(r.data?.schedule).toEqual({
      type: 'once',
      startsAt: at('2026-03-02T02:00:00Z'),
      endsAt: at('2026-03-02T04:00:00Z'),
    });
  });

  it('reports endsAt before startsAt at schedule.endsAt', () => {
    const r = draft({ type: 'once', startsAt: T0 + HOUR, endsAt: T0 });
    expect(r.success).toBe(false);
    expect(r.error?.issues).toEqual([
      expect.objectContaining({ path: ['schedule', 'endsAt'], message: 'endsAt must be after startsAt' }),
    ]);
  });

  it('reports a weekly endsAt before startsAt at schedule.endsAt', () => {
    const r = draft({
      type: 'weekly',
      days: [1],
      start: '01:00',
      end: '02:00',
      startsAt: T0 + HOUR,
      endsAt: T0,
    });
    expect(issues(r)).toEqual([['schedule', 'endsAt']]);
  });

  it('reports a one-off silence longer than 90 days at schedule.endsAt', () => {
    const r = draft({ type: 'once', startsAt: T0, endsAt: T0 + 90 * 24 * HOUR + 1 });
    expect(issues(r)).toEqual([['schedule', 'endsAt']]);
    expect(draft({ type: 'once', startsAt: T0, endsAt: T0 + 90 * 24 * HOUR }).success).toBe(true);
  });

  it('reports a malformed time of day at its field', () => {
    expect(issues(draft({ type: 'weekly', days: [1], start: '24:00', end: '02:00' }))).toEqual([
      ['schedule', 'start'],
    ]);
    expect(issues(draft({ type: 'weekly', days: [1], start: '01:00', end: '2:00' }))).toEqual([
      ['schedule', 'end'],
    ]);
  });

  it('reports equal start and end at schedule.end', () => {
    expect(issues(draft({ type: 'weekly', days: [1], start: '01:00', end: '01:00' }))).toEqual([
      ['schedule', 'end'],
    ]);
  });

  it('reports an unknown time zone at schedule.timeZone', () => {
    const r = draft({
      type: 'weekly',
      days: [1],
      start: '01:00',
      end: '02:00',
      timeZone: 'Mars/Olympus_Mons',
    });
    expect(r.error?.issues).toEqual([
      expect.objectContaining({
        path: ['schedule', 'timeZone'],
        message: 'an IANA time zone such as Asia/Shanghai',
      }),
    ]);
  });

  it('reports weekdays out of range or repeated at schedule.days', () => {
    expect(issues(draft({ type: 'weekly', days: [0], start: '01:00', end: '02:00' }))).toEqual([
      ['schedule', 'days', 0],
    ]);
    expect(issues(draft({ type: 'weekly', days: [2, 2], start: '01:00', end: '02:00' }))).toEqual([
      ['schedule', 'days'],
    ]);
  });

  it('reports empty matchers at matchers', () => {
    const r = draft({ type: 'once', startsAt: T0, endsAt: T0 + HOUR }, {});
    expect(r.error?.issues).toEqual([
      expect.objectContaining({
        path: ['matchers'],
        message: 'name at least one label to match (e.g. sensorId, gridCellId)',
      }),
    ]);
  });

  it('reports a matcher label without values at its label', () => {
    const r = draft({ type: 'once', startsAt: T0, endsAt: T0 + HOUR }, { sensorId: [] });
    expect(issues(r)).toEqual([['matchers', 'sensorId']]);
  });

  it('defaults an inhibition to enabled with no equal labels', () => {
    const r = InhibitionDraftSchema.parse({
      name: { zh: '停电', en: 'Outage' },
      source: { event: ['powerOutage'] },
      target: { ruleKind: ['noData'] },
    });
    expect(r).toMatchObject({ equal: [], enabled: true });
  });

  it('reports empty inhibition target matchers at target', () => {
    const r = InhibitionDraftSchema.safeParse({
      name: { zh: '停电', en: 'Outage' },
      source: { event: ['powerOutage'] },
      target: {},
      equal: ['gridCellId'],
    });
    expect(issues(r)).toEqual([['target']]);
  });
});

describe('suppressionOf: silences', () => {
  it('mutes an open alert matching an active silence, with the silence comment as reason', () => {
    expect(muting(offline('A1', 'C1'), { silences: [silence()] })).toEqual({
      by: 'silence',
      id: 'SIL-1',
      reason: '变电站检修',
    });
  });

  it('mutes pending and acknowledged alerts too', () => {
    expect(muting(offline('A1', 'C1', 'pending'), { silences: [silence()] })?.id).toBe('SIL-1');
    expect(muting(offline('A1', 'C1', 'acknowledged'), { silences: [silence()] })?.id).toBe('SIL-1');
  });

  it('leaves an alert that no silence matches unmuted', () => {
    expect(muting(offline('A1', 'C2'), { silences: [silence()] })).toBeUndefined();
  });

  it('leaves an alert without labels unmuted', () => {
    expect(muting(alert('A1', undefined), { silences: [silence()] })).toBeUndefined();
  });

  it('names the first matching silence', () => {
    const other = silence({ id: 'SIL-2', matchers: { ruleKind: ['noData'] }, comment: '传感器更换' });
    expect(muting(offline('A1', 'C1'), { silences: [other, silence()] })?.id).toBe('SIL-2');
  });
});

describe('suppressionOf: inhibition', () => {
  const rule = inhibition();

  it('mutes a target in the same cell while a source fires, naming the source and the rule', () => {
    const source = outage('P1', 'C1');
    expect(muting(offline('A1', 'C1'), { rules: [rule], open: [source] })).toEqual(byOutage('P1'));
  });

  it('keeps muting while the source is acknowledged', () => {
    const source = outage('P1', 'C1', 'acknowledged');
    expect(muting(offline('A1', 'C1'), { rules: [rule], open: [source] })).toEqual(byOutage('P1'));
  });

  it('does not mute a target in another cell', () => {
    const source = outage('P1', 'C1');
    expect(muting(offline('A2', 'C2'), { rules: [rule], open: [source] })).toBeUndefined();
  });

  it('does not mute from a pending, resolved or closed source', () => {
    for (const state of ['pending', 'resolved', 'closed'] as const) {
      const source = outage('P1', 'C1', state);
      expect(muting(offline('A1', 'C1'), { rules: [rule], open: [source] }), state).toBeUndefined();
    }
  });

  it('does not mute an alert that is not a target', () => {
    const source = outage('P1', 'C1');
    const pm25 = alert('A1', { ruleKind: 'threshold', metric: 'pm25', gridCellId: 'C1' });
    expect(muting(pm25, { rules: [rule], open: [source] })).toBeUndefined();
  });

  it('never mutes an alert by itself when it matches both source and target', () => {
    const selfRule = inhibition({ source: { ruleKind: ['noData'] }, target: { ruleKind: ['noData'] } });
    const a = offline('A1', 'C1');
    expect(muting(a, { rules: [selfRule], open: [a] })).toBeUndefined();
  });

  it('mutes an alert matching both source and target by another source in the same cell', () => {
    const selfRule = inhibition({ source: { ruleKind: ['noData'] }, target: { ruleKind: ['noData'] } });
    const a = offline('A1', 'C1');
    const b = offline('A2', 'C1');
    const c = offline('A3', 'C1');
    const open = [a, b, c];
    expect(muting(a, { rules: [selfRule], open })?.id).toBe('A2');
    expect(muting(b, { rules: [selfRule], open })?.id).toBe('A1');
    expect(muting(c, { rules: [selfRule], open })?.id).toBe('A1');
  });

  it('does not mute a target that lacks an equal label', () => {
    const source = outage('P1', 'C1');
    const cellLess = alert('A1', { ruleKind: 'noData', sensorId: 'S-A1' });
    expect(muting(cellLess, { rules: [rule], open: [source] })).toBeUndefined();
  });

  it('does not count a source that lacks an equal label', () => {
    const cellLessSource = alert('P1', { event: 'powerOutage' });
    expect(muting(offline('A1', 'C1'), { rules: [rule], open: [cellLessSource] })).toBeUndefined();
  });

  it('requires every equal label to match', () => {
    const both = inhibition({ equal: ['gridCellId', 'districtId'] });
    const source = alert('P1', { event: 'powerOutage', gridCellId: 'C1', districtId: '330102' });
    const same = alert('A1', { ruleKind: 'noData', gridCellId: 'C1', districtId: '330102' });
    const otherDistrict = alert('A2', { ruleKind: 'noData', gridCellId: 'C1', districtId: '330105' });
    expect(muting(same, { rules: [both], open: [source] })?.id).toBe('P1');
    expect(muting(otherDistrict, { rules: [both], open: [source] })).toBeUndefined();
  });

  it('mutes targets everywhere when the rule names no equal labels', () => {
    const global = inhibition({ equal: [] });
    expect(muting(offline('A9', 'C9'), { rules: [global], open: [outage('P1', 'C1')] })?.id).toBe('P1');
  });

  it('ignores a disabled rule', () => {
    const source = outage('P1', 'C1');
    const disabled = inhibition({ enabled: false });
    expect(muting(offline('A1', 'C1'), { rules: [disabled], open: [source] })).toBeUndefined();
  });

  it('uses an enabled rule next to a disabled one', () => {
    const source = outage('P1', 'C1');
    const disabled = inhibition({ id: 'INH-0', name: { zh: '停用', en: 'Off' }, enabled: false });
    expect(muting(offline('A1', 'C1'), { rules: [disabled, rule], open: [source] })).toEqual(byOutage('P1'));
  });
});

describe('suppressionOf: precedence and closed alerts', () => {
  it('prefers a silence over an inhibition', () => {
    const source = outage('P1', 'C1');
    expect(
      muting(offline('A1', 'C1'), { silences: [silence()], rules: [inhibition()], open: [source] }),
    ).toEqual({
      by: 'silence',
      id: 'SIL-1',
      reason: '变电站检修',
    });
  });

  it('keeps the previous suppression of a resolved or closed alert', () => {
    const previous: AlertSuppression = { by: 'inhibition', id: 'P0', reason: 'earlier' };
    for (const state of ['resolved', 'closed'] as const) {
      const a = { ...offline('A1', 'C1', state), suppressed: previous };
      expect(muting(a, { silences: [silence()], rules: [inhibition()], open: [outage('P1', 'C1')] })).toBe(
        previous,
      );
    }
  });

  it('does not newly mute a resolved alert', () => {
    expect(muting(offline('A1', 'C1', 'resolved'), { silences: [silence()] })).toBeUndefined();
  });

  it('unmutes an open alert once nothing mutes it any more', () => {
    const a = { ...offline('A1', 'C1'), suppressed: byOutage('P1') };
    expect(muting(a, { rules: [inhibition()], open: [] })).toBeUndefined();
  });
});

describe('sameSuppression', () => {
  const s: AlertSuppression = { by: 'silence', id: 'SIL-1', reason: '检修' };

  it('treats two absent suppressions as the same', () => {
    expect(sameSuppression(undefined, undefined)).toBe(true);
  });

  it('treats absent and present as different, either way round', () => {
    expect(sameSuppression(s, undefined)).toBe(false);
    expect(sameSuppression(undefined, s)).toBe(false);
  });

  it('compares by kind and id, ignoring the reason text', () => {
    expect(sameSuppression(s, { ...s, reason: 'edited comment' })).toBe(true);
    expect(sameSuppression(s, { ...s, id: 'SIL-2' })).toBe(false);
    expect(sameSuppression(s, { ...s, by: 'inhibition' })).toBe(false);
  });
});
