/**
 * `npm run simulate -- [options]`: streams a scenario into a running CityOps (or a file), or
 * offers load at a fixed rate (the benchmarks' load generator). The options: {@link USAGE}.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadCityPack, resolveCityPackDir } from '../../server/src/cityPack/cityPack.loader';
import { parseCommandLine } from './commandLine';
import { runLoad } from './load/loadGenerator';
import { compileScenario } from './scenario/generate';
import { labelsNdjson } from './scenario/labels';
import { loadScenarioFile, ScenarioError } from './scenario/loadScenario';
import { reportKey } from './scenario/model';
import { fileSink, httpSink, mqttSink, splitDeviceKey, withOpen311, type Sink } from './scenario/sinks';
import { liveShiftMs, streamScenario, type StreamProgress } from './scenario/stream';
import { durationSec, formatDuration, isoInOffset } from './scenario/time';

export const DEFAULT_SCENARIO = fileURLToPath(new URL('../scenarios/city-day.yaml', import.meta.url));

/** What `--help` prints. */
export const USAGE = `Usage: npm run simulate -- [options]

Scenario mode (default; without --scenario the built-in city day):
  --scenario FILE     scenario file (YAML or JSON)         (default simulators/scenarios/city-day.yaml)
  --speed N           simulated seconds per real second    (default: the scenario's \`speed\`)
  --seed S            another seed, another run            (default: the scenario's \`seed\`)
  --target URL        mqtt://host:port or http://host:port (default mqtt://127.0.0.1:1883)
  --out FILE.ndjson   write the messages to a file instead of sending (as fast as possible,
                      scenario timestamps); the labels go beside it unless --labels is given
  --labels FILE       write the ground-truth labels (NDJSON) here
  --align day|now     live only: shift timestamps by whole days (default; keeps the time of
                      day) or so that the scenario starts now
  --key ID.SECRET     the gateway's device key (default: env CITYOPS_DEVICE_KEY); an admin
                      issues it with POST /api/v1/devices {"kind":"gateway","subjectId":"<ID>","sensorIds":"all"}
  --gateway ID        gateway id (MQTT topic cityops/v1/gateways/{ID}/readings) (default simulator)
  --open311-key KEY   live only: send the scenario's citizen reports (12345) to the target's Open311
                      endpoint (POST /open311/v2/requests.json; an http(s) --target), with this API key
                      (an admin issues it with POST /api/v1/open311/keys); without it they are skipped

Load mode (the benchmarks' load generator):
  --load --sensors N --rate R/s --duration D [--mode batched|single] [--batch 500] --target mqtt://… --key …
         (defaults: --sensors 1000 --rate 1000/s --duration 60s --mode batched)
         [--partitions P]  a cluster's partitions behind an external broker: publish on
                           cityops/v1/p/{n}/… (docs/DEPLOYMENT.md), a batch split per partition
         [--city-pack ID]  the city pack whose sensors report (default hangzhou)

  -h, --help          print this help

Exit code: 0 done (or stopped with Ctrl-C), 1 a failure, 2 an invalid option or scenario file.
`;

const { values } = parseCommandLine(USAGE, {
  options: {
    scenario: { type: 'string', default: DEFAULT_SCENARIO },
    speed: { type: 'string' },
    seed: { type: 'string' },
    target: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
    out: { type: 'string' },
    labels: { type: 'string' },
    align: { type: 'string', default: 'day' },
    key: { type: 'string', default: process.env['CITYOPS_DEVICE_KEY'] ?? '' },
    gateway: { type: 'string', default: 'simulator' },
    'open311-key': { type: 'string' },
    load: { type: 'boolean', default: false },
    sensors: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '1000/s' },
    duration: { type: 'string', default: '60s' },
    mode: { type: 'string', default: 'batched' },
    batch: { type: 'string', default: '500' },
    partitions: { type: 'string' },
    'city-pack': { type: 'string', default: 'hangzhou' },
  },
});

const DeviceKey = z
  .string()
  .regex(/^[A-Za-z0-9._-]+\.[A-Za-z0-9_-]+$/, 'a device key <id>.<secret> (--key or CITYOPS_DEVICE_KEY)');
const Target = z
  .string()
  .regex(/^(mqtts?|https?):\/\/[^/]+/, 'mqtt://host:port or http://host:port')
  .transform((v) => new URL(v));

const ScenarioArgs = z.object({
  scenario: z.string(),
  speed: z.coerce.number().positive().max(3600).optional(),
  seed: z.coerce.number().int().optional(),
  target: Target,
  out: z.string().optional(),
  labels: z.string().optional(),
  align: z.enum(['day', 'now']),
  gateway: z.string().regex(/^[A-Za-z0-9._-]+$/),
  'open311-key': z.string().min(1).optional(),
});

const LoadArgs = z.object({
  sensors: z.coerce.number().int().positive(),
  rate: z
    .string()
    .regex(/^\d+(\.\d+)?(\/s)?$/, 'readings per second, e.g. 10000/s')
    .transform((v) => Number(v.replace('/s', '')))
    .pipe(z.number().positive()),
  duration: z.string().transform((v, ctx) => {
    try {
      return durationSec(/^\d+$/.test(v) ? Number(v) : v);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'a duration such as 60s, 10m' });
      return z.NEVER;
    }
  }),
  mode: z.enum(['batched', 'single']),
  batch: z.coerce.number().int().min(1).max(5000),
  partitions: z.coerce.number().int().min(1).max(1024).optional(),
  target: Target,
  key: DeviceKey,
  gateway: z.string().regex(/^[A-Za-z0-9._-]+$/),
  'city-pack': z.string(),
});

function fail(error: z.ZodError): never {
  for (const i of error.issues) process.stderr.write(`--${i.path.join('.')}: ${i.message}\n`);
  process.exit(2);
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

function bar(fraction: number, width = 24): string {
  const n = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

async function runScenarioMode(): Promise<void> {
  const parsed = ScenarioArgs.safeParse(values);
  if (!parsed.success) fail(parsed.error);
  const args = parsed.data;
  const scenario = loadScenarioFile(args.scenario);
  const pack = loadCityPack(resolveCityPackDir(scenario.cityPack));
  const compiled = compileScenario(scenario, pack, { seed: args.seed ?? scenario.seed, file: args.scenario });
  const speed = args.speed ?? scenario.speed;
  const local = (t: number) => isoInOffset(t, compiled.offsetMin).replace('T', ' ').slice(0, 19);

  let sink: Sink;
  let shiftMs = 0;
  let labelsFile = args.labels;
  if (args.out) {
    sink = fileSink(args.out);
    labelsFile ??= args.out.replace(/(\.ndjson|\.jsonl|\.json)?$/, '.labels.ndjson');
  } else {
    const key = DeviceKey.safeParse(values.key);
    if (!key.success) fail(new z.ZodError(key.error.issues.map((i) => ({ ...i, path: ['key'] }))));
    const { id, secret } = splitDeviceKey(key.data);
    sink = args.target.protocol.startsWith('mqtt')
      ? await mqttSink({ url: args.target.toString(), username: id, password: secret, gateway: args.gateway })
      : httpSink({ url: args.target.toString(), key: key.data });
    shiftMs = liveShiftMs(compiled, Date.now(), speed, args.align);
    const open311Key = args['open311-key'];
    if (compiled.reports.length > 0 && open311Key && args.target.protocol.startsWith('http'))
      sink = withOpen311(sink, {
        url: args.target.toString(),
        apiKey: open311Key,
        onRefused: (r, refusal) =>
          process.stderr.write(
            `\ncitizen report ${reportKey(r)} refused (${refusal.status}): ${refusal.message}\n`,
          ),
      });
    else if (compiled.reports.length > 0)
      process.stdout.write(
        `note: ${compiled.reports.length} citizen report(s) skipped — they go to Open311, which needs an http(s) --target and --open311-key KEY\n`,
      );
  }
  if (labelsFile) writeFileSync(labelsFile, labelsNdjson(compiled));

  const tty = process.stdout.isTTY;
  process.stdout.write(
    `${scenario.name.zh} / ${scenario.name.en} — seed ${compiled.seed}, ${compiled.world.sensors.length} sensors, ` +
      `${formatDuration(compiled.end - compiled.start)} from ${local(compiled.start)}\n` +
      (args.out
        ? `  → ${args.out}${labelsFile ? ` (labels: ${labelsFile})` : ''}\n`
        : `  → ${args.target.toString()} at ${speed}×${shiftMs ? `, timestamps shifted by ${formatDuration(shiftMs)}` : ''} (Ctrl-C to stop)\n`),
  );
  const wallStart = Date.now();
  let last = 0;
  let lastSent = 0;
  let lastAt = wallStart;
  let rate = 0;
  const show = (p: StreamProgress, final = false) => {
    const now = Date.now();
    if (!final && now - last < (tty ? 200 : 10_000)) return;
    if (now - lastAt >= 1000) {
      rate = ((p.sent - lastSent) * 1000) / (now - lastAt);
      lastSent = p.sent;
      lastAt = now;
    }
    last = now;
    const line =
      `${bar(p.fraction)} ${Math.round(p.fraction * 100)
        .toString()
        .padStart(3)}% ${local(p.simTime + 1).slice(11)}` +
      `${p.loop ? ` loop ${p.loop + 1}` : ''}  sent ${int(p.sent)}  rejected ${int(p.rejected)}  ${int(rate)}/s`;
    process.stdout.write(tty && !final ? `\r${line}\x1b[K` : `${line}\n`);
  };
  const stream = streamScenario({
    pack,
    compiled,
    sink,
    speed,
    shiftMs,
    loop: scenario.loop && !args.out,
    unpaced: Boolean(args.out),
    onProgress: (p) => show(p),
    onError: (err) => process.stderr.write(`\nsend failed: ${err.message}\n`),
  });
  let interrupted = false;
  // `on`, not `once`: one Ctrl-C reaches this process twice (the terminal signals the
  // whole process group and tsx relays it too); the second must not kill the process
  // mid-shutdown with the default handler.
  process.on('SIGINT', () => {
    if (interrupted) return;
    interrupted = true;
    void stream.stop();
  });
  await stream.done;
  // Give the server a moment to report the last refusals before the summary.
  if (!args.out) await new Promise((r) => setTimeout(r, 300));
  show(stream.progress(), true);
  const s = sink.stats();
  await sink.close();
  const reports =
    s.reports || s.reportsRefused
      ? `, ${int(s.reports ?? 0)} citizen report(s)${s.reportsRefused ? ` (+${int(s.reportsRefused)} refused)` : ''}`
      : '';
  process.stdout.write(
    `${interrupted ? 'stopped' : 'done'}: ${int(s.readings)} readings in ${int(s.messages)} messages, ` +
      `${int(s.rejected)} rejected${reports}, ${formatDuration(Date.now() - wallStart)}\n`,
  );
}

async function runLoadMode(): Promise<void> {
  const parsed = LoadArgs.safeParse(values);
  if (!parsed.success) fail(parsed.error);
  const args = parsed.data;
  if (!args.target.protocol.startsWith('mqtt')) {
    process.stderr.write('--target: the load generator publishes over MQTT (mqtt://host:port)\n');
    process.exit(2);
  }
  const pack = loadCityPack(resolveCityPackDir(args['city-pack']));
  const sensors = pack.sensors.filter((s) => !s.autoRegistered);
  if (args.sensors > sensors.length) {
    process.stderr.write(
      `--sensors: at most ${sensors.length} (the sensors of city pack ${args['city-pack']})\n`,
    );
    process.exit(2);
  }
  process.stdout.write(
    `load: ${int(args.rate)} readings/s from ${args.sensors} sensors for ${args.duration} s, ${args.mode}` +
      `${args.mode === 'batched' ? ` (${args.batch} per message)` : ''} → ${args.target.toString()}\n`,
  );
  const stats = await runLoad({
    url: args.target.toString(),
    key: args.key,
    gateway: args.gateway,
    sensors: sensors.slice(0, args.sensors),
    rate: args.rate,
    durationSec: args.duration,
    mode: args.mode,
    batch: args.batch,
    ...(args.partitions !== undefined && { partitions: args.partitions }),
    onProgress: (p) =>
      process.stdout.write(
        `  ${(p.elapsedMs / 1000).toFixed(0)} s: offered ${int(p.offered)}, acknowledged ${int(p.acknowledged)}, behind ${int(p.behind)}\n`,
      ),
  });
  const secs = stats.elapsedMs / 1000;
  process.stdout.write(
    `offered ${int(stats.offered)} · sent ${int(stats.sent)} in ${int(stats.messages)} messages · acknowledged ` +
      `${int(stats.acknowledged)} (${int(stats.acknowledged / secs)}/s) · behind ${int(stats.behind)} · failed ${int(stats.failed)}\n`,
  );
}

(values.load ? runLoadMode() : runScenarioMode()).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `${err instanceof ScenarioError ? err.message : `simulate failed: ${(err as Error).message}`}\n`,
    );
    process.exit(err instanceof ScenarioError ? 2 : 1);
  },
);
