import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestStats } from '@shared/schemas/ingest.schema';
import { loadCityPack, resolveCityPackDir } from '../../server/src/cityPack/cityPack.loader';
import { checkReading } from '../../server/src/domain/readingValidation';
import { compileScenario, ScenarioGenerator } from '../../simulators/src/scenario/generate';
import { parseScenario } from '../../simulators/src/scenario/loadScenario';
import { ingestStats, rawHistory } from '../helpers/ingestChecks';
import { REPO_ROOT, expectArgumentError, runProcess, type ProcessRun } from '../helpers/process';
import { startTestServer, type TestServer } from '../helpers/server';

/** `npm run simulate` as engineers run it: the CLI in its own process. */
const TSX = join(REPO_ROOT, 'node_modules/.bin/tsx');
const CLI = 'simulators/src/cli.ts';
const DAY = 86_400_000;
const pack = loadCityPack(resolveCityPackDir('hangzhou'));
const sensorsById = new Map(
  pack.sensors.map((s) => [s.id, { id: s.id, metrics: new Set(s.metrics.map((m) => m.metric)) }]),
);

const simulate = (...args: string[]): Promise<ProcessRun> =>
  runProcess(TSX, [CLI, ...args], { timeoutMs: 60_000, env: { TZ: 'UTC' } });

/** A Monday-morning scenario (`minutes` long, from `start`) with extra incident lines in YAML. */
function scenarioYaml(start: string, minutes: number, incidents: string[] = []): string {
  return [
    'name: { zh: 命令行测试, en: CLI test }',
    `start: '${start}'`,
    `duration: ${minutes}m`,
    'seed: 5',
    ...(incidents.length ? ['incidents:', ...incidents] : []),
    '',
  ].join('\n');
}
const ACCIDENT =
  "  - { id: crash, type: traffic-accident, at: '+2m', duration: 10m, where: { sensor: TRF-0091 } }";
const GARBLED =
  "  - { id: garbled, type: sensor-faults, fault: malformed, at: '+5m', duration: 10m, where: { subtypes: [aq-station] }, probability: 0.5 }";
/** Two 12345 calls at +3m (a litter report at a cell's centre, a lamp by its sensor) and a seeded stream of more. */
const CALLS = [
  '  - id: calls',
  '    type: citizen-reports',
  "    at: '+3m'",
  '    duration: 5m',
  '    reports:',
  "      - { category: event.city-appearance.litter, where: { cell: '330104005001001' }, description: 垃圾没人清运 }",
  '      - { category: component.public-facility.streetlight, where: { sensor: SL-0006 }, description: 路灯不亮 }',
  "  - { id: hotline, type: citizen-reports, at: '+1m', duration: 8m, perHour: 30, categories: [event.city-appearance.litter], area: { districts: ['330102'] } }",
].join('\n');

/** `done: 18,467 readings in 18,640 messages, 3 rejected, 0s` (or `stopped: …`) → its numbers. */
function summaryOf(stdout: string, word: 'done' | 'stopped' = 'done') {
  const m = new RegExp(`^${word}: ([\\d,]+) readings in ([\\d,]+) messages, ([\\d,]+) rejected`, 'm').exec(
    stdout,
  );
  if (!m) throw new Error(`no "${word}:" summary in\n${stdout}`);
  const n = (s: string) => Number(s.replace(/,/g, ''));
  return { readings: n(m[1]!), messages: n(m[2]!), rejected: n(m[3]!) };
}

/** A line of a simulated file: a reading the server's validator accepts, or a malformed payload. */
function classify(
  line: string,
): { reading: { sensorId: string; observedAt: number } } | { malformed: string } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { malformed: line };
  }
  const check = checkReading(json, {
    now: Number.MAX_SAFE_INTEGER,
    maxFutureMs: 0,
    maxAgeMs: Number.MAX_SAFE_INTEGER,
    sensorOf: (id) => sensorsById.get(id),
    autoRegister: false,
  });
  return check.ok ? { reading: check.reading } : { malformed: line };
}

describe('npm run simulate', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cityops-simulate-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints its options with --help or -h and exits 0, sending nothing', async () => {
    for (const flag of ['--help', '-h']) {
      const run = await simulate(flag);
      expect(run.code, `${flag}: ${run.stderr}`).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/^Usage: npm run simulate -- \[options\]\n/);
      for (const option of [
        '--scenario FILE',
        '--out FILE.ndjson',
        '--open311-key KEY',
        '--load',
        '-h, --help',
      ])
        expect(run.stdout, `${flag}: ${option}`).toContain(option);
      expect(run.stdout).not.toContain('→');
    }
  }, 60_000);

  it('names an unknown option on one line, prints the options and exits 2 without a stack trace', async () => {
    const run = await simulate(
      '--scenari',
      'simulators/scenarios/quiet-day.yaml',
      '--out',
      join(dir, 'x.ndjson'),
    );
    expectArgumentError(run, '--scenari: unknown option', 'Usage: npm run simulate -- [options]');
    expect(existsSync(join(dir, 'x.ndjson'))).toBe(false);
    // A missing value is an argument error too.
    const missing = await simulate('--speed');
    expect(missing.code).toBe(2);
    expect(missing.stderr.split('\n')[0]).toBe('--speed: needs a value');
  }, 60_000);

  describe('to a file', () => {
    const START = '2026-11-23T07:50:00+08:00';
    let scenarioFile: string;
    let quietFile: string;
    beforeAll(() => {
      scenarioFile = join(dir, 'small.yaml');
      writeFileSync(scenarioFile, scenarioYaml(START, 20, [ACCIDENT, GARBLED]));
      quietFile = join(dir, 'quiet.yaml');
      writeFileSync(quietFile, scenarioYaml(START, 20, [ACCIDENT]));
    });

    it('writes byte-identical messages and labels for the same seed, and other messages for another seed', async () => {
      const [a, b, c] = ['A', 'B', 'C'].map((n) => join(dir, `${n}.ndjson`)) as [string, string, string];
      const runA = await simulate('--scenario', scenarioFile, '--out', a);
      const runB = await simulate('--scenario', scenarioFile, '--out', b, '--seed', '5');
      const runC = await simulate('--scenario', scenarioFile, '--out', c, '--seed', '6');
      for (const run of [runA, runB, runC]) expect(run.code, run.stderr).toBe(0);
      expect(runA.stdout).toContain(`→ ${a} (labels: ${join(dir, 'A.labels.ndjson')})`);
      expect(runA.stdout).toContain('seed 5, 1277 sensors, 20m 00s from 2026-11-23 07:50:00');

      const [fileA, fileB, fileC] = [readFileSync(a), readFileSync(b), readFileSync(c)];
      expect(fileA.length).toBeGreaterThan(100_000);
      expect(fileB.equals(fileA)).toBe(true);
      expect(fileC.equals(fileA)).toBe(false);
      const labelsA = readFileSync(join(dir, 'A.labels.ndjson'));
      expect(readFileSync(join(dir, 'B.labels.ndjson')).equals(labelsA)).toBe(true);

      // One label object per line: the queued detectors of the accident, the stations sending garbage.
      const labels = labelsA
        .toString()
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      for (const l of labels) {
        expect(Object.keys(l)).toEqual(['incident', 'type', 'subject', 'metric', 'start', 'end']);
        expect(l['start']).toMatch(/^2026-11-23T0[78]:\d\d:\d\d\+08:00$/);
        expect(l['end']).toMatch(/^2026-11-23T0[78]:\d\d:\d\d\+08:00$/);
      }
      expect(labels[0]).toEqual({
        incident: 'crash',
        type: 'traffic-accident',
        subject: { type: 'sensor', id: 'TRF-0091' },
        metric: 'speed',
        start: expect.stringMatching(/^2026-11-23T07:52:/),
        end: expect.stringMatching(/^2026-11-23T08:02:/),
      });
      const aqStations = pack.sensors.filter((s) => s.subtype === 'aq-station').length;
      expect(labels.filter((l) => l['incident'] === 'garbled')).toHaveLength(aqStations);
      expect(labels.filter((l) => l['incident'] === 'garbled')[0]).toMatchObject({
        type: 'sensor-faults',
        metric: '*',
        start: '2026-11-23T07:55:00+08:00',
        end: '2026-11-23T08:05:00+08:00',
      });

      // Every line is a reading the server would take (with scenario timestamps), or garbage from a station.
      const lines = fileA.toString().trimEnd().split('\n');
      const summary = summaryOf(runA.stdout);
      expect(lines).toHaveLength(summary.messages);
      const kinds = lines.map(classify);
      const readings = kinds.flatMap((k) => ('reading' in k ? [k.reading] : []));
      const malformed = kinds.flatMap((k) => ('malformed' in k ? [k.malformed] : []));
      expect(readings).toHaveLength(summary.readings);
      expect(malformed.length).toBe(summary.messages - summary.readings);
      expect(malformed.length).toBeGreaterThan(20);
      const [from, to] = [Date.parse(START), Date.parse(START) + 20 * 60_000];
      for (const r of readings) {
        expect(r.observedAt).toBeGreaterThan(from);
        expect(r.observedAt).toBeLessThanOrEqual(to);
      }
      // Ordered by time, as devices would send them.
      for (let i = 1; i < readings.length; i++)
        expect(readings[i]!.observedAt).toBeGreaterThanOrEqual(readings[i - 1]!.observedAt);

      // Without the malformed-payload fault, there is no garbage at all.
      const quiet = join(dir, 'quiet.ndjson');
      const runQuiet = await simulate(
        '--scenario',
        quietFile,
        '--out',
        quiet,
        '--labels',
        join(dir, 'quiet.labels'),
      );
      expect(runQuiet.code, runQuiet.stderr).toBe(0);
      const quietLines = readFileSync(quiet, 'utf8').trimEnd().split('\n');
      expect(quietLines.length).toBeGreaterThan(10_000);
      expect(quietLines.map(classify).filter((k) => 'malformed' in k)).toEqual([]);
      expect(readFileSync(join(dir, 'quiet.labels'), 'utf8')).toContain('"incident":"crash"');
    }, 60_000);

    it('writes citizen reports as lines among the readings, in time order and byte-identical for the same seed', async () => {
      const file = join(dir, 'calls.yaml');
      writeFileSync(file, scenarioYaml(START, 10, [CALLS]));
      const [a, b] = [join(dir, 'calls-a.ndjson'), join(dir, 'calls-b.ndjson')];
      const runA = await simulate('--scenario', file, '--out', a);
      const runB = await simulate('--scenario', file, '--out', b);
      for (const run of [runA, runB]) expect(run.code, run.stderr).toBe(0);
      expect(readFileSync(b).equals(readFileSync(a))).toBe(true);

      const lines = readFileSync(a, 'utf8').trimEnd().split('\n');
      const reports = lines.flatMap((l, i) =>
        l.startsWith('{"type":"citizen-report"') ? [{ i, ...JSON.parse(l) }] : [],
      );
      const cs = compileScenario(parseScenario(readFileSync(file, 'utf8')), pack);
      expect(reports.map((r) => r.report)).toEqual(cs.reports.map((r) => `${r.incident}#${r.index}`));
      expect(cs.reports.length).toBeGreaterThan(2);
      expect(reports.find((r) => r.report === 'calls#1')).toEqual({
        i: expect.any(Number),
        type: 'citizen-report',
        report: 'calls#1',
        at: Date.parse(START) + 3 * 60_000,
        serviceCode: '102',
        category: 'component.public-facility.streetlight',
        lngLat: pack.sensors.find((x) => x.id === 'SL-0006')!.location,
        gridCellId: '330104022001002',
        sensorId: 'SL-0006',
        description: '路灯不亮',
      });
      // Each report sits after the readings of its instant and before the later ones.
      for (const r of reports) {
        const before = lines[r.i - 1] && classify(lines[r.i - 1]!);
        const after = lines[r.i + 1] && classify(lines[r.i + 1]!);
        if (before && 'reading' in before) expect(before.reading.observedAt).toBeLessThanOrEqual(r.at);
        if (after && 'reading' in after) expect(after.reading.observedAt).toBeGreaterThan(r.at);
      }
      const summary = summaryOf(runA.stdout);
      expect(lines.length).toBe(summary.messages + reports.length);
      expect(runA.stdout).toMatch(new RegExp(`rejected, ${reports.length} citizen report\\(s\\), `));
    }, 60_000);

    it('exits with 2 naming the field and its line when the scenario is invalid', async () => {
      const bad = join(dir, 'bad.yaml');
      const lines = scenarioYaml(START, 20, [
        '  - id: crash',
        '    type: traffic-accident',
        "    at: '+2m'",
        '    duration: 10m',
        '    where: { sensor: TRF-0091 }',
        '    strength: 2',
      ]);
      writeFileSync(bad, lines);
      const strengthLine = lines.split('\n').findIndex((l) => l.includes('strength: 2')) + 1;
      const run = await simulate('--scenario', bad, '--out', join(dir, 'bad.ndjson'));
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`${bad}: invalid scenario`);
      expect(run.stderr).toMatch(new RegExp(`line ${strengthLine}:\\d+ incidents\\[0\\]\\.strength: `));
      expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+/);
      expect(existsSync(join(dir, 'bad.ndjson'))).toBe(false);

      // Ids the city pack does not know are named the same way.
      const unknown = join(dir, 'unknown.yaml');
      writeFileSync(unknown, scenarioYaml(START, 20, [ACCIDENT.replace('TRF-0091', 'TRF-9999')]));
      const run2 = await simulate('--scenario', unknown, '--out', join(dir, 'unknown.ndjson'));
      expect(run2.code).toBe(2);
      expect(run2.stderr).toMatch(/incidents\[0\]\.where\.sensor: no sensor "TRF-9999"/);
    }, 60_000);
  });

  describe('to a live server', () => {
    let server: TestServer;
    let key: string;
    /** 10 minutes on a day after today (per the machine clock): the CLI must move it into the past. */
    let liveFile: string;
    let liveStart: number;

    beforeAll(async () => {
      server = await startTestServer();
      const res = await fetch(`${server.url}/api/v1/devices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'gateway', subjectId: 'simulator', sensorIds: 'all' }),
      });
      expect(res.status).toBe(201);
      key = ((await res.json()) as { apiKey: string }).apiKey;
      // Two days ahead at 07:00 in Hangzhou.
      const day = new Date(Date.now() + 8 * 3_600_000 + 2 * DAY).toISOString().slice(0, 10);
      liveStart = Date.parse(`${day}T07:00:00+08:00`);
      liveFile = join(dir, 'live.yaml');
      writeFileSync(liveFile, scenarioYaml(`${day}T07:00:00+08:00`, 10, [ACCIDENT, GARBLED]));
    });
    afterAll(async () => {
      await server?.stop();
      server?.cleanup();
    });

    const delta = (before: IngestStats, after: IngestStats, path: 'mqtt' | 'http') => ({
      accepted: after.byPath[path].accepted - before.byPath[path].accepted,
      rejected: after.byPath[path].rejected - before.byPath[path].rejected,
      duplicates: after.byPath[path].duplicates - before.byPath[path].duplicates,
    });

    /**
     * Everything the CLI says it sent reached the server: every reading was accepted, and the server
     * refused what the CLI reports refused. The rest of what the progress line counts as sent are the
     * garbled stations' payloads, each refused at least once (on MQTT a bare array is a batch of two
     * bad readings, refused twice).
     */
    function expectAccounted(stdout: string, before: IngestStats, after: IngestStats, path: 'mqtt' | 'http') {
      const summary = summaryOf(stdout);
      const progress = [
        ...stdout.matchAll(/ 100% .* sent ([\d,]+) {2}rejected ([\d,]+) {2}([\d,]+)\/s$/gm),
      ].at(-1);
      expect(progress, stdout).toBeDefined();
      const [sent, rejected, rate] = progress!.slice(1).map((x) => Number(x.replace(/,/g, ''))) as [
        number,
        number,
        number,
      ];
      expect(rejected).toBe(summary.rejected);
      // The live rate of the final line: messages sent per second over the run, which lasts at least
      // the 10 scenario minutes ÷ 600 = 1 s (so at most everything sent, and more than nothing).
      expect(rate).toBeGreaterThan(0);
      expect(rate).toBeLessThanOrEqual(sent);
      expect(summary.readings).toBeGreaterThan(5000);
      expect(delta(before, after, path)).toEqual({
        accepted: summary.readings,
        rejected: summary.rejected,
        duplicates: 0,
      });
      const malformed = sent - summary.readings;
      expect(malformed).toBeGreaterThan(10);
      expect(summary.rejected).toBeGreaterThanOrEqual(malformed);
      expect(summary.rejected).toBeLessThanOrEqual(2 * malformed);
      expect(after.byPath[path].payloads - before.byPath[path].payloads).toBe(summary.messages);
    }

    /** The readings are those of the scenario, moved back by whole days to before now. */
    async function expectShiftedByWholeDays(stdout: string, file: string, sensorId: string) {
      const shown = /timestamps shifted by -(\d+)h 00m/.exec(stdout);
      expect(shown, stdout).not.toBeNull();
      const shiftMs = -Number(shown![1]) * 3_600_000;
      expect(Number.isInteger(shiftMs / DAY)).toBe(true);
      expect(shiftMs).toBeLessThan(0);
      const cs = compileScenario(parseScenario(readFileSync(file, 'utf8')), pack);
      const emitted = new ScenarioGenerator(cs)
        .emissionsBetween(cs.start - 1, cs.end)
        .filter((e) => e.sensorId === sensorId);
      // The run's last reading of the sensor is stored at its shifted time with its values (read
      // by time, not as the sensor's latest: another run may have stored newer readings of it).
      const last = emitted.at(-1)!;
      const at = last.t + shiftMs;
      expect(at).toBeLessThanOrEqual(Date.now());
      expect(Date.now() - at).toBeLessThan(DAY + 10 * 60_000);
      for (const [metric, value] of Object.entries(last.reading!.values)) {
        const raw = await rawHistory(server.url, sensorId, metric, at, at + 1);
        expect(raw, `${sensorId} ${metric}`).toEqual([{ t: at, value }]);
      }
    }

    it('streams a scenario over MQTT as gateway "simulator", every reading accepted', async () => {
      const before = await ingestStats(server.url);
      const run = await simulate(
        '--scenario',
        liveFile,
        '--target',
        server.mqttUrl,
        '--key',
        key,
        '--speed',
        '600',
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`→ ${server.mqttUrl}`);
      expectAccounted(run.stdout, before, await ingestStats(server.url), 'mqtt');
      await expectShiftedByWholeDays(run.stdout, liveFile, 'TRF-0091');
      expect(liveStart).toBeGreaterThan(Date.now());
    }, 60_000);

    it('streams a scenario over HTTP with the device key', async () => {
      const httpFile = join(dir, 'live-http.yaml');
      // An hour later and with another seed: new readings, not repeats of the MQTT run's.
      writeFileSync(
        httpFile,
        readFileSync(liveFile, 'utf8').replace('T07:00', 'T08:00').replace('seed: 5', 'seed: 9'),
      );
      const before = await ingestStats(server.url);
      const run = await simulate(
        '--scenario',
        httpFile,
        '--target',
        server.url,
        '--key',
        key,
        '--speed',
        '600',
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`→ ${server.url}`);
      expectAccounted(run.stdout, before, await ingestStats(server.url), 'http');
      await expectShiftedByWholeDays(run.stdout, httpFile, 'TRF-0100');
    }, 60_000);

    it('sends citizen reports to Open311 with --open311-key over HTTP, and skips them with a note without it', async () => {
      const issued = await fetch(`${server.url}/api/v1/open311/keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'simulator 12345' }),
      });
      expect(issued.status).toBe(201);
      const { secret } = (await issued.json()) as { secret: string };
      const callsFile = join(dir, 'live-calls.yaml');
      writeFileSync(
        callsFile,
        readFileSync(liveFile, 'utf8')
          .replace('T07:00', 'T09:00')
          .replace('incidents:', `incidents:\n${CALLS}`),
      );
      const expected = compileScenario(parseScenario(readFileSync(callsFile, 'utf8')), pack).reports;
      const requests = async () =>
        (await (await fetch(`${server.url}/open311/v2/requests.json`)).json()) as Array<{
          description: string;
        }>;
      const before = (await requests()).length;

      const run = await simulate(
        '--scenario',
        callsFile,
        '--target',
        server.url,
        '--key',
        key,
        '--open311-key',
        secret,
        '--speed',
        '600',
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`rejected, ${expected.length} citizen report\\(s\\), `));
      const after = await requests();
      expect(after.length - before).toBe(expected.length);
      expect(after.map((r) => r.description)).toEqual(expect.arrayContaining(['垃圾没人清运', '路灯不亮']));

      // Over MQTT there is no Open311: the reports are skipped, and said so.
      const mqttFile = join(dir, 'live-calls-mqtt.yaml');
      writeFileSync(mqttFile, readFileSync(callsFile, 'utf8').replace('T09:00', 'T10:00'));
      const mqttRun = await simulate(
        '--scenario',
        mqttFile,
        '--target',
        server.mqttUrl,
        '--key',
        key,
        '--open311-key',
        secret,
        '--speed',
        '600',
      );
      expect(mqttRun.code, mqttRun.stderr).toBe(0);
      expect(mqttRun.stdout).toMatch(/^note: \d+ citizen report\(s\) skipped/m);
      expect(mqttRun.stdout).not.toContain('citizen report(s),');
      expect((await requests()).length).toBe(after.length);
    }, 60_000);

    it('stops on Ctrl-C (SIGINT) with a final summary and exit code 0', async () => {
      const hourFile = join(dir, 'hour.yaml');
      writeFileSync(hourFile, scenarioYaml('2026-11-23T03:00:00+08:00', 60));
      const before = await ingestStats(server.url);
      // Its own process group, as in a terminal: Ctrl-C signals the group. Run as `npm run simulate`
      // runs it (node --import tsx, no tsx wrapper process whose signal relay SIGKILLs a busy child).
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          CLI,
          '--scenario',
          hourFile,
          '--target',
          server.mqttUrl,
          '--key',
          key,
          '--speed',
          '1',
        ],
        { cwd: REPO_ROOT, env: { ...process.env, TZ: 'UTC' }, detached: true },
      );
      const group = -child.pid!;
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      let code: number | null | 'hung' = 'hung';
      let stoppedInMs: number | undefined;
      try {
        const started = Date.now();
        while (!stdout.includes('Ctrl-C to stop') && Date.now() - started < 30_000)
          await new Promise((r) => setTimeout(r, 50));
        expect(stdout).toContain('Ctrl-C to stop');
        await new Promise((r) => setTimeout(r, 2000));
        const signalled = Date.now();
        process.kill(group, 'SIGINT');
        code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000))]);
        stoppedInMs = Date.now() - signalled;
      } finally {
        if (code === 'hung') process.kill(group, 'SIGKILL');
      }
      expect(code, stderr).toBe(0);
      expect(stoppedInMs ?? Infinity).toBeLessThan(5000);
      const summary = summaryOf(stdout, 'stopped');
      expect(stdout).not.toMatch(/^done:/m);
      // About two seconds of a real-time city: some readings, far fewer than the hour's.
      expect(summary.readings).toBeGreaterThan(0);
      expect(summary.readings).toBeLessThan(2000);
      // What it sent before stopping was acknowledged, hence stored.
      const after = await ingestStats(server.url);
      expect(delta(before, after, 'mqtt')).toEqual({
        accepted: summary.readings,
        rejected: 0,
        duplicates: 0,
      });
    }, 60_000);

    it('offers load at a fixed rate (--load), batched or one reading per message', async () => {
      for (const mode of ['batched', 'single']) {
        const before = await ingestStats(server.url);
        const run = await simulate(
          '--load',
          '--sensors',
          '50',
          '--rate',
          '500/s',
          '--duration',
          '2s',
          '--mode',
          mode,
          '--target',
          server.mqttUrl,
          '--key',
          key,
        );
        expect(run.code, `${mode}: ${run.stderr}`).toBe(0);
        expect(run.stdout).toContain(`load: 500 readings/s from 50 sensors for 2 s, ${mode}`);
        const m = /^offered ([\d,]+) · sent ([\d,]+) in ([\d,]+) messages · acknowledged ([\d,]+)/m.exec(
          run.stdout,
        );
        expect(m, run.stdout).not.toBeNull();
        const [offered, sent, messages, acknowledged] = m!.slice(1).map((s) => Number(s.replace(/,/g, '')));
        expect(offered).toBe(1000);
        expect(acknowledged).toBe(sent);
        expect(acknowledged).toBeGreaterThanOrEqual(900);
        if (mode === 'single') expect(messages).toBe(sent);
        else expect(messages).toBeLessThan(sent! / 5);
        const after = await ingestStats(server.url);
        expect(after.byPath.mqtt.accepted - before.byPath.mqtt.accepted, mode).toBe(acknowledged);
        expect(after.byPath.mqtt.rejected - before.byPath.mqtt.rejected, mode).toBe(0);
      }
    }, 60_000);

    it('refuses more load sensors than the city pack has, naming --sensors', async () => {
      const run = await simulate('--load', '--sensors', '99999', '--target', server.mqttUrl, '--key', key);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^--sensors: at most \d+/m);
    }, 60_000);
  });
});
