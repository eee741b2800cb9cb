import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../simulators/src/scenario/loadScenario';
import { fuzzParameters, fuzzTimeout, prototypeSnapshot } from './fuzzRun';
import {
  DEEP_LEVELS,
  NOT_JSON_TEXTS,
  POLLUTER,
  deepJson,
  hostileJsonText,
  hostileString,
  jsonMutation,
  randomBytes,
  renderMutated,
  type JsonMutation,
} from './hostile';

const RUNS = 150;

/** The shipped scenarios, as text and as values: valid starting points for mutations. */
const DIR = new URL('../../simulators/scenarios/', import.meta.url);
const SHIPPED = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => {
    const text = readFileSync(new URL(f, DIR), 'utf8');
    return { file: f, text, value: parseYaml(text) as unknown };
  });

/** YAML's own ways to hurt a loader: tags, anchors, merges, directives, odd scalars. */
const YAML_NASTIES = [
  '!!js/function "function () { return process }"',
  '!!js/undefined ""',
  '!!binary aGVsbG8=',
  '!!timestamp 2001-12-14t21:59:43.10-05:00',
  '!!set { a, b }',
  '!!omap [ a: 1 ]',
  '!custom value',
  '!<tag:yaml.org,2002:str> x',
  '&anchor { polluted: yes }',
  '*undefined_alias',
  '{ <<: { polluted: yes } }',
  '{ __proto__: { polluted: yes }, constructor: { prototype: { polluted: yes } } }',
  '.nan',
  '-.inf',
  '0o777',
  '0x_ff',
  '1_000',
  'y',
  'NO',
  '~',
  '|-\n  block\n  scalar',
  '>+\n\n  folded\n\n',
  '"\\u0000\\ud800\\U0001F600"',
  "'it''s'",
  '? complex key\n: value',
  '[a, b\n',
  '{ a: 1, a: 2 }',
  '\t tab',
  '%YAML 1.1',
  '--- second document',
  '...',
  '"\u202eevil"',
];

/** A change to a shipped file's text: a line replaced, inserted or removed, or a value rewritten. */
interface LineMutation {
  line: number;
  op: 'value' | 'insert' | 'delete';
  text: string;
}

const yamlSnippet: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...YAML_NASTIES),
  hostileJsonText.map((t) => t.replace(/\n/g, ' ')),
  hostileString.map((s) => JSON.stringify(s)),
  fc.constantFrom(POLLUTER),
);

const lineMutation: fc.Arbitrary<LineMutation> = fc.record({
  line: fc.nat(),
  op: fc.constantFrom('value' as const, 'insert' as const, 'delete' as const),
  text: yamlSnippet,
});

function mutateLines(text: string, mutations: readonly LineMutation[]): string {
  const lines = text.split('\n');
  for (const m of mutations) {
    const at = m.line % lines.length;
    const line = lines[at]!;
    if (m.op === 'delete') lines.splice(at, 1);
    else if (m.op === 'insert')
      lines.splice(at, 0, `${' '.repeat(line.length - line.trimStart().length)}${m.text}`);
    else {
      const colon = line.indexOf(': ');
      lines[at] = colon >= 0 ? `${line.slice(0, colon + 2)}${m.text}` : `${line}${m.text}`;
    }
  }
  return lines.join('\n');
}

/** What the fuzzer feeds the loader; long texts are named, not spelled out, so failures print readably. */
type ScenarioText =
  | { kind: 'yaml'; file: number; mutations: LineMutation[] }
  | { kind: 'json'; file: number; mutations: JsonMutation[] }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'deep'; shape: 'array' | 'object' | 'block' | 'sequence' }
  | { kind: 'aliasBomb'; width: number }
  | { kind: 'huge'; what: 'string' | 'keys' | 'lines' };

const file = fc.nat({ max: SHIPPED.length - 1 });
const scenarioText: fc.Arbitrary<ScenarioText> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('yaml' as const),
      file,
      mutations: fc.array(lineMutation, { maxLength: 3 }),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('json' as const),
      file,
      mutations: fc.array(jsonMutation, { maxLength: 3 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('text' as const),
      text: fc.oneof(hostileJsonText, fc.constantFrom(...NOT_JSON_TEXTS, ...YAML_NASTIES)),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: randomBytes }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('deep' as const),
      shape: fc.constantFrom('array' as const, 'object' as const, 'block' as const, 'sequence' as const),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('aliasBomb' as const), width: fc.integer({ min: 2, max: 12 }) }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('huge' as const),
      what: fc.constantFrom('string' as const, 'keys' as const, 'lines' as const),
    }),
    weight: 1,
  },
);

function textOf(plan: ScenarioText): string {
  switch (plan.kind) {
    case 'yaml':
      return mutateLines(SHIPPED[plan.file]!.text, plan.mutations);
    case 'json':
      return renderMutated(SHIPPED[plan.file]!.value, plan.mutations);
    case 'text':
      return plan.text;
    case 'bytes':
      // As loadScenarioFile reads a file: UTF-8, invalid bytes replaced.
      return Buffer.from(plan.bytes).toString('utf8');
    case 'deep':
      if (plan.shape === 'array' || plan.shape === 'object') return deepJson(DEEP_LEVELS, plan.shape);
      if (plan.shape === 'sequence') return `${'- '.repeat(DEEP_LEVELS)}x\n`;
      return `${Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} 1\n`;
    case 'aliasBomb': {
      // Each level refers `width` times to the one before: width^8 nodes from a few hundred bytes.
      const levels = ['l0: &l0 [x]'];
      for (let i = 1; i <= 8; i++)
        levels.push(
          `l${i}: &l${i} [${Array(plan.width)
            .fill(`*l${i - 1}`)
            .join(', ')}]`,
        );
      return levels.join('\n');
    }
    case 'huge':
      if (plan.what === 'string') return `name: { zh: "${'长'.repeat(200_000)}", en: x }\n`;
      if (plan.what === 'keys') return Array.from({ length: 20_000 }, (_, i) => `k${i}: ${i}`).join('\n');
      return `${SHIPPED[0]!.text}\n${'# comment\n'.repeat(50_000)}`;
  }
}

describe('fuzzing the scenario loader (parseScenario: YAML and JSON text)', () => {
  let prototypeUnchanged: () => void;
  beforeAll(() => {
    prototypeUnchanged = prototypeSnapshot();
  });

  it('reads the shipped scenarios (the mutations start from valid files)', () => {
    expect(SHIPPED.length).toBeGreaterThanOrEqual(6);
    for (const s of SHIPPED) expect(() => parseScenario(s.text, s.file)).not.toThrow();
  });

  it(
    'answers every text with a scenario or a ScenarioError naming field, reason and line, quickly and without crashing',
    () => {
      const outcomes = { accepted: 0, refused: 0 };
      fc.assert(
        fc.property(scenarioText, (plan) => {
          const text = textOf(plan);
          const started = performance.now();
          try {
            parseScenario(text, 'fuzz.yaml');
            outcomes.accepted += 1;
          } catch (err) {
            if (!(err instanceof ScenarioError))
              throw new Error(`not a ScenarioError: ${String(err)}`, { cause: err });
            outcomes.refused += 1;
            expect(err.file).toBe('fuzz.yaml');
            expect(err.issues.length).toBeGreaterThan(0);
            for (const issue of err.issues) {
              expect(typeof issue.path).toBe('string');
              expect(issue.message.trim()).not.toBe('');
              if (issue.line !== undefined) expect(issue.line).toBeGreaterThanOrEqual(1);
              if (issue.column !== undefined) expect(issue.column).toBeGreaterThanOrEqual(1);
            }
          }
          // A hostile file costs seconds at worst, never minutes (2-core CI under load).
          expect(performance.now() - started).toBeLessThan(10_000);
          prototypeUnchanged();
        }),
        fuzzParameters<[ScenarioText]>('scenarioSchema', RUNS, [
          [{ kind: 'deep', shape: 'array' }],
          [{ kind: 'deep', shape: 'object' }],
          [{ kind: 'deep', shape: 'block' }],
          [{ kind: 'deep', shape: 'sequence' }],
          [{ kind: 'aliasBomb', width: 9 }],
          [{ kind: 'yaml', file: 0, mutations: [{ line: 1, op: 'insert', text: YAML_NASTIES[11]! }] }],
          [{ kind: 'yaml', file: 1, mutations: [] }],
        ]),
      );
      // Both sides of the schema were reached.
      expect(outcomes.accepted).toBeGreaterThan(0);
      expect(outcomes.refused).toBeGreaterThan(0);
    },
    fuzzTimeout(RUNS, 100),
  );
});
