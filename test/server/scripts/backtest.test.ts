import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../simulators/src/noise';
import { REPO_ROOT, runProcess, type ProcessRun } from '../../helpers/process';

/** `npm run backtest` as engineers run it: the script in its own process, on files. */
const TSX = join(REPO_ROOT, 'node_modules/.bin/tsx');
const MINUTE = 60_000;
const START = Date.UTC(2026, 10, 2);

function backtest(...args: string[]): Promise<ProcessRun> {
  return runProcess(TSX, ['server/scripts/backtest.ts', ...args], { env: { TZ: 'Asia/Shanghai' } });
}

const jsonLines = (out: string) =>
  out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** `YYYY-MM-DD HH:MM:SS` (UTC) for even rows, ISO 8601 at +08:00 for odd ones. */
function stamp(t: number, i: number): string {
  const utc = new Date(t).toISOString();
  if (i % 2 === 0) return `${utc.slice(0, 10)} ${utc.slice(11, 19)}`;
  return `${new Date(t + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
}

describe('npm run backtest', () => {
  let dir: string;
  let seriesCsv: string;
  /** Three days of a daily cycle plus noise, one reading a minute, one spike on day 3. */
  const SPIKE = 2 * 1440 + 600;
  const spikeAt = START + SPIKE * MINUTE;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cityops-backtest-'));
    const random = mulberry32(11);
    const lines = ['timestamp,value'];
    for (let i = 0; i < 3 * 1440; i++) {
      const t = START + i * MINUTE;
      const noise = (random() + random() + random() - 1.5) * 2;
      let value = 40 + 10 * Math.sin((2 * Math.PI * (i % 1440)) / 1440) + noise;
      if (i === SPIKE) value += 60;
      lines.push(`${stamp(t, i)},${value.toFixed(2)}`);
    }
    seriesCsv = join(dir, 'series.csv');
    writeFileSync(seriesCsv, `${lines.join('\n')}\n`);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one JSON line for the spike with the default anomaly detector and writes every score', async () => {
    const scoresCsv = join(dir, 'scores.csv');
    const run = await backtest('--csv', seriesCsv, '--scores', scoresCsv);
    expect(run.stderr).toContain('1 alert(s) raised');
    expect(run.code).toBe(0);
    const alerts = jsonLines(run.stdout);
    expect(alerts).toEqual([
      {
        ts: new Date(spikeAt).toISOString(),
        level: 'orange',
        score: expect.any(Number),
        value: expect.any(Number),
        line: SPIKE + 2,
        maxLevel: 'orange',
        resolvedAt: new Date(spikeAt + MINUTE).toISOString(),
      },
    ]);
    expect(alerts[0]!['score']).toBeGreaterThan(11);

    const rows = readFileSync(scoresCsv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('timestamp,value,score');
    expect(rows).toHaveLength(3 * 1440 + 1);
    const cells = rows.slice(1).map((r) => r.split(','));
    expect(cells[0]).toEqual([new Date(START).toISOString(), expect.any(String), '']);
    // The detector judges nothing in its first day (warm-up), then every row.
    expect(cells.slice(0, 1440).every((c) => c[2] === '')).toBe(true);
    expect(cells.slice(1441).every((c) => c[2] !== '' && Number.isFinite(Number(c[2])))).toBe(true);
    const spikeRow = cells[SPIKE]!;
    expect(spikeRow[0]).toBe(new Date(spikeAt).toISOString());
    expect(Number(spikeRow[2])).toBeCloseTo(alerts[0]!['score'] as number, 2);
    const others = cells.filter((c, i) => i !== SPIKE && c[2] !== '').map((c) => Number(c[2]));
    expect(Math.max(...others)).toBeLessThan(5.5);
  });

  it('replays a threshold rule file with a pending time, raising on the row where `for` elapsed', async () => {
    const ruleFile = join(dir, 'depth.json');
    writeFileSync(
      ruleFile,
      JSON.stringify({
        id: 'depth',
        name: { zh: '积水', en: 'Waterlogging' },
        kind: 'threshold',
        scope: { subtypes: ['waterlogging'] },
        params: { metric: 'waterDepth', levels: [{ severity: 'yellow', op: '>=', value: 27, clear: 22 }] },
        for: '5m',
      }),
    );
    // Deep for 3 minutes (cancelled), dry, then deep for 10 minutes from minute 10.
    const depths = [0, 30, 30, 30, 0, 0, 0, 0, 0, 0, ...Array<number>(10).fill(35), 0, 0];
    const csv = join(dir, 'depth.csv');
    writeFileSync(
      csv,
      ['timestamp,value', ...depths.map((d, i) => `${stamp(START + i * MINUTE, i)},${d}`)].join('\n'),
    );
    const run = await backtest('--csv', csv, '--rule', ruleFile);
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout)).toEqual([
      {
        ts: new Date(START + 15 * MINUTE).toISOString(),
        level: 'yellow',
        score: null,
        value: 35,
        line: 17,
        maxLevel: 'yellow',
        resolvedAt: new Date(START + 20 * MINUTE).toISOString(),
      },
    ]);
    expect(run.stderr).toContain('1 pending episode(s) cancelled');
    expect(run.stderr).toContain('scope is replaced');
  });

  it('refuses a bad row naming its line and column, without a stack trace', async () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(
      csv,
      'timestamp,value\n2026-11-02 00:00:00,1\n2026-11-02 00:01:00,1\n2026-11-31 00:02:00,1\n',
    );
    const run = await backtest('--csv', csv);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toBe(
      `backtest: ${csv} line 4, column "timestamp": "2026-11-31 00:02:00" has no day 31 in 2026-11`,
    );
  });

  it('refuses an invalid rule file listing each problem with its path', async () => {
    const ruleFile = join(dir, 'bad-rule.json');
    writeFileSync(
      ruleFile,
      JSON.stringify({
        id: 'x',
        name: { zh: 'x', en: 'x' },
        kind: 'threshold',
        params: { metric: 'waterDepth', levels: [{ severity: 'purple', op: '>>', value: 1 }] },
      }),
    );
    const run = await backtest('--csv', seriesCsv, '--rule', ruleFile);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`backtest: ${ruleFile} is not a valid rule:`);
    expect(run.stderr).toMatch(/^ {2}params\.levels\.0\.severity: /m);
    expect(run.stderr).toMatch(/^ {2}params\.levels\.0\.op: /m);
    expect(run.stderr).not.toMatch(/^\s+at /m);

    const areaFile = join(dir, 'area-rule.json');
    writeFileSync(
      areaFile,
      JSON.stringify({
        id: 'completeness',
        name: { zh: '完整率', en: 'Completeness' },
        kind: 'dataQuality',
        params: { area: 'district', window: '1h' },
      }),
    );
    const area = await backtest('--csv', seriesCsv, '--rule', areaFile);
    expect(area.code).toBe(1);
    expect(area.stderr).toContain('dataQuality rules judge cells or districts of many sensors');
  });

  it('explains its usage when --csv is missing or an option is unknown', async () => {
    const missing = await backtest();
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--csv FILE is required');
    const unknown = await backtest('--csv', seriesCsv, '--rules', 'x.json');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('usage: npm run backtest');
    const metric = await backtest('--csv', seriesCsv, '--metric', 'pm2.5');
    expect(metric.code).toBe(2);
    expect(metric.stderr).toContain('--metric pm2.5 is not a reported metric');
  });
});
