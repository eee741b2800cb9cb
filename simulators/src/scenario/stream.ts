import type { CityPack } from '@shared/schemas/cityPack.schema';
import { compileScenario, ScenarioGenerator, type CompiledScenario } from './generate';
import type { Sink } from './sinks';

const DAY_MS = 86_400_000;

/**
 * How far to move a scenario's timestamps when it is streamed live, so that no reading is
 * ever in the future: a whole number of days (the time of day — rush hour, night — stays as
 * written), the latest shift that keeps `start + elapsed·speed ≤ now + elapsed` for the
 * whole run. With `align: 'now'` the start moves to this instant instead (time of day lost).
 */
export function liveShiftMs(
  cs: CompiledScenario,
  now: number,
  speed: number,
  align: 'day' | 'now' = 'day',
): number {
  const duration = cs.end - cs.start;
  const latestStart = now - (duration * Math.max(0, speed - 1)) / speed;
  if (align === 'now') return latestStart - cs.start;
  return Math.floor((latestStart - cs.start) / DAY_MS) * DAY_MS;
}

export interface StreamProgress {
  /** Scenario time reached (unshifted), epoch ms. */
  simTime: number;
  /** 0–1 of the current pass through the scenario. */
  fraction: number;
  loop: number;
  sent: number;
  messages: number;
  rejected: number;
}

export interface StreamOptions {
  pack: CityPack;
  compiled: CompiledScenario;
  sink: Sink;
  /** Scenario seconds per real second while behind real time (or always, without `followRealTime`). */
  speed: number;
  /** Added to every timestamp sent (see {@link liveShiftMs}). */
  shiftMs: number;
  /** Start here instead of the scenario start (scenario time). */
  from?: number;
  /** Never run ahead of real time: once caught up, play at 1× (the built-in demo feed). */
  followRealTime?: boolean;
  /** Start over at the end, one scenario duration later and with the next seed. */
  loop?: boolean;
  /** As fast as the sink takes it (a file): no pacing at all. */
  unpaced?: boolean;
  tickMs?: number;
  clock?: () => number;
  onProgress?: (p: StreamProgress) => void;
  onError?: (err: Error) => void;
}

export interface ScenarioStream {
  /** Resolves when the scenario ended (never while looping) or `stop()` finished. */
  done: Promise<void>;
  progress(): StreamProgress;
  stop(): Promise<void>;
}

/**
 * Play a compiled scenario into a sink at a speed: every tick, the messages whose time
 * came are generated and sent with the citizens' reports whose time came (the next tick waits
 * for the sink, so a slow receiver slows the stream rather than piling messages up).
 * Timestamps are shifted by `shiftMs`.
 */
export function streamScenario(options: StreamOptions): ScenarioStream {
  const clock = options.clock ?? Date.now;
  const tickMs = options.tickMs ?? 250;
  let compiled = options.compiled;
  let generator = new ScenarioGenerator(compiled);
  let loop = 0;
  let shift = options.shiftMs;
  let cursor = (options.from ?? compiled.start) - 1;
  const realStart = clock();
  const simStart = cursor;
  let stopped = false;
  let sent = 0;
  const progress = (): StreamProgress => {
    const s = options.sink.stats();
    return {
      simTime: cursor,
      // A looping pass ends at its last ms (`lastOf`), which is its whole duration played.
      fraction: Math.min(
        1,
        (cursor + (options.loop ? 1 : 0) - compiled.start) / (compiled.end - compiled.start),
      ),
      loop,
      sent,
      messages: s.messages,
      rejected: s.rejected,
    };
  };
  /** Scenario time (on the unlooped, unshifted timeline of the first pass) that is due now. */
  const due = () => {
    if (options.unpaced) return Infinity;
    const elapsed = clock() - realStart;
    let t = simStart + elapsed * options.speed;
    if (options.followRealTime) t = Math.min(t, clock() - options.shiftMs);
    return t;
  };
  const duration = compiled.end - compiled.start;
  // A looping pass is [start, end): its end instant is the next pass's start, played once, by it.
  const lastOf = (cs: CompiledScenario) => (options.loop ? cs.end - 1 : cs.end);

  const run = async () => {
    while (!stopped) {
      const target = due() - loop * duration;
      const to = Math.min(target, lastOf(compiled), cursor + 60_000);
      if (to > cursor) {
        const batch = generator.emissionsBetween(cursor, to, shift);
        const reports = compiled.reports.filter((r) => r.t > cursor && r.t <= to);
        cursor = to;
        try {
          await options.sink.send(batch, reports);
          sent += batch.length;
        } catch (err) {
          options.onError?.(err as Error);
        }
        options.onProgress?.(progress());
      }
      if (cursor >= lastOf(compiled)) {
        if (!options.loop) break;
        loop++;
        shift += duration;
        compiled = compileScenario(compiled.scenario, options.pack, { seed: options.compiled.seed + loop });
        generator = new ScenarioGenerator(compiled);
        cursor = compiled.start - 1;
        continue;
      }
      if (!options.unpaced && to >= target) await new Promise((r) => setTimeout(r, tickMs));
    }
  };
  const done = run();
  return {
    done,
    progress,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}
