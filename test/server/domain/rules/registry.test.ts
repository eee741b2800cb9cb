import { describe, expect, it } from 'vitest';
import { RULE_KINDS, RuleKindInfoSchema } from '@shared/schemas/rule.schema';
import {
  RULE_KIND_REGISTRY,
  ruleKindInfos,
  validateRule,
} from '../../../../server/src/domain/rules/registry';

/** A rule document as an engineer writes it. */
function draft(over: Record<string, unknown> = {}) {
  return {
    id: 'pm25-heavy',
    name: { zh: 'PM2.5 重污染', en: 'PM2.5 heavy pollution' },
    kind: 'threshold',
    params: {
      metric: 'pm25',
      levels: [
        { severity: 'orange', op: '>', value: 150, clear: 130 },
        { severity: 'red', op: '>', value: 250 },
      ],
    },
    ...over,
  };
}

/** The issue paths of an invalid document (fails the test if it is valid). */
function issuePaths(input: unknown): string[] {
  const result = validateRule(input);
  if (result.ok) throw new Error(`expected issues, got a valid rule: ${JSON.stringify(result.rule)}`);
  return result.issues.map((i) => i.path);
}

describe('validateRule', () => {
  it.each(RULE_KINDS.map((kind) => [kind]))('accepts the published example params of the %s kind', (kind) => {
    const result = validateRule(draft({ kind, params: RULE_KIND_REGISTRY[kind].example }));
    expect(result.ok ? 'ok' : result.issues).toBe('ok');
  });

  it('fills the shared defaults of a rule document', () => {
    const result = validateRule(draft());
    expect(result.ok && result.rule).toMatchObject({
      enabled: true,
      scope: {},
      for: 0,
      keepFiringFor: 0,
      aqiStandard: 'HJ633-2026',
      labels: {},
    });
  });

  it('parses durations written with units to seconds', () => {
    const result = validateRule(
      draft({
        for: '10m',
        keepFiringFor: '1h',
        flap: { window: '90s' },
        kind: 'rateOfChange',
        params: {
          metric: 'waterDepth',
          window: '10m',
          levels: [{ severity: 'orange', op: '>=', value: 20 }],
        },
      }),
    );
    expect(result.ok && result.rule).toMatchObject({
      for: 600,
      keepFiringFor: 3600,
      flap: { window: 90, transitions: 6 },
      params: { window: 600, per: 'window' },
    });
  });

  it('fills the kind’s own defaults into params', () => {
    const result = validateRule(draft({ kind: 'noData', params: {} }));
    expect(result.ok && result.rule.params).toEqual({ factor: 3, minSilence: 60, severity: 'blue' });
  });

  it('names the level whose clear value is on the wrong side of its threshold', () => {
    const params = { metric: 'pm25', levels: [{ severity: 'orange', op: '>', value: 150, clear: 160 }] };
    expect(issuePaths(draft({ params }))).toEqual(['params.levels.0.clear']);
  });

  it('names `for` when the pending time is not a duration', () => {
    expect(issuePaths(draft({ for: '10 minutes' }))).toEqual(['for']);
    expect(issuePaths(draft({ for: -1 }))).toEqual(['for']);
  });

  it('rejects durations longer than 30 days', () => {
    expect(issuePaths(draft({ keepFiringFor: '31d' }))).toEqual(['keepFiringFor']);
  });

  it('names the scope entry that is not a grid cell code', () => {
    expect(issuePaths(draft({ scope: { gridCellIds: ['330106001001001', 'cell-7'] } }))).toEqual([
      'scope.gridCellIds.1',
    ]);
  });

  it('names an unknown scope field', () => {
    expect(issuePaths(draft({ scope: { streets: ['x'] } }))).toEqual(['scope']);
  });

  it('rejects an unknown kind', () => {
    expect(issuePaths(draft({ kind: 'magic' }))).toEqual(['kind']);
  });

  it('rejects an unknown metric in params', () => {
    expect(
      issuePaths(draft({ params: { metric: 'pm3', levels: [{ severity: 'red', op: '>', value: 1 }] } })),
    ).toEqual(['params.metric']);
  });

  it('rejects two levels of the same severity', () => {
    const params = {
      metric: 'pm25',
      levels: [
        { severity: 'red', op: '>', value: 250 },
        { severity: 'red', op: '>', value: 300 },
      ],
    };
    expect(issuePaths(draft({ params }))).toEqual(['params.levels']);
  });

  it('rejects params the kind does not know', () => {
    const params = { metric: 'pm25', levels: [{ severity: 'red', op: '>', value: 250 }], window: 600 };
    expect(issuePaths(draft({ params }))).toEqual(['params']);
  });

  it('rejects an unknown AQI standard', () => {
    expect(issuePaths(draft({ aqiStandard: 'WHO-2021' }))).toEqual(['aqiStandard']);
  });

  it('reports shared-field issues before looking at params', () => {
    const result = validateRule(draft({ id: 'bad id!', params: { nonsense: true } }));
    expect(result.ok ? [] : result.issues.map((i) => i.path)).toEqual(['id']);
  });
});

describe('ruleKindInfos', () => {
  const infos = ruleKindInfos();

  it('describes every kind once, in the published order', () => {
    expect(infos.map((i) => i.kind)).toEqual([...RULE_KINDS]);
    for (const info of infos) expect(RuleKindInfoSchema.safeParse(info).success).toBe(true);
  });

  it('publishes each kind’s params as a JSON Schema object', () => {
    for (const info of infos) {
      expect(info.paramsSchema, info.kind).toMatchObject({ type: 'object', properties: expect.any(Object) });
    }
  });

  it('lists required params and accepts written durations in the JSON Schema', () => {
    const byKind = Object.fromEntries(infos.map((i) => [i.kind, i.paramsSchema]));
    expect(byKind.threshold).toMatchObject({ required: expect.arrayContaining(['metric', 'levels']) });
    const window = (byKind.rateOfChange as { properties: Record<string, unknown> }).properties.window;
    expect(JSON.stringify(window)).toContain('"string"');
    expect(JSON.stringify(window)).toContain('"number"');
  });

  it('tells sensor kinds from area kinds', () => {
    const subjects = Object.fromEntries(infos.map((i) => [i.kind, i.subject]));
    expect(subjects).toMatchObject({
      threshold: 'sensor',
      noData: 'sensor',
      dataQuality: 'area',
      area: 'area',
    });
  });
});
