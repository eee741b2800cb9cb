import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCityPack, resolveCityPackDir } from '../../../server/src/cityPack/cityPack.loader';
import { formatRunReport } from '../../../server/scripts/scenario/report';
import { runScenario } from '../../../server/scripts/scenario/runScenario';
import { compileScenario } from '../../../simulators/src/scenario/generate';
import { labelsNdjson } from '../../../simulators/src/scenario/labels';
import { parseScenario } from '../../../simulators/src/scenario/loadScenario';
import { expectArgumentError, runProcess } from '../../helpers/process';

const pack = loadCityPack(resolveCityPackDir('hangzhou'));

/** 80 minutes of night: two covers lifted, one malformed-payload fault; one expectation met, one not. */
const SCENARIO = `name: { zh: 井盖测试, en: Covers test }
start: '2026-11-26T22:00:00+08:00'
duration: 80m
seed: 5
incidents:
  - { id: covers, type: grid-events, event: manhole-displaced, at: '22:20', duration: 20m, count: 2, where: { districts: ['330103'] } }
  - { id: garbled, type: sensor-faults, fault: malformed, at: '22:10', duration: 30m, where: { subtypes: [feeder] }, share: 0.1, probability: 0.5 }
expect:
  - { id: covers-seen, type: alert, rule: grid-manhole-tilt, severity: orange, incident: covers, atLeast: 2, within: 30m }
  - { id: fire-expected, type: alert, rule: grid-smoke, incident: covers, within: 30m }
  - { id: quiet-start, type: no-alert, rule: grid-manhole-tilt, to: '22:20' }
`;

/**
 * 90 minutes of a Tuesday morning: two 12345 calls (auto-dispatched) and a displaced cover whose
 * alert a simulated dispatcher sends out; simulated workers close everything, but not within 1 minute.
 */
const DISPATCH_SCENARIO = `name: { zh: 派单测试, en: Dispatch test }
start: '2026-11-24T09:00:00+08:00'
duration: 90m
seed: 3
incidents:
  - id: calls
    type: citizen-reports
    at: '09:10'
    duration: 30m
    reports:
      - { category: event.city-appearance.litter, where: { cell: '330104005001001' }, description: 垃圾没人清运 }
      - { at: '09:20', category: component.public-facility.streetlight, where: { sensor: SL-0006 }, description: 路灯不亮 }
  - { id: cover, type: grid-events, event: manhole-displaced, at: '09:05', duration: 5m, where: { sensors: [MH-0009] }, lasts: 20m }
dispatch:
  autoDispatch: [event.city-appearance.litter, component.public-facility.streetlight]
  dispatchAlerts: { severities: [red, orange], categories: [component.public-facility.manhole] }
  workers: { handle: 10m }
expect:
  - { id: calls-worked, type: case, incident: calls, dispatchedWithin: 15m }
  - { id: cover-worked, type: case, incident: cover, dispatchedWithin: 5m, within: 75m }
  - { id: too-fast, type: case, incident: calls, within: 1m }
`;

describe('scenario runner (in-process server, virtual time)', () => {
  it('runs a scenario through the real ingest and rule engine and reports each expectation', async () => {
    const cs = compileScenario(parseScenario(SCENARIO), pack);
    const run = await runScenario(cs, { stepMs: 30_000 });

    const [seen, fire, quiet] = run.results;
    expect(seen).toMatchObject({ id: 'covers-seen', passed: true });
    const covers = cs.incidents.find((i) => i.id === 'covers')!;
    // Each cover reports every 5 minutes: it is seen within one report interval (+ one step) of its onset.
    for (const label of cs.labels.filter((l) => l.incident === 'covers')) {
      const alert = run.alerts.find(
        (h) => h.alert.ruleId === 'grid-manhole-tilt' && h.alert.subject.id === label.subject.id,
      );
      expect(alert, label.subject.id).toBeDefined();
      expect(alert!.alert.firingAt!).toBeGreaterThanOrEqual(label.start);
      expect(alert!.alert.firingAt! - label.start).toBeLessThanOrEqual(330_000);
    }
    expect(seen!.firstAt!).toBeGreaterThanOrEqual(covers.start);
    expect(fire).toMatchObject({ id: 'fire-expected', passed: false, observed: 'no matching alert' });
    expect(quiet).toMatchObject({ id: 'quiet-start', passed: true });
    expect(run.passed).toBe(false);

    // Every message was either stored or refused and counted; the malformed ones were refused.
    expect(run.sent.malformed).toBeGreaterThan(0);
    expect(run.ingest.accepted).toBe(run.sent.readings);
    // (A malformed array of two items is refused item by item: at least one refusal per payload.)
    expect(run.ingest.rejected).toBeGreaterThanOrEqual(run.sent.malformed);
    const reasons = Object.entries(run.ingest.rejectedByReason)
      .filter(([, n]) => n > 0)
      .map(([r]) => r);
    expect(reasons.sort()).toEqual(
      expect.arrayContaining(['malformed_json', 'invalid_field', 'invalid_timestamp', 'invalid_shape']),
    );
    expect(reasons).not.toContain('out_of_range');
    expect(run.score).toMatchObject({ labels: cs.labels.length });
    expect(run.score.detected).toBeGreaterThanOrEqual(2);

    const report = formatRunReport('covers.yaml', run);
    expect(report).toMatch(/^FAIL /);
    expect(report).toContain('✓ covers-seen');
    expect(report).toContain('✗ fire-expected');
    expect(report).toMatch(/rejected \d+ \(malformed_json \d+/);
  }, 120_000);

  it('works citizen reports and a dispatched alert to closure and checks case expectations, passing and failing', async () => {
    const cs = compileScenario(parseScenario(DISPATCH_SCENARIO), pack);
    const run = await runScenario(cs, { stepMs: 30_000 });

    const byId = new Map(run.results.map((r) => [r.id, r]));
    expect(byId.get('calls-worked'), formatRunReport('dispatch.yaml', run)).toMatchObject({ passed: true });
    expect(byId.get('cover-worked')).toMatchObject({ passed: true });
    const tooFast = byId.get('too-fast')!;
    expect(tooFast.passed).toBe(false);
    expect(tooFast.cases).toHaveLength(2);
    for (const c of tooFast.cases!)
      expect(c.problems[0]).toMatch(/^closed \d+m \d\ds after the incident start$/);
    expect(run.passed).toBe(false);
    expect(run.dispatch).toMatchObject({ reports: 2, reportsRefused: 0, alertsDispatched: 1, refused: 0 });

    // The reports went in through Open311 as citizens' cases; every case went the whole way with a photo.
    const citizen = run.cases.filter((c) => c.source === 'citizen');
    expect(citizen).toHaveLength(2);
    for (const c of citizen) expect(c.sourceRef).toMatch(/^open311:/);
    const cover = run.cases.find((c) => c.source === 'alert')!;
    expect(cover.sensorId).toBe('MH-0009');
    for (const c of run.cases) {
      expect(c.state).toBe('closed');
      expect(c.photoIds.length).toBeGreaterThanOrEqual(1);
      expect(c.timeline.map((e) => e.action)).toEqual(
        expect.arrayContaining(['register', 'dispatch', 'accept', 'checkIn', 'report', 'verify']),
      );
      // Accepted three minutes after the dispatch (one 30 s step of resolution).
      const dispatch = c.timeline.find((e) => e.action === 'dispatch')!;
      const accept = c.timeline.find((e) => e.action === 'accept')!;
      expect(accept.by).toBe(`sim-${dispatch.assigneeId}`);
      expect(accept.at - dispatch.at).toBeGreaterThanOrEqual(180_000);
      expect(accept.at - dispatch.at).toBeLessThanOrEqual(210_000);
    }
    // The cover's alert was the one the dispatcher sent.
    const alert = run.alerts.find((h) => h.alert.id === cover.alertId)!;
    expect(alert.alert.workOrderId).toBe(cover.id);

    const report = formatRunReport('dispatch.yaml', run);
    expect(report).toContain('dispatch loop: 2 citizen report(s) via Open311 · 1 alert(s) dispatched');
    expect(report).toContain('✓ calls-worked');
    expect(report).toContain('✗ too-fast');
    expect(report).toMatch(/✗ WO-\d{8}-\d{4} event\.city-appearance\.litter: known 09:10:/);
  }, 120_000);

  it('exits 1 with a failing expectation, 0 when all pass and 2 for an invalid file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cityops-scenario-cli-'));
    const failing = join(dir, 'failing.yaml');
    writeFileSync(failing, SCENARIO.replace('duration: 80m', 'duration: 45m'));
    const passing = join(dir, 'passing.yaml');
    writeFileSync(
      passing,
      SCENARIO.replace('duration: 80m', 'duration: 45m').replace(/ {2}- \{ id: fire-expected.*\n/, ''),
    );
    const invalid = join(dir, 'invalid.yaml');
    writeFileSync(invalid, SCENARIO.replace('count: 2', 'count: -2'));

    const fail = await runProcess('node_modules/.bin/tsx', ['server/scripts/scenarioTest.ts', failing], {
      timeoutMs: 90_000,
    });
    expect(fail.code).toBe(1);
    expect(fail.stdout).toContain('✗ fire-expected');
    expect(fail.stdout).toContain('1 scenario(s): 0 passed, 1 failed');

    // With every option: another seed, labels and results written, 30 s steps.
    const labelsDir = join(dir, 'labels');
    const results = join(dir, 'results.json');
    const pass = await runProcess(
      'node_modules/.bin/tsx',
      [
        'server/scripts/scenarioTest.ts',
        passing,
        '--labels',
        labelsDir,
        '--json',
        results,
        '--seed',
        '7',
        '--step',
        '30',
      ],
      { timeoutMs: 90_000 },
    );
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stdout).toContain('✓ covers-seen');
    expect(pass.stdout).toContain('1 scenario(s): 1 passed, 0 failed');

    // The labels file: one NDJSON line per label of the run (its seed's), in the documented shape —
    // each displaced cover, and each feeder of the malformed-payload fault (metric `*`).
    const passingScenario = parseScenario(readFileSync(passing, 'utf8'));
    const cs7 = compileScenario(passingScenario, pack, { seed: 7 });
    const labelsText = readFileSync(join(labelsDir, 'passing.labels.ndjson'), 'utf8');
    expect(labelsText).toBe(labelsNdjson(cs7));
    expect(labelsText).not.toBe(labelsNdjson(compileScenario(passingScenario, pack)));
    const labels = labelsText
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(labels).toHaveLength(cs7.labels.length);
    const feeders = new Set(pack.sensors.filter((x) => x.subtype === 'feeder').map((x) => x.id));
    const covers = labels.filter((l) => l['incident'] === 'covers');
    const garbled = labels.filter((l) => l['incident'] === 'garbled');
    expect(covers.length + garbled.length).toBe(labels.length);
    expect(covers).toHaveLength(2);
    expect(garbled.length).toBeGreaterThan(0);
    for (const l of labels) {
      expect(Object.keys(l)).toEqual(['incident', 'type', 'subject', 'metric', 'start', 'end']);
      expect(l['start']).toMatch(/^2026-11-26T22:[0-4]\d:\d\d\+08:00$/);
      expect(l['end']).toMatch(/^2026-11-26T22:\d\d:\d\d\+08:00$/);
    }
    for (const l of covers) {
      expect(l).toMatchObject({ type: 'grid-events', metric: 'tilt', subject: { type: 'sensor' } });
      expect(cs7.incidents[0]!.area.sensors.has((l['subject'] as { id: string }).id)).toBe(true);
    }
    for (const l of garbled) {
      expect(l).toMatchObject({ type: 'sensor-faults', metric: '*', subject: { type: 'sensor' } });
      expect(feeders.has((l['subject'] as { id: string }).id)).toBe(true);
    }
    // The results: the seed asked, the verdict and each expectation's.
    const json = JSON.parse(readFileSync(results, 'utf8')) as Array<Record<string, unknown>>;
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ seed: 7, passed: true, name: { en: 'Covers test' } });
    expect((json[0]!['results'] as Array<{ id: string }>).map((r) => r.id)).toEqual([
      'covers-seen',
      'quiet-start',
    ]);

    const bad = await runProcess('node_modules/.bin/tsx', ['server/scripts/scenarioTest.ts', invalid], {
      timeoutMs: 60_000,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('incidents[0].count');
    rmSync(dir, { recursive: true, force: true });
  }, 240_000);

  it('prints its options with --help and exits 0; names an unknown option and exits 2', async () => {
    const help = await runProcess('node_modules/.bin/tsx', ['server/scripts/scenarioTest.ts', '--help'], {
      timeoutMs: 60_000,
    });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run scenario:test -- \[FILES…\] \[options\]\n/);
    for (const option of ['--seed S', '--labels DIR', '--json FILE', '--step SECONDS', '-h, --help'])
      expect(help.stdout).toContain(option);
    // Nothing ran.
    expect(help.stdout).not.toContain('scenario(s)');

    const unknown = await runProcess(
      'node_modules/.bin/tsx',
      ['server/scripts/scenarioTest.ts', '--lables', 'out', 'some.yaml'],
      { timeoutMs: 60_000 },
    );
    expectArgumentError(
      unknown,
      '--lables: unknown option',
      'Usage: npm run scenario:test -- [FILES…] [options]',
    );
  }, 120_000);
});
