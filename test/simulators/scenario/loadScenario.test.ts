import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCityPack, resolveCityPackDir } from '../../../server/src/cityPack/cityPack.loader';
import { compileScenario } from '../../../simulators/src/scenario/generate';
import {
  loadScenarioFile,
  parseScenario,
  ScenarioError,
} from '../../../simulators/src/scenario/loadScenario';

const pack = loadCityPack(resolveCityPackDir('hangzhou'));

const VALID = `name: { zh: 测试, en: Test }
start: '2026-11-23T06:00:00+08:00'
duration: 2h
incidents:
  - id: crash
    type: traffic-accident
    at: '07:00'
    duration: 30m
    where: { road: road-tianmushan, position: 0.5 }
expect:
  - { type: alert, rule: traffic-congestion, incident: crash, within: 20m }
`;

/** The issues a scenario text is refused with (fails the test if it is accepted). */
function issuesOf(text: string, compile = false) {
  try {
    const s = parseScenario(text, 'test.yaml');
    if (compile) compileScenario(s, pack, { file: 'test.yaml' });
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as ScenarioError).issues;
  }
  throw new Error('the scenario was accepted');
}

describe('scenario files', () => {
  it('reads a valid YAML scenario with its defaults filled in', () => {
    const s = parseScenario(VALID);
    expect(s.cityPack).toBe('hangzhou');
    expect(s.duration).toBe(7200);
    expect(s.speed).toBe(60);
    expect(s.baseline).toEqual({ traffic: 1, air: 1, events: {} });
    expect(s.incidents[0]).toMatchObject({ type: 'traffic-accident', duration: 1800, queueGrowthKmh: 4 });
    expect(s.expect[0]).toMatchObject({ type: 'alert', within: 1200, atLeast: 1 });
  });

  it('reads the same scenario written as JSON', () => {
    const json = JSON.stringify(parseScenario(VALID));
    const dir = mkdtempSync(join(tmpdir(), 'cityops-scn-'));
    writeFileSync(join(dir, 's.json'), json);
    expect(loadScenarioFile(join(dir, 's.json'))).toEqual(parseScenario(VALID));
  });

  it('names the field, the reason and the line of a value out of range', () => {
    const issues = issuesOf(VALID.replace('position: 0.5', 'position: 1.5'));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'incidents[0].where.position', line: 9 });
    expect(issues[0]!.message).toMatch(/1/);
  });

  it('names an unknown field', () => {
    const issues = issuesOf(VALID.replace('duration: 30m', 'duration: 30m\n    strenght: 0.9'));
    expect(issues[0]!.path).toBe('incidents[0]');
    expect(issues[0]!.message).toContain('strenght');
    expect(issues[0]!.line).toBe(5);
  });

  it('refuses an unknown incident type and says which types exist', () => {
    const issues = issuesOf(VALID.replace('type: traffic-accident', 'type: earthquake'));
    expect(issues[0]!.path).toBe('incidents[0].type');
    expect(issues[0]!.message).toMatch(/traffic-accident/);
  });

  it('refuses a start without an offset', () => {
    const issues = issuesOf(VALID.replace("'2026-11-23T06:00:00+08:00'", "'2026-11-23 06:00'"));
    expect(issues[0]).toMatchObject({ path: 'start', line: 2 });
    expect(issues[0]!.message).toContain('offset');
  });

  it('refuses a malformed duration and time', () => {
    const issues = issuesOf(
      VALID.replace('duration: 2h', 'duration: two hours').replace("at: '07:00'", "at: '25:00'"),
    );
    expect(issues.map((i) => i.path).sort()).toEqual(['duration', 'incidents[0].at']);
  });

  it('refuses an expectation about an incident the scenario does not have', () => {
    const issues = issuesOf(VALID.replace('incident: crash', 'incident: crsh'));
    expect(issues[0]!.path).toBe('expect[0].incident');
    expect(issues[0]!.message).toContain('crash');
  });

  it('refuses two incidents with the same id', () => {
    const second = `  - { id: crash, type: road-works, at: '+10m', duration: 1h, where: { road: road-yanan, position: 0.2 } }\n`;
    const issues = issuesOf(VALID.replace('expect:', `${second}expect:`));
    expect(issues[0]!.path).toBe('incidents[1].id');
  });

  it('reports YAML syntax errors with their line', () => {
    const issues = issuesOf(VALID.replace('where: { road', 'where: { road: [unclosed'));
    expect(issues[0]!.line).toBeGreaterThanOrEqual(9);
  });

  it('refuses nesting deeper than 64 levels with its line, however often it comes', () => {
    // Without the depth check, the second of these overflowed the YAML composer's stack and
    // V8 aborted the whole process (RegExpCompiler out of memory) instead of throwing.
    const deep = [
      '['.repeat(10_000) + ']'.repeat(10_000),
      '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000),
      `name:\n${Array.from({ length: 100 }, (_, i) => `${' '.repeat(i + 1)}a${i}:`).join('\n')} 1\n`,
    ];
    for (const text of deep) {
      expect(issuesOf(text)).toEqual([
        {
          path: '',
          message: 'nested more than 64 levels deep',
          line: expect.any(Number),
          column: expect.any(Number),
        },
      ]);
    }
    // The position is where the nesting passes the limit (about 64 levels into the file).
    const [inLine] = issuesOf(deep[0]!);
    expect(inLine!.line).toBe(1);
    expect(inLine!.column).toBeGreaterThan(60);
    expect(inLine!.column).toBeLessThanOrEqual(66);
    expect(issuesOf(deep[2]!)[0]!.line).toBeGreaterThan(60);
    expect(issuesOf(deep[2]!)[0]!.line).toBeLessThanOrEqual(66);
    expect(issuesOf(`${'['.repeat(64)}${']'.repeat(64)}`)[0]!.message).not.toContain('nested');
    expect(issuesOf(`${'['.repeat(65)}${']'.repeat(65)}`)[0]!.message).toContain('nested');
  });

  it('refuses aliases that would expand a small file into a huge value', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]']
      .concat(['b', 'c', 'd', 'e', 'f'].map((k, i) => `${k}: &${k} [${`*${'abcde'[i]}, `.repeat(9)}]`))
      .join('\n');
    expect(issuesOf(bomb)).toEqual([{ path: '', message: expect.stringContaining('alias') }]);
  });

  it('refuses a key repeated in one mapping, naming it and its line', () => {
    const issues = issuesOf(VALID.replace('duration: 2h\n', 'duration: 2h\nduration: 3h\n'));
    expect(issues).toEqual([
      { path: '', message: expect.stringContaining('duration appears twice'), line: 4, column: 1 },
    ]);
    expect(issuesOf('{ "a": 1, "b": { "c": 1, "c": 2 } }')[0]).toMatchObject({ line: 1, column: 26 });
  });

  it('answers a file of 50,000 keys without comparing every pair of them', () => {
    // YAML's own uniqueness check compares every pair of keys of a mapping.
    const text = Array.from({ length: 50_000 }, (_, i) => `k${i}: ${i}`).join('\n');
    expect(issuesOf(text).map((i) => i.message.slice(0, 23))).toContain('unknown field(s) k0, k1');
    // About 3 s here in one pass; the pairwise check needed 26 s unloaded, so it fails this limit.
  }, 20_000);

  it('reports ids the city pack does not have when the scenario is compiled', () => {
    const issues = issuesOf(VALID.replace('road-tianmushan', 'road-nowhere'), true);
    expect(issues[0]!.path).toBe('incidents[0].where.road');
    expect(issues[0]!.message).toContain('road-nowhere');
  });

  it('reports an incident outside the scenario window when compiled', () => {
    const issues = issuesOf(VALID.replace("at: '07:00'", "at: '+3h'"), true);
    expect(issues[0]!.path).toBe('incidents[0].at');
  });

  it('reports an unknown district in an expectation when compiled', () => {
    const issues = issuesOf(
      VALID.replace('within: 20m }', "within: 20m, where: { districts: ['339999'] } }"),
      true,
    );
    expect(issues[0]!.path).toBe('expect[0].where.districts[0]');
  });

  it('reports a file that cannot be read', () => {
    expect(() => loadScenarioFile('/nonexistent/scenario.yaml')).toThrow(ScenarioError);
  });
});

describe('the dispatch section and case expectations', () => {
  const DISPATCH = `dispatch:
  autoDispatch: [event.city-appearance.litter]
  dispatchAlerts: { severities: [red] }
`;
  const CASE = `  - { id: worked, type: case, incident: crash, dispatchedWithin: 15m }\n`;

  it("fills in the simulated workers' defaults and reads a case expectation", () => {
    const s = parseScenario(`${VALID}${CASE}${DISPATCH}`);
    expect(s.dispatch).toEqual({
      autoDispatch: ['event.city-appearance.litter'],
      dispatchAlerts: { severities: ['red'] },
      workers: { acceptAfter: 180, travelKmh: 15, handle: 1200, reworkShare: 0, verifyAfter: 300 },
    });
    expect(s.expect[1]).toEqual({
      id: 'worked',
      type: 'case',
      incident: 'crash',
      dispatchedWithin: 900,
      closedOnTime: true,
    });
  });

  it('refuses unknown categories, severities and worker fields, and a rework share above 1', () => {
    const issues = issuesOf(
      `${VALID}${DISPATCH.replace('event.city-appearance.litter', 'litter').replace('[red]', '[crimson]')}` +
        `  workers: { reworkShare: 1.5, restAfter: 2h }\n`,
    );
    expect(issues.map((i) => i.path).sort()).toEqual([
      'dispatch.autoDispatch[0]',
      'dispatch.dispatchAlerts.severities[0]',
      'dispatch.workers',
      'dispatch.workers.reworkShare',
    ]);
    expect(issues.find((i) => i.path === 'dispatch.workers')!.message).toContain('restAfter');
  });

  it('refuses a case expectation without a dispatch section, or about an unknown incident', () => {
    const noDispatch = issuesOf(`${VALID}${CASE}`);
    expect(noDispatch).toHaveLength(1);
    expect(noDispatch[0]).toMatchObject({ path: 'expect[1]' });
    expect(noDispatch[0]!.message).toContain('dispatch');
    const unknown = issuesOf(`${VALID}${CASE.replace('incident: crash', 'incident: crsh')}${DISPATCH}`);
    expect(unknown.map((i) => i.path)).toEqual(['expect[1].incident']);
  });

  it('needs the incident of a case expectation', () => {
    const issues = issuesOf(`${VALID}${CASE.replace(' incident: crash,', '')}${DISPATCH}`);
    expect(issues.map((i) => i.path)).toEqual(['expect[1].incident']);
  });
});
