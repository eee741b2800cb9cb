import { fileURLToPath } from 'node:url';
import type { CityPack } from '@shared/schemas/cityPack.schema';
import { compileScenario, type CompiledScenario } from './scenario/generate';
import { loadScenarioFile } from './scenario/loadScenario';
import { mqttSink } from './scenario/sinks';
import { streamScenario } from './scenario/stream';

const DAY_MS = 86_400_000;

/** The scenario `npm start` plays: a looping city day with a few incidents. */
export const CITY_DAY_SCENARIO = new URL('../scenarios/city-day.yaml', import.meta.url);

export interface FeedOptions {
  /** Broker to publish to, e.g. mqtt://127.0.0.1:1883. */
  mqttUrl: string;
  /** Device credential id (MQTT username) of the gateway the feed publishes as, and its secret. */
  username: string;
  password: string;
  /** Gateway id the feed publishes as (topic cityops/v1/gateways/{id}/readings). */
  gatewayId: string;
  pack: CityPack;
  /** Scenario file to loop (default: the city day). It should last whole days and start at local midnight. */
  scenarioFile?: string | URL;
  /** Start the simulated clock this far in the past and run faster until it reaches now, ms. */
  backfillMs?: number;
  /** Speed of the simulated clock while it is behind real time (1 = real time). */
  catchUpSpeed?: number;
  clock?: () => number;
  onError?: (err: Error) => void;
}

export interface Feed {
  stats(): { published: number; messages: number; simTime: number };
  /** The scenario being looped (its incidents, citizens' reports and dispatch settings). */
  compiled: CompiledScenario;
  /** The scenario's own time at wall-clock time `at` (the day is moved to today and loops). */
  scenarioTime(at: number): number;
  /** Resolves once the feed has replayed its backfill and reached real time. */
  caughtUp: Promise<void>;
  stop(): Promise<void>;
}

/**
 * The built-in simulated feed: a looping scenario played against real time through MQTT,
 * like any gateway — the platform's real ingest path. The scenario's time of day follows
 * the wall clock (its timestamps are moved by whole days), so the morning rush happens in
 * the morning; each new day plays with the next seed.
 */
export async function startFeed(options: FeedOptions): Promise<Feed> {
  const clock = options.clock ?? Date.now;
  const file = options.scenarioFile ?? CITY_DAY_SCENARIO;
  const scenario = loadScenarioFile(file instanceof URL ? fileURLToPath(file) : file);
  const compiled = compileScenario(scenario, options.pack);
  const sink = await mqttSink({
    url: options.mqttUrl,
    username: options.username,
    password: options.password,
    gateway: options.gatewayId,
  });
  const firstAt = clock() - (options.backfillMs ?? 0);
  const shiftMs = Math.floor((firstAt - compiled.start) / DAY_MS) * DAY_MS;
  const stream = streamScenario({
    pack: options.pack,
    compiled,
    sink,
    speed: options.catchUpSpeed ?? 1,
    shiftMs,
    from: firstAt - shiftMs,
    followRealTime: true,
    loop: true,
    clock,
    ...(options.onError && { onError: options.onError }),
  });
  let reached: () => void = () => {};
  const caughtUp = new Promise<void>((resolve) => (reached = resolve));
  const length = compiled.end - compiled.start;
  /** Wall-clock time the feed has reached: its scenario time moved to today, plus the days looped. */
  const reachedAt = () => {
    const p = stream.progress();
    return p.simTime + shiftMs + p.loop * length;
  };
  const watch = setInterval(() => {
    // A backfill that crosses local midnight loops once: count the loop, or it never catches up.
    if (reachedAt() >= clock() - 2000) {
      clearInterval(watch);
      reached();
    }
  }, 100);
  void stream.done.finally(() => {
    clearInterval(watch);
    reached();
  });
  return {
    caughtUp,
    compiled,
    scenarioTime: (at) => compiled.start + ((((at - shiftMs - compiled.start) % length) + length) % length),
    stats: () => {
      const p = stream.progress();
      return { published: p.sent, messages: p.messages, simTime: reachedAt() };
    },
    stop: async () => {
      await stream.stop();
      await sink.close();
    },
  };
}
