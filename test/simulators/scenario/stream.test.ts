import { describe, expect, it } from 'vitest';
import { loadCityPack, resolveCityPackDir } from '../../../server/src/cityPack/cityPack.loader';
import { compileScenario, ScenarioGenerator, type Emission } from '../../../simulators/src/scenario/generate';
import { parseScenario } from '../../../simulators/src/scenario/loadScenario';
import type { CitizenReport } from '../../../simulators/src/scenario/model';
import type { Sink } from '../../../simulators/src/scenario/sinks';
import {
  streamScenario,
  type ScenarioStream,
  type StreamProgress,
} from '../../../simulators/src/scenario/stream';

const pack = loadCityPack(resolveCityPackDir('hangzhou'));
const DAY = 86_400_000;
const MIN = 60_000;

/** Ten minutes of a Monday morning: a crash, and a seeded stream of 12345 calls (another seed, other calls). */
const scenario = parseScenario(`name: { zh: 循环测试, en: Loop test }
start: '2026-11-23T07:50:00+08:00'
duration: 10m
seed: 5
loop: true
incidents:
  - { id: crash, type: traffic-accident, at: '+2m', duration: 5m, where: { sensor: TRF-0091 } }
  - { id: hotline, type: citizen-reports, at: '+1m', duration: 8m, perHour: 60, categories: [event.city-appearance.litter], area: { districts: ['330102'] } }
`);

/** A sink that keeps what it is sent, one entry per step, and yields to the event loop like a real one. */
function recordingSink() {
  const steps: Array<{ emissions: Emission[]; reports: CitizenReport[] }> = [];
  let messages = 0;
  const sink: Sink = {
    send: async (emissions, reports = []) => {
      steps.push({ emissions: [...emissions], reports: [...reports] });
      messages += emissions.length;
      await new Promise((r) => setImmediate(r));
    },
    stats: () => ({ messages, readings: messages, rejected: 0 }),
    close: async () => {},
  };
  return { sink, steps };
}

describe('streamScenario with loop: true', () => {
  it('starts over at the end one duration later with the next seed, and keeps the timestamps running on', async () => {
    const cs = compileScenario(scenario, pack);
    const duration = cs.end - cs.start;
    expect(duration).toBe(10 * MIN);
    const shiftMs = 3 * DAY;
    const { sink, steps } = recordingSink();
    /** The pass each step belonged to, from the progress reported after it. */
    const passOf: StreamProgress[] = [];
    // (onProgress is called once a step was sent, after streamScenario returned.)
    const stream: ScenarioStream = streamScenario({
      pack,
      compiled: cs,
      sink,
      speed: 1,
      shiftMs,
      loop: true,
      unpaced: true,
      onProgress: (p) => {
        passOf.push(p);
        // The first step of the third pass: enough.
        if (p.loop === 2) void stream.stop();
      },
    });
    await stream.done;
    expect(steps).toHaveLength(passOf.length);
    const pass = (n: number) => steps.filter((_, i) => passOf[i]!.loop === n);
    expect(pass(0).length).toBeGreaterThan(1);
    expect(pass(1).length).toBe(pass(0).length);
    expect(pass(2).length).toBeGreaterThan(0);
    expect(stream.progress()).toMatchObject({ loop: 2 });
    // Each pass reports its own progress from the scenario's start to its end.
    for (const n of [0, 1]) {
      const fractions = passOf.filter((p) => p.loop === n).map((p) => p.fraction);
      expect(fractions.at(-1)).toBe(1);
      expect(fractions[0]).toBeLessThan(0.2);
    }

    // The first pass is the scenario as compiled, stamped `shiftMs` later; the second is the
    // scenario compiled with the next seed, stamped one duration later still. A looping pass is
    // [start, end): its end instant is the next pass's start and is played once, by that pass.
    const lines = (n: number) => pass(n).flatMap((s) => s.emissions.map((e) => e.line));
    expect(lines(0)).toEqual(
      new ScenarioGenerator(cs).emissionsBetween(cs.start - 1, cs.end - 1, shiftMs).map((e) => e.line),
    );
    const next = compileScenario(scenario, pack, { seed: cs.seed + 1 });
    const expected1 = new ScenarioGenerator(next).emissionsBetween(
      cs.start - 1,
      cs.end - 1,
      shiftMs + duration,
    );
    expect(lines(1)).toEqual(expected1.map((e) => e.line));
    // …which is not the first pass again, moved on: another seed, other values.
    const sameSeedMoved = new ScenarioGenerator(cs).emissionsBetween(
      cs.start - 1,
      cs.end - 1,
      shiftMs + duration,
    );
    expect(lines(1)).not.toEqual(sameSeedMoved.map((e) => e.line));
    // The third pass goes on with the seed after that.
    const third = compileScenario(scenario, pack, { seed: cs.seed + 2 });
    const firstOfThird = pass(2).flatMap((s) => s.emissions);
    expect(firstOfThird.map((e) => e.line)).toEqual(
      new ScenarioGenerator(third)
        .emissionsBetween(cs.start - 1, firstOfThird.at(-1)!.t, shiftMs + 2 * duration)
        .map((e) => e.line),
    );

    // Device timestamps run on across the seams: every pass's readings lie in its own window
    // [start, end), in time order, and no sensor sends two readings stamped with the same instant.
    const readings = [0, 1, 2].flatMap((n) =>
      pass(n).flatMap((s) =>
        s.emissions.flatMap((e) =>
          e.reading ? [{ n, sensorId: e.reading.sensorId, at: Number(e.reading.observedAt) }] : [],
        ),
      ),
    );
    for (const r of readings) {
      expect(r.at).toBeGreaterThanOrEqual(cs.start + shiftMs + r.n * duration);
      expect(r.at).toBeLessThan(cs.end + shiftMs + r.n * duration);
    }
    for (let i = 1; i < readings.length; i++)
      expect(readings[i]!.at).toBeGreaterThanOrEqual(readings[i - 1]!.at);
    const stamps = new Set(readings.map((r) => `${r.sensorId}@${r.at}`));
    expect(stamps.size).toBe(readings.length);

    // Every pass hands the sink the citizens' reports of its own seed, each once (the reports keep
    // the scenario's own times; the sinks that take them place them).
    const reportKeys = (n: number) =>
      pass(n).flatMap((s) => s.reports.map((r) => `${r.incident}#${r.index}@${r.t}`));
    const keysOf = (c: typeof cs) => c.reports.map((r) => `${r.incident}#${r.index}@${r.t}`);
    expect(cs.reports.length).toBeGreaterThan(2);
    expect(reportKeys(0)).toEqual(keysOf(cs));
    expect(reportKeys(1)).toEqual(keysOf(next));
    expect(keysOf(next)).not.toEqual(keysOf(cs));
  });
});
