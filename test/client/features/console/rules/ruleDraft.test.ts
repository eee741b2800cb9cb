import { describe, expect, it } from 'vitest';
import {
  draftOf,
  draftText,
  jsonPathLines,
  lineIssues,
  parseDraft,
  ruleSeverities,
} from '../../../../../client/src/features/console/rules/ruleDraft';
import { rule } from './rules.fixtures';

describe('draftOf', () => {
  it('leaves out the fields the server sets on every version', () => {
    const draft = draftOf(rule());
    for (const key of ['version', 'updatedAt', 'updatedBy', 'reason']) expect(draft).not.toHaveProperty(key);
    expect(draft).toMatchObject({ id: 'grid-waterlogging', kind: 'threshold', for: 120 });
  });
});

describe('ruleSeverities', () => {
  it('lists the levels a rule can raise, most severe first', () => {
    expect(ruleSeverities(rule())).toEqual(['red', 'yellow']);
    expect(ruleSeverities({ params: { severity: 'blue', factor: 3 } })).toEqual(['blue']);
    expect(ruleSeverities({ params: {} })).toEqual([]);
  });
});

describe('parseDraft', () => {
  it('parses valid JSON', () => {
    expect(parseDraft('{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
  });

  it('says on which line the syntax breaks', () => {
    const parsed = parseDraft('{\n  "a": 1,\n  "b": ,\n  "c": 3\n}');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.line).toBe(3);
  });

  it('finds the line of an unclosed string, a bad literal and text after the document', () => {
    const lineOf = (text: string) => {
      const parsed = parseDraft(text);
      return parsed.ok ? 'parsed' : parsed.line;
    };
    expect(lineOf('{\n  "a": "open\n}')).toBe(2);
    expect(lineOf('{\n  "a": tru\n}')).toBe(2);
    expect(lineOf('{"a": 1}\n\n}')).toBe(3);
    expect(lineOf('{"a": [1, 2,]}')).toBe(1);
  });
});

describe('jsonPathLines', () => {
  it('finds the line of every member and array element', () => {
    const lines = jsonPathLines(draftText(rule()));
    // Line 1 `{`, 3 `"name": {`, 9 `"scope": {`, 14 `"params": {`, 16 `"levels": [`, 17 and 23 the two levels.
    expect(lines.get('')).toBe(1);
    expect(lines.get('name.en')).toBe(5);
    expect(lines.get('scope.subtypes.0')).toBe(11);
    expect(lines.get('params.levels')).toBe(16);
    expect(lines.get('params.levels.0')).toBe(17);
    expect(lines.get('params.levels.0.value')).toBe(20);
    expect(lines.get('params.levels.1.clear')).toBe(27);
  });

  it('copes with escaped quotes, nested empty containers and values on the key line', () => {
    const lines = jsonPathLines('{"a": "x\\"}", "b": {}, "c": [],\n"d": [1, {"e": null}]}');
    expect(lines.get('b')).toBe(1);
    expect(lines.get('d')).toBe(2);
    expect(lines.get('d.1.e')).toBe(2);
  });

  it('gives nothing for invalid JSON', () => {
    expect(jsonPathLines('{"a": ').size).toBe(0);
  });
});

describe('lineIssues', () => {
  const text = draftText(rule());

  it('places each refused rule field on its line and leaves other fields out', () => {
    expect(
      lineIssues(text, [
        { path: 'rule.params.levels.0.value', message: 'Expected number, received string' },
        { path: 'reason', message: 'say why' },
      ]),
    ).toEqual([{ path: 'params.levels.0.value', message: 'Expected number, received string', line: 20 }]);
  });

  it('places a missing field on its nearest ancestor', () => {
    expect(lineIssues(text, [{ path: 'rule.params.levels.1.severity2', message: 'Required' }])[0]?.line).toBe(
      23,
    );
    expect(lineIssues(text, [{ path: 'rule.params.window', message: 'Required' }])[0]?.line).toBe(14);
  });

  it('places an unknown key on its own line', () => {
    const withVersion = JSON.stringify({ ...draftOf(rule()), version: 3 }, null, 2);
    const last = withVersion.split('\n').length - 1;
    expect(
      lineIssues(withVersion, [{ path: 'rule.(root)', message: 'Unrecognized key: "version"' }]),
    ).toEqual([{ path: '(root)', message: 'Unrecognized key: "version"', line: last }]);
  });
});
