/**
 * Rule engine throughput (a section of `npm run bench`, no server needed): readings per
 * second through the pure engine's `step()` on one core, in this process.
 *
 * - 10,000 synthetic sensors: 8,000 traffic loop detectors (speed, volume, occupancy every
 *   20 s) and 2,000 air-quality stations (pm25, pm10, no2, o3, co), in 2,000 grid cells of
 *   10 districts.
 * - Rule sets of 10 rules, 5 scoped to each sensor kind, so every reading is judged by 5
 *   rules: all thresholds (row a), or 4 thresholds and one anomaly detector per kind (row b).
 *   Then the threshold set plus up to 50,000 rules scoped to sensors and grid cells that do
 *   not report here (rows c): the cost per reading should not change with them. One more row
 *   with 100 rules that all match (50 per reading) shows what matching rules cost.
 * - Readings are generated before the clock starts: round after round, every sensor once per
 *   20 s of event time, values around the sensor's own level; 1 % of readings breach one
 *   metric, so alerts go pending, fire, get cancelled and resolve while it runs.
 * - Each row builds a fresh engine and warms it up (JIT; every (rule, sensor) state created,
 *   anomaly detectors past their warm-up), then times `step()` over the same readings a few
 *   times, moved forward in time each pass. The median pass counts: the 2-core machine is
 *   shared, so single passes can be slowed by other work. Heap is heapUsed after a full GC,
 *   with the engine against without it.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RuleSchema, type Rule, type RuleDraftInput } from '../../shared/schemas/rule.schema';
import {
  createEngine,
  snapshot,
  step,
  type EngineInput,
  type EngineState,
} from '../../server/src/domain/rules/engine';
import { pointInPolygon } from '../../server/src/domain/geometry';
import type { SensorInfo } from '../../server/src/domain/rules/ruleKind';
import { mulberry32 } from '../../simulators/src/noise';
import { sampleProc } from './procStats';
import { verdictOf } from './report';
import type { Target } from './rows';
import { markdownTable, num } from './table';

/** Size of each row. */
export const ENGINE_PLAN = {
  trafficSensors: 8_000,
  airSensors: 2_000,
  /** Event time between two readings of one sensor, ms. */
  roundMs: 20_000,
  /** Rounds of readings generated (each sensor once per round). */
  rounds: 100,
  /** Rounds fed before timing (JIT, states created, anomaly warm-up of 10 min = 30 rounds). */
  warmupRounds: 50,
  /** Timed passes over all rounds per row; the median counts. */
  passes: 5,
  /** Timed passes of the scaling and contrast rows (rows c, d). */
  scalingPasses: 3,
  /** Total rule counts of the scaling rows. */
  ruleCounts: [1_000, 5_000, 10_000, 50_000],
  /** Rules in the contrast row, all of them matching (half per sensor kind). */
  allMatchingRules: 100,
  /** Rounds per pass of the contrast row. */
  allMatchingRounds: 10,
  /** Share of readings with one breaching metric. */
  breachRate: 0.01,
} as const;

export interface EngineThroughputRow {
  id: string;
  title: string;
  sensors: number;
  rules: number;
  /** Rules judging each reading: (rule, sensor) states ÷ sensors (every reading carries every metric of its sensor). */
  matchingPerReading: number;
  /** Median over the timed passes. */
  readingsPerSec: number;
  passesReadingsPerSec: number[];
  nsPerReading: number;
  readingsPerPass: number;
  /** Alert changes (pending, firing, cancelled, resolved…) per timed pass, median. */
  alertChangesPerPass: number;
  /** heapUsed with the engine (state after the run) minus without, MB. */
  engineHeapMb: number;
  /** CPU used by other processes during the timed passes, % of one core, median over the passes. */
  othersPct: number;
  target: Target | null;
  verdict: string;
}

/** 2026-06-01T00:00:00Z. */
const T0 = Date.parse('2026-06-01T00:00:00Z');
const DISTRICTS = [
  '330102',
  '330105',
  '330106',
  '330108',
  '330109',
  '330110',
  '330111',
  '330112',
  '330113',
  '330114',
];
const CELLS_PER_DISTRICT = 200;

interface BenchSensor {
  info: SensorInfo;
  /** Each metric's usual level. */
  level: Record<string, number>;
}

function cellId(district: string, n: number): string {
  const street = 1 + Math.floor(n / 100);
  const community = 1 + Math.floor((n % 100) / 10);
  const cell = 1 + (n % 10);
  return `${district}${String(street).padStart(3, '0')}${String(community).padStart(3, '0')}${String(cell).padStart(3, '0')}`;
}

function makeSensors(rand: () => number): BenchSensor[] {
  const sensors: BenchSensor[] = [];
  const total = ENGINE_PLAN.trafficSensors + ENGINE_PLAN.airSensors;
  const between = (lo: number, hi: number) => lo + (hi - lo) * rand();
  for (let i = 0; i < total; i++) {
    const cell = Math.floor(rand() * DISTRICTS.length * CELLS_PER_DISTRICT);
    const district = DISTRICTS[Math.floor(cell / CELLS_PER_DISTRICT)]!;
    const base = {
      districtId: district,
      gridCellId: cellId(district, cell % CELLS_PER_DISTRICT),
      location: [between(120.0, 120.4), between(30.1, 30.4)] as [number, number],
    };
    if (i < ENGINE_PLAN.trafficSensors) {
      const expressway = rand() < 0.2;
      sensors.push({
        info: {
          id: `TRF-${String(i).padStart(5, '0')}`,
          kind: 'traffic',
          subtype: 'loop-detector',
          reportIntervalSec: 20,
          freeFlowKmh: expressway ? 65 : 40,
          roadClass: expressway ? 'expressway' : 'arterial',
          ...base,
        },
        level: {
          speed: between(35, 65),
          volume: between(400, 1400),
          occupancy: between(0.05, 0.25),
        },
      });
    } else {
      sensors.push({
        info: {
          id: `AQ-${String(i).padStart(5, '0')}`,
          kind: 'air',
          subtype: 'aq-station',
          reportIntervalSec: 60,
          ...base,
        },
        level: {
          pm25: between(20, 60),
          pm10: between(40, 90),
          no2: between(20, 60),
          o3: between(40, 120),
          co: between(0.4, 1.2),
        },
      });
    }
  }
  return sensors;
}

/** A breaching value per metric: [low, high) drawn uniformly. */
const BREACH: Readonly<Record<string, readonly [number, number]>> = {
  speed: [2, 18],
  volume: [2_000, 2_500],
  occupancy: [0.55, 0.8],
  pm25: [120, 200],
  pm10: [260, 400],
  no2: [250, 400],
  o3: [220, 320],
  co: [12, 20],
};

type ReadingInput = Extract<EngineInput, { type: 'reading' }>;

interface ReadingPool {
  readings: ReadingInput[];
  /** observedAt of each reading in the first pass. */
  baseAt: Float64Array;
  /** Event time one pass covers, ms. */
  spanMs: number;
  sensorsPerRound: number;
}

function makeReadings(sensors: readonly BenchSensor[], rounds: number, rand: () => number): ReadingPool {
  const n = sensors.length;
  const readings: ReadingInput[] = new Array<ReadingInput>(rounds * n);
  const baseAt = new Float64Array(rounds * n);
  // Approximately normal noise (Irwin–Hall of 4), σ ≈ 1.
  const gauss = () => (rand() + rand() + rand() + rand() - 2) * Math.sqrt(3);
  for (let r = 0; r < rounds; r++) {
    for (let s = 0; s < n; s++) {
      const sensor = sensors[s]!;
      const values: Record<string, number> = {};
      for (const metric in sensor.level) {
        values[metric] = Math.max(0, sensor.level[metric]! * (1 + 0.08 * gauss()));
      }
      if (rand() < ENGINE_PLAN.breachRate) {
        const metrics = Object.keys(sensor.level);
        const metric = metrics[Math.floor(rand() * metrics.length)]!;
        const [lo, hi] = BREACH[metric]!;
        values[metric] = lo + (hi - lo) * rand();
      }
      const i = r * n + s;
      baseAt[i] = T0 + r * ENGINE_PLAN.roundMs + Math.floor((s * ENGINE_PLAN.roundMs) / n);
      readings[i] = { type: 'reading', sensorId: sensor.info.id, observedAt: baseAt[i]!, values };
    }
  }
  return { readings, baseAt, spanMs: rounds * ENGINE_PLAN.roundMs, sensorsPerRound: n };
}

function toRule(draft: RuleDraftInput): Rule {
  return RuleSchema.parse({ ...draft, version: 1, updatedAt: T0, updatedBy: 'bench', reason: 'bench' });
}

type LevelSpec = [
  severity: 'blue' | 'yellow' | 'orange' | 'red',
  op: '<' | '>',
  value: number,
  clear: number,
];

function threshold(
  id: string,
  kind: 'traffic' | 'air',
  metric: string,
  levels: readonly LevelSpec[],
  timing: Pick<RuleDraftInput, 'for' | 'keepFiringFor' | 'flap'>,
): RuleDraftInput {
  return {
    id,
    name: { zh: id, en: id },
    kind: 'threshold',
    scope: { kinds: [kind] },
    params: {
      metric,
      levels: levels.map(([severity, op, value, clear]) => ({ severity, op, value, clear })),
    },
    ...timing,
  };
}

function anomaly(
  id: string,
  kind: 'traffic' | 'air',
  metric: string,
  direction: 'up' | 'down',
  sensitivity: 'low' | 'medium',
): RuleDraftInput {
  return {
    id,
    name: { zh: id, en: id },
    kind: 'anomaly',
    scope: { kinds: [kind] },
    // The default daily profile; a 10-minute warm-up so the detectors judge during the run.
    params: { metric, direction, sensitivity, warmup: '10m', minSamples: 20 },
    keepFiringFor: '10m',
  };
}

const FLAP = { window: '1h', transitions: 6 } as const;

/** 5 rules per sensor kind (10 in all); with `withAnomaly`, one threshold per kind is an anomaly detector. */
export function baseRules(withAnomaly: boolean): Rule[] {
  const drafts: RuleDraftInput[] = [
    threshold(
      'traffic-slow',
      'traffic',
      'speed',
      [
        ['yellow', '<', 30, 35],
        ['orange', '<', 20, 25],
        ['red', '<', 10, 12],
      ],
      { for: '2m', keepFiringFor: '5m', flap: FLAP },
    ),
    threshold(
      'traffic-volume-high',
      'traffic',
      'volume',
      [
        ['yellow', '>', 1_800, 1_700],
        ['orange', '>', 2_200, 2_100],
      ],
      { for: '5m', keepFiringFor: '5m' },
    ),
    threshold(
      'traffic-occupancy-high',
      'traffic',
      'occupancy',
      [
        ['yellow', '>', 0.5, 0.45],
        ['orange', '>', 0.7, 0.65],
      ],
      { for: '2m', keepFiringFor: '2m' },
    ),
    threshold('traffic-empty-road', 'traffic', 'volume', [['blue', '<', 10, 20]], { for: '10m' }),
    withAnomaly
      ? anomaly('traffic-speed-anomaly', 'traffic', 'speed', 'down', 'low')
      : threshold('traffic-standstill', 'traffic', 'speed', [['red', '<', 5, 8]], { keepFiringFor: '2m' }),
    threshold(
      'air-pm25',
      'air',
      'pm25',
      [
        ['yellow', '>', 75, 70],
        ['orange', '>', 115, 105],
        ['red', '>', 150, 140],
      ],
      { for: '10m', keepFiringFor: '10m', flap: FLAP },
    ),
    threshold(
      'air-pm10',
      'air',
      'pm10',
      [
        ['yellow', '>', 150, 140],
        ['orange', '>', 250, 230],
        ['red', '>', 350, 330],
      ],
      { for: '10m', keepFiringFor: '10m' },
    ),
    threshold(
      'air-no2',
      'air',
      'no2',
      [
        ['yellow', '>', 200, 180],
        ['orange', '>', 700, 650],
      ],
      { keepFiringFor: '5m' },
    ),
    threshold(
      'air-co',
      'air',
      'co',
      [
        ['yellow', '>', 10, 9],
        ['orange', '>', 35, 30],
      ],
      { for: '5m' },
    ),
    withAnomaly
      ? anomaly('air-pm25-anomaly', 'air', 'pm25', 'up', 'medium')
      : threshold(
          'air-o3',
          'air',
          'o3',
          [
            ['yellow', '>', 200, 190],
            ['orange', '>', 300, 280],
          ],
          { for: '10m', keepFiringFor: '10m' },
        ),
  ];
  return drafts.map(toRule);
}

const OTHER_METRICS = [
  ['traffic', 'speed', '<', 15],
  ['traffic', 'volume', '>', 2_000],
  ['traffic', 'occupancy', '>', 0.6],
  ['air', 'pm25', '>', 100],
  ['air', 'pm10', '>', 200],
] as const;

/**
 * `count` threshold rules on the metrics the bench sensors report, each scoped to one sensor
 * (half of them) or one grid cell (the other half) that does not report here: per-device and
 * per-cell rules of the rest of the city.
 */
function elsewhereRules(count: number): Rule[] {
  const rules: Rule[] = [];
  for (let i = 0; i < count; i++) {
    const [kind, metric, op, value] = OTHER_METRICS[i % OTHER_METRICS.length]!;
    // Districts 330122…, cells from street 101 up: no bench sensor is there.
    const district = `3301${String(22 + (i % 60)).padStart(2, '0')}`;
    const scope =
      i % 2 === 0
        ? { kinds: [kind], sensorIds: [`${kind === 'air' ? 'AQ' : 'TRF'}-X${String(i).padStart(6, '0')}`] }
        : { kinds: [kind], gridCellIds: [cellId(district, 10_000 + Math.floor(i / 60))] };
    rules.push(
      toRule({
        id: `elsewhere-${i}`,
        name: { zh: `其他-${i}`, en: `Elsewhere ${i}` },
        kind: 'threshold',
        scope,
        params: { metric, levels: [{ severity: 'orange', op, value }] },
        for: '5m',
      }),
    );
  }
  return rules;
}

/** `count` rules that each match every reading of their kind (half traffic, half air). */
function allMatchingRules(count: number): Rule[] {
  const rules: Rule[] = [];
  for (let i = 0; i < count; i++) {
    const half = i >> 1;
    const [kind, metric, op, value] = OTHER_METRICS[i % 2 === 0 ? half % 3 : 3 + (half % 2)]!;
    rules.push(
      toRule({
        id: `city-${i}`,
        name: { zh: `全市-${i}`, en: `City ${i}` },
        kind: 'threshold',
        scope: { kinds: [kind] },
        params: { metric, levels: [{ severity: 'orange', op, value: value * (1 + (i % 7) / 100) }] },
        for: '5m',
      }),
    );
  }
  return rules;
}

let gcFn: (() => void) | undefined;
/** A full GC (exposed at run time, so the bench needs no node flag). */
function fullGc(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface RowSpec {
  id: string;
  title: string;
  rules: Rule[];
  target: Target | null;
}

/**
 * Times rows side by side: every row's engine is built and warmed up, then each pass times
 * them one after the other over the same readings, so a busy spell of the shared machine
 * falls on all of them alike. `rounds` per pass (a prefix of the pool).
 */
function runGroup(
  specs: readonly RowSpec[],
  rounds: number,
  passes: number,
  sensors: readonly BenchSensor[],
  pool: ReadingPool,
): EngineThroughputRow[] {
  const n = pool.sensorsPerRound;
  const passLength = rounds * n;
  const warmupLength = Math.min(ENGINE_PLAN.warmupRounds, rounds) * n;
  const { readings, baseAt } = pool;
  let pass = 0;
  // Moves the readings forward in time: each pass is new to the engines (event time only grows).
  const shift = () => {
    const offset = pass++ * pool.spanMs;
    for (let i = 0; i < readings.length; i++) readings[i]!.observedAt = baseAt[i]! + offset;
  };
  const timed = (state: EngineState, length: number) => {
    let changes = 0;
    const before = sampleProc(process.pid);
    const started = performance.now();
    for (let i = 0; i < length; i++) {
      const input = readings[i]!;
      changes += step(state, input, input.observedAt).outcomes.length;
    }
    const ms = performance.now() - started;
    const after = sampleProc(process.pid);
    const othersSec = after.machineBusySec - before.machineBusySec - (after.cpuSec - before.cpuSec);
    return { ms, changes, othersPct: Math.max(0, (100 * othersSec) / ((after.at - before.at) / 1000)) };
  };
  shift();
  const runs = specs.map((spec) => {
    fullGc();
    const heapBefore = process.memoryUsage().heapUsed;
    const state = createEngine(
      spec.rules,
      sensors.map((s) => s.info),
      T0,
      { inPolygon: pointInPolygon },
    );
    timed(state, warmupLength);
    fullGc();
    const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    return { spec, state, heapMb, rates: [] as number[], changes: [] as number[], others: [] as number[] };
  });
  for (let p = 0; p < passes; p++) {
    shift();
    for (const run of runs) {
      const r = timed(run.state, passLength);
      run.rates.push(passLength / (r.ms / 1000));
      run.changes.push(r.changes);
      run.others.push(r.othersPct);
    }
  }
  return runs.map(({ spec, state, heapMb, rates, changes, others }) => {
    const readingsPerSec = median(rates);
    return {
      id: spec.id,
      title: spec.title,
      sensors: sensors.length,
      rules: spec.rules.length,
      matchingPerReading: snapshot(state, true).length / sensors.length,
      readingsPerSec,
      passesReadingsPerSec: rates.map((r) => Math.round(r)),
      nsPerReading: 1e9 / readingsPerSec,
      readingsPerPass: passLength,
      alertChangesPerPass: median(changes),
      engineHeapMb: heapMb,
      othersPct: median(others),
      target: spec.target,
      verdict: verdictOf(readingsPerSec, spec.target),
    };
  });
}

export interface EngineThroughputOptions {
  /** Rows to run, by id prefix (a, b, c, d); default all. */
  only?: readonly string[];
  /** Called after each row (progress on stdout). */
  onRow?: (row: EngineThroughputRow) => void;
}

export function runEngineThroughput(options: EngineThroughputOptions = {}): EngineThroughputRow[] {
  const rand = mulberry32(20261121);
  const sensors = makeSensors(rand);
  const pool = makeReadings(sensors, ENGINE_PLAN.rounds, rand);
  const wanted = (id: string) => !options.only || options.only.some((p) => id.startsWith(p));
  const rows: EngineThroughputRow[] = [];
  const perSec = (value: number): Target => ({ kind: 'min', value, unit: 'readings/s' });
  const group = (specs: RowSpec[], rounds: number, passes: number, flat = false) => {
    const chosen = specs.filter((s) => wanted(s.id));
    if (chosen.length === 0) return;
    const done = runGroup(chosen, rounds, passes, sensors, pool);
    if (flat) {
      // Flat: no row may cost more than the fewest-rules row + 25 % (its throughput − 20 %).
      const target = perSec(Math.round(done[0]!.readingsPerSec * 0.8));
      for (const row of done.slice(1)) {
        row.target = target;
        row.verdict = verdictOf(row.readingsPerSec, target);
      }
    }
    rows.push(...done);
    for (const row of done) options.onRow?.(row);
  };
  const mix = `${num(ENGINE_PLAN.trafficSensors)} loop detectors + ${num(ENGINE_PLAN.airSensors)} AQ stations`;
  group(
    [
      {
        id: 'a-threshold',
        title: `10k sensors (${mix}) × 5 threshold rules`,
        rules: baseRules(false),
        target: perSec(500_000),
      },
    ],
    ENGINE_PLAN.rounds,
    ENGINE_PLAN.passes,
  );
  group(
    [
      {
        id: 'b-anomaly',
        title: '10k sensors × 5 rules: 4 threshold + 1 anomaly detector',
        rules: baseRules(true),
        target: perSec(200_000),
      },
    ],
    ENGINE_PLAN.rounds,
    ENGINE_PLAN.passes,
  );
  group(
    ENGINE_PLAN.ruleCounts.map((total) => ({
      id: `c-rules-${total}`,
      title: `${num(total)} rules, ${num(total - 10)} scoped to other sensors/cells`,
      rules: [...baseRules(false), ...elsewhereRules(total - 10)],
      target: null,
    })),
    ENGINE_PLAN.rounds,
    ENGINE_PLAN.scalingPasses,
    true,
  );
  group(
    [
      {
        id: 'd-all-matching',
        title: `${num(ENGINE_PLAN.allMatchingRules)} rules, all matching (contrast)`,
        rules: allMatchingRules(ENGINE_PLAN.allMatchingRules),
        target: null,
      },
    ],
    ENGINE_PLAN.allMatchingRounds,
    ENGINE_PLAN.scalingPasses,
  );
  return rows;
}

/** The rows as a Markdown table. */
export function engineThroughputTable(rows: readonly EngineThroughputRow[]): string {
  const spread = (r: EngineThroughputRow) =>
    `${num(Math.min(...r.passesReadingsPerSec))}–${num(Math.max(...r.passesReadingsPerSec))}`;
  return markdownTable(
    [
      'Row',
      'Rules (matching per reading)',
      'Readings/s, median (min–max)',
      'ns/reading',
      'Target',
      'Verdict',
      'Alert changes/pass',
      'Engine heap',
      'Others CPU',
    ],
    rows.map((r) => [
      r.title,
      `${num(r.rules)} (${num(r.matchingPerReading, 1)})`,
      `${num(r.readingsPerSec)} (${spread(r)})`,
      num(r.nsPerReading),
      r.target ? `≥ ${num(r.target.value)}` : '—',
      r.verdict,
      num(r.alertChangesPerPass),
      `${num(r.engineHeapMb)} MB`,
      `${num(r.othersPct)} %${r.othersPct > 25 ? ' ⚠' : ''}`,
    ]),
  );
}

/** Notes printed under the table. */
export function engineThroughputLegend(): string {
  const p = ENGINE_PLAN;
  return [
    `One core, in process (no server, no I/O). Each timed pass feeds \`step()\` ${num(p.rounds)} rounds of readings ` +
      `(${num(p.allMatchingRounds)} for the contrast row), every sensor once per round, after a warm-up of ${num(p.warmupRounds)} rounds; ` +
      `${p.passes} passes for the first two rows, ${p.scalingPasses} for the others; the median pass counts. The scaling rows run side by side, ` +
      `one pass of each in turn, so they share the machine's ups and downs.`,
    `Readings: every sensor every 20 s of event time, values around its own level, ${num(p.breachRate * 100)} % with one metric breaching.`,
    `"Matching per reading" = (rule, sensor) states ÷ sensors. Scaling rows: target within 25 % of the 1,000-rule row's cost per reading. ` +
      `Engine heap: heapUsed with the warmed-up engine minus without, after a full GC.`,
    `"Others CPU" = CPU of every other process during the timed passes (% of one core, from /proc/stat); ⚠ above 25 %: ` +
      `the machine was shared and the figure understates the engine.`,
  ].join('\n');
}
