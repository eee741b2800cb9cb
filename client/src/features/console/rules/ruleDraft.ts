import { SEVERITIES } from '@shared/schemas/alert.schema';
import type { Severity } from '@shared/schemas/alert.schema';
import type { Rule } from '@shared/schemas/rule.schema';
import type { ErrorDetail } from '@shared/schemas/errors.schema';

/**
 * The rule editor works on JSON text: these helpers turn a stored rule into the document `PUT`
 * takes, parse what the engineer typed, and find the line of every field the server refused.
 */

/** Fields of a stored version the server sets itself; `RuleDraftSchema` is strict and refuses them. */
const STORED_ONLY = new Set(['version', 'updatedAt', 'updatedBy', 'reason']);

/** The editable document of a stored rule (`RuleDraft`): the rule without its version bookkeeping. */
export function draftOf(rule: Rule): Record<string, unknown> {
  return Object.fromEntries(Object.entries(rule).filter(([k]) => !STORED_ONLY.has(k)));
}

/** The editor's text for a stored rule: its draft, two-space indented. */
export function draftText(rule: Rule): string {
  return JSON.stringify(draftOf(rule), null, 2);
}

/** The severities a rule can raise (its levels, or its single severity), most severe first. */
export function ruleSeverities(rule: Pick<Rule, 'params'>): Severity[] {
  const found = new Set<string>();
  const { levels, severity } = rule.params as { levels?: unknown; severity?: unknown };
  if (Array.isArray(levels))
    for (const l of levels) {
      const s = (l as { severity?: unknown } | null)?.severity;
      if (typeof s === 'string') found.add(s);
    }
  if (typeof severity === 'string') found.add(severity);
  return SEVERITIES.filter((s) => found.has(s));
}

/** The outcome of parsing the editor's text. */
export type ParsedDraft =
  | { ok: true; value: unknown }
  | {
      ok: false;
      /** 1-based line of the syntax error, where the engine says where it is. */
      line: number | null;
      message: string;
    };

/** 1-based line holding character `offset` of `text`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i += 1) if (text[i] === '\n') line += 1;
  return line;
}

/** What {@link scanJson} found: the line of every value by path, or where the text stops being JSON. */
interface JsonScan {
  lines: Map<string, number>;
  /** Offset of the first character that breaks the grammar; null for valid JSON. */
  errorAt: number | null;
}

class JsonSyntaxError extends Error {
  constructor(readonly offset: number) {
    super(`JSON syntax error at ${offset}`);
  }
}

/**
 * A small JSON reader (RFC 8259 grammar) that notes the line where every value starts, by dotted
 * path (`params.levels.0.value`; the root is `''`); a member's line is the line of its key. It
 * also says where invalid text breaks, which not every engine's `JSON.parse` message tells.
 */
function scanJson(text: string): JsonScan {
  const lines = new Map<string, number>();
  let i = 0;
  let line = 1;
  const fail = (): never => {
    throw new JsonSyntaxError(i);
  };
  const skipSpace = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) {
      if (text[i] === '\n') line += 1;
      i += 1;
    }
  };
  const expect = (c: string): void => {
    if (text[i] !== c) fail();
    i += 1;
  };
  const readString = (): string => {
    const start = i;
    expect('"');
    while (text[i] !== '"') {
      if (i >= text.length || text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') {
        i += 1;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 5;
        } else if ('"\\/bfnrt'.includes(text[i] ?? 'x')) i += 1;
        else fail();
      } else i += 1;
    }
    i += 1;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const join = (path: string, key: string | number): string => (path === '' ? String(key) : `${path}.${key}`);
  const readValue = (path: string): void => {
    skipSpace();
    if (!lines.has(path)) lines.set(path, line);
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i += 1;
      skipSpace();
      if (text[i] === close) {
        i += 1;
        return;
      }
      for (let index = 0; ; index += 1) {
        if (c === '{') {
          skipSpace();
          const keyLine = line;
          const key = readString();
          lines.set(join(path, key), keyLine);
          skipSpace();
          expect(':');
          readValue(join(path, key));
        } else readValue(join(path, index));
        skipSpace();
        if (text[i] === close) {
          i += 1;
          return;
        }
        expect(',');
      }
    }
    if (c === '"') {
      readString();
      return;
    }
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i));
    if (!literal) return fail();
    i += literal[0].length;
  };
  try {
    readValue('');
    skipSpace();
    if (i < text.length) fail();
    return { lines, errorAt: null };
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { lines: new Map(), errorAt: err.offset };
    throw err;
  }
}

/** Parse the editor's text; a syntax error comes back with its line. */
export function parseDraft(text: string): ParsedDraft {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const errorAt = scanJson(text).errorAt;
    return { ok: false, line: errorAt === null ? null : lineAt(text, errorAt), message };
  }
}

/**
 * The line where every value of a JSON text starts, by dotted path (`params.levels.0.value`; the
 * root is `''`): a member's line is the line of its key. Empty for text that is not valid JSON.
 */
export function jsonPathLines(text: string): Map<string, number> {
  return scanJson(text).lines;
}

/** A refused field of the rule document, with the editor line it sits on. */
export interface LineIssue {
  /** Path inside the rule document (`params.levels.0.value`; `(root)` for the document itself). */
  path: string;
  message: string;
  /** 1-based editor line of the field (or its nearest ancestor present in the text); null when unknown. */
  line: number | null;
}

/** The prefix the API puts before paths inside the rule document (`rule.params.metric`). */
const RULE_PREFIX = 'rule.';

/** Whether an error detail is about the rule document (rather than `reason` or the range). */
export function isRuleDetail(detail: Pick<ErrorDetail, 'path'>): boolean {
  return detail.path === 'rule' || detail.path.startsWith(RULE_PREFIX);
}

function docPath(apiPath: string): string {
  const inner = apiPath === 'rule' ? '' : apiPath.slice(RULE_PREFIX.length);
  return inner === '(root)' ? '' : inner;
}

/**
 * Place the server's refusals of a rule document on the editor's lines: each detail about the
 * rule gets the line of its path, or of the nearest ancestor the text has (a missing field is
 * reported where its parent is). An unknown key is placed on the key's own line.
 */
export function lineIssues(text: string, details: readonly ErrorDetail[]): LineIssue[] {
  const lines = jsonPathLines(text);
  const lineOf = (path: string): number | null => {
    const parts = path === '' ? [] : path.split('.');
    for (let n = parts.length; n >= 0; n -= 1) {
      const found = lines.get(parts.slice(0, n).join('.'));
      if (found !== undefined) return found;
    }
    return null;
  };
  return details.filter(isRuleDetail).map((d) => {
    const path = docPath(d.path);
    // zod names unknown keys in the message, not the path: `Unrecognized key: "version"`.
    const unknownKey = /^Unrecognized keys?: "([^"]+)"/.exec(d.message)?.[1];
    const line =
      unknownKey !== undefined ? lineOf(path === '' ? unknownKey : `${path}.${unknownKey}`) : lineOf(path);
    return { path: path === '' ? '(root)' : path, message: d.message, line };
  });
}
