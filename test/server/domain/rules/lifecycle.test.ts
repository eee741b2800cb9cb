import { describe, expect, it } from 'vitest';
import type { Severity } from '@shared/schemas/alert.schema';
import {
  applyVerdict,
  INITIAL_LIFECYCLE,
  needsTick,
  tick,
  type LifecycleChange,
  type LifecycleSettings,
  type LifecycleState,
} from '../../../../server/src/domain/rules/lifecycle';
import type { Verdict } from '../../../../server/src/domain/rules/ruleKind';
import { MIN, SEC, T0 } from './ruleTestKit';

const on = (severity: Severity = 'orange', value = 1): Verdict => ({ active: true, severity, value });
const off = (value = 0): Verdict => ({ active: false, value });

type Event = readonly [at: number, input: Verdict | null | 'tick'];

/** Runs events through the lifecycle; returns each change with its time, and the final state. */
function run(
  settings: LifecycleSettings,
  events: readonly Event[],
  from: LifecycleState = INITIAL_LIFECYCLE,
) {
  let state = from;
  const changes: Array<{ at: number; change: LifecycleChange }> = [];
  for (const [at, input] of events) {
    const step = input === 'tick' ? tick(state, at, settings) : applyVerdict(state, input, at, settings);
    state = step.state;
    for (const change of step.changes) changes.push({ at, change });
  }
  return { state, changes, names: changes.map((c) => c.change) };
}

const m = (minutes: number) => T0 + minutes * MIN;

describe('lifecycle: for (pending)', () => {
  const settings: LifecycleSettings = { forSec: 300, keepFiringForSec: 0 };

  it('goes pending on the first active verdict and fires only once the condition held for the full duration', () => {
    const r = run(settings, [
      [m(0), on()],
      [m(2), on()],
      [m(5) - SEC, on()],
      [m(5), on()],
    ]);
    expect(r.changes).toEqual([
      { at: m(0), change: 'pending' },
      { at: m(5), change: 'firing' },
    ]);
    expect(r.state.phase).toBe('firing');
    expect(r.state.activeSince).toBe(m(0));
  });

  it('stays pending when the condition holds one second short of the duration', () => {
    const r = run(settings, [
      [m(0), on()],
      [m(5) - SEC, on()],
    ]);
    expect(r.names).toEqual(['pending']);
    expect(r.state.phase).toBe('pending');
  });

  it('cancels the pending alert when the condition breaks and restarts the clock on the next activation', () => {
    const r = run(settings, [
      [m(0), on()],
      [m(2), off()],
      [m(3), on()],
      [m(7), on()],
      [m(8), on()],
    ]);
    expect(r.changes).toEqual([
      { at: m(0), change: 'pending' },
      { at: m(2), change: 'cancelled' },
      { at: m(3), change: 'pending' },
      { at: m(8), change: 'firing' },
    ]);
    expect(r.state.activeSince).toBe(m(3));
  });

  it('fires at once when `for` is zero', () => {
    const r = run({ forSec: 0, keepFiringForSec: 0 }, [[m(0), on('red', 260)]]);
    expect(r.names).toEqual(['firing']);
    expect(r.state).toMatchObject({ phase: 'firing', severity: 'red', value: 260, activeSince: m(0) });
  });

  it('fires with the severity of the latest verdict when pending ends', () => {
    const r = run(settings, [
      [m(0), on('yellow')],
      [m(3), on('red')],
      [m(5), on('red')],
    ]);
    expect(r.names).toEqual(['pending', 'firing']);
    expect(r.state.severity).toBe('red');
  });
});

describe('lifecycle: keepFiringFor (recovering)', () => {
  const settings: LifecycleSettings = { forSec: 0, keepFiringForSec: 600 };

  it('holds a firing alert open while recovering and resolves only after it stayed clear for the whole hold', () => {
    const r = run(settings, [
      [m(0), on()],
      [m(1), off()],
      [m(6), off()],
      [m(11) - SEC, off()],
    ]);
    expect(r.names).toEqual(['firing']);
    expect(r.state.phase).toBe('recovering');

    const after = run(settings, [[m(11), off()]], r.state);
    expect(after.changes).toEqual([{ at: m(11), change: 'resolved' }]);
    expect(after.state.phase).toBe('inactive');
  });

  it('keeps one alert when the condition returns during the hold, and measures the hold again from the next clear', () => {
    const r = run(settings, [
      [m(0), on()],
      [m(1), off()],
      [m(5), on()],
      [m(6), off()],
      [m(15), off()],
    ]);
    expect(r.names).toEqual(['firing']);
    expect(r.state.phase).toBe('recovering');
    expect(r.state.activeSince).toBe(m(0));

    const after = run(settings, [[m(16), off()]], r.state);
    expect(after.names).toEqual(['resolved']);
  });

  it('resolves a recovering alert on a clock tick once the hold is over', () => {
    const r = run(settings, [
      [m(0), on()],
      [m(1), off()],
      [m(10), 'tick'],
    ]);
    expect(r.names).toEqual(['firing']);
    expect(needsTick(r.state)).toBe(true);

    const after = run(settings, [[m(11), 'tick']], r.state);
    expect(after.changes).toEqual([{ at: m(11), change: 'resolved' }]);
    expect(needsTick(after.state)).toBe(false);
  });

  it('resolves at once on the first clear verdict when keepFiringFor is zero', () => {
    const r = run({ forSec: 0, keepFiringForSec: 0 }, [
      [m(0), on()],
      [m(1), off()],
    ]);
    expect(r.names).toEqual(['firing', 'resolved']);
  });
});

describe('lifecycle: severity', () => {
  const settings: LifecycleSettings = { forSec: 0, keepFiringForSec: 0 };

  it('emits a severity change when a firing alert escalates and when it de-escalates', () => {
    const r = run(settings, [
      [m(0), on('yellow')],
      [m(1), on('yellow')],
      [m(2), on('red')],
      [m(3), on('orange')],
    ]);
    expect(r.changes).toEqual([
      { at: m(0), change: 'firing' },
      { at: m(2), change: 'severity' },
      { at: m(3), change: 'severity' },
    ]);
    expect(r.state.severity).toBe('orange');
  });

  it('emits a severity change when an alert recovering under keepFiringFor comes back more severe', () => {
    const r = run({ forSec: 0, keepFiringForSec: 600 }, [
      [m(0), on('yellow')],
      [m(1), off()],
      [m(2), on('red')],
    ]);
    expect(r.names).toEqual(['firing', 'severity']);
    expect(r.state.phase).toBe('firing');
  });
});

describe('lifecycle: flap detection', () => {
  const settings: LifecycleSettings = {
    forSec: 0,
    keepFiringForSec: 0,
    flap: { windowSec: 600, transitions: 4 },
  };

  it('marks an alert flapping after N transitions within the window and keeps it open as one alert', () => {
    const r = run(settings, [
      [m(0), on()], // fire 1
      [m(1), off()], // resolve 2
      [m(2), on()], // fire 3
      [m(3), off()], // would resolve (4): flapping instead
      [m(4), on()],
      [m(5), off()],
      [m(6), on()],
      [m(7), off()],
    ]);
    expect(r.names).toEqual(['firing', 'resolved', 'firing', 'flapping']);
    expect(r.state.phase).toBe('recovering');
    expect(r.state.flapping).toBe(true);
  });

  it('resolves a flapping alert only after its condition stayed clear for a whole flap window', () => {
    const flapping = run(settings, [
      [m(0), on()],
      [m(1), off()],
      [m(2), on()],
      [m(3), off()],
    ]).state;
    const r = run(settings, [[m(13) - SEC, 'tick']], flapping);
    expect(r.names).toEqual([]);
    const after = run(settings, [[m(13), 'tick']], flapping);
    expect(after.names).toEqual(['resolved']);
    expect(after.state).toMatchObject({ phase: 'inactive', flapping: false, transitions: [] });
  });

  it('restarts the flap window when a flapping alert becomes active again', () => {
    const flapping = run(settings, [
      [m(0), on()],
      [m(1), off()],
      [m(2), on()],
      [m(3), off()],
    ]).state;
    const r = run(
      settings,
      [
        [m(8), on()],
        [m(9), off()],
        [m(18) - SEC, 'tick'],
      ],
      flapping,
    );
    expect(r.names).toEqual([]);
    expect(r.state.phase).toBe('recovering');
    expect(run(settings, [[m(19), 'tick']], r.state).names).toEqual(['resolved']);
  });

  it('reports flapping together with the firing that reaches the transition count', () => {
    const r = run({ ...settings, flap: { windowSec: 600, transitions: 3 } }, [
      [m(0), on()],
      [m(1), off()],
      [m(2), on()],
    ]);
    expect(r.names).toEqual(['firing', 'resolved', 'firing', 'flapping']);
    expect(r.state.flapping).toBe(true);
  });

  it('does not mark an alert flapping when its transitions are spread wider than the window', () => {
    const r = run(settings, [
      [m(0), on()],
      [m(6), off()],
      [m(12), on()],
      [m(18), off()],
      [m(24), on()],
      [m(30), off()],
    ]);
    expect(r.names).toEqual(['firing', 'resolved', 'firing', 'resolved', 'firing', 'resolved']);
    expect(r.state.flapping).toBe(false);
  });

  it('starts a fresh history after a flapping alert resolved', () => {
    const flapping = run(settings, [
      [m(0), on()],
      [m(1), off()],
      [m(2), on()],
      [m(3), off()],
    ]).state;
    const r = run(
      settings,
      [
        [m(13), 'tick'],
        [m(14), on()],
        [m(15), off()],
      ],
      flapping,
    );
    expect(r.names).toEqual(['resolved', 'firing', 'resolved']);
    expect(r.state.flapping).toBe(false);
  });
});

describe('lifecycle: inputs that change nothing', () => {
  const settings: LifecycleSettings = { forSec: 0, keepFiringForSec: 0 };

  it('ignores a sample older than the latest judged one', () => {
    const firing = run(settings, [[m(10), on()]]).state;
    const step = applyVerdict(firing, off(), m(5), settings);
    expect(step.changes).toEqual([]);
    expect(step.state).toBe(firing);
  });

  it('leaves the state untouched on a null verdict', () => {
    const pending = run({ forSec: 300, keepFiringForSec: 0 }, [[m(0), on()]]).state;
    const step = applyVerdict(pending, null, m(10), { forSec: 300, keepFiringForSec: 0 });
    expect(step.changes).toEqual([]);
    expect(step.state).toBe(pending);
  });

  it('does nothing on a tick unless the alert is recovering', () => {
    const firing = run(settings, [[m(0), on()]]).state;
    expect(tick(firing, m(60), { forSec: 0, keepFiringForSec: 60 }).state).toBe(firing);
    expect(tick(INITIAL_LIFECYCLE, m(60), settings).state).toBe(INITIAL_LIFECYCLE);
  });

  it('keeps the latest value and score on the state', () => {
    const r = run(settings, [
      [m(0), { active: true, severity: 'blue', value: 3, score: 4.2 }],
      [m(1), { active: true, severity: 'blue', value: 5 }],
    ]);
    expect(r.state).toMatchObject({ value: 5, score: 4.2 });
  });
});
