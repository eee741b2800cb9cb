import { readFileSync } from 'node:fs';
import { Lexer, LineCounter, Parser, parseDocument, isNode, isScalar, visit, type Document } from 'yaml';
import type { z } from 'zod';
import { ScenarioSchema, type Scenario } from './scenario.schema';

/** One problem in a scenario file: where (field path, and line:column when known) and why. */
export interface ScenarioIssue {
  /** Field path as written in the file, e.g. `incidents[0].where.sensor` (empty for the whole file). */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** A scenario that could not be read or is not valid; `issues` names every field and reason. */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly ScenarioIssue[],
  ) {
    super(
      `${file}: invalid scenario\n` +
        issues
          .map(
            (i) =>
              `  ${i.line !== undefined ? `line ${i.line}:${i.column ?? 1} ` : ''}${i.path || '(file)'}: ${i.message}`,
          )
          .join('\n'),
    );
    this.name = 'ScenarioError';
  }
}

/** `incidents.0.where` → `incidents[0].where` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/**
 * Deepest nesting of collections a scenario may have. The shipped ones need 8; the YAML
 * composer recurses once per level, and a stack overflow inside it (a few thousand levels)
 * can leave V8 unable to compile the parser's regular expressions again, which kills the
 * process on the next parse instead of throwing.
 */
export const MAX_SCENARIO_NESTING = 64;

/**
 * Where `text` nests deeper than MAX_SCENARIO_NESTING, or null. The CST parser keeps its own
 * stack (no recursion), so this pass is safe at any depth.
 */
function tooDeepAt(text: string): { line: number; col: number } | null {
  const lines = new LineCounter();
  const parser = new Parser(lines.addNewLine);
  lines.addNewLine(0);
  for (const lexeme of new Lexer().lex(text)) {
    for (const _token of parser.next(lexeme)) {
      // Only the depth of the parser's stack matters here.
    }
    // The stack holds the document, then one entry per open collection.
    if (parser.stack.length - 1 > MAX_SCENARIO_NESTING) return lines.linePos(parser.offset);
  }
  return null;
}

/** Parse a scenario from text (YAML is a superset of JSON, so both are read the same way). */
export function parseScenario(text: string, file = '<scenario>'): Scenario {
  const deep = tooDeepAt(text);
  if (deep !== null) {
    const message = `nested more than ${MAX_SCENARIO_NESTING} levels deep`;
    throw new ScenarioError(file, [{ path: '', message, line: deep.line, column: deep.col }]);
  }
  const lines = new LineCounter();
  // Duplicate keys are found below, in one pass: YAML's own check compares every pair of keys
  // of a mapping, which took seconds for a file of 20,000 keys (and minutes for 100,000).
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      file,
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { path: '', message: e.message.split('\n')[0] ?? e.message, line: pos.line, column: pos.col };
      }),
    );
  }
  const duplicates = duplicateKeys(doc, lines);
  if (duplicates.length > 0) throw new ScenarioError(file, duplicates);
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    // e.g. "Excessive alias count": aliases that would expand a small file into a huge value.
    throw new ScenarioError(file, [{ path: '', message: (err as Error).message }]);
  }
  const parsed = ScenarioSchema.safeParse(value);
  if (!parsed.success) throw new ScenarioError(file, issuesOf(parsed.error, doc, lines));
  return parsed.data;
}

/** Read and validate a scenario file (`.yaml`, `.yml` or `.json`). */
export function loadScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(file, [{ path: '', message: (err as Error).message }]);
  }
  return parseScenario(text, file);
}

/** Keys repeated within one mapping (scalar keys, compared by value as YAML's uniqueKeys does), with their lines. */
function duplicateKeys(doc: Document, lines: LineCounter): ScenarioIssue[] {
  const issues: ScenarioIssue[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        if (!isScalar(key)) continue;
        if (seen.has(key.value)) {
          const pos = key.range ? lines.linePos(key.range[0]) : null;
          issues.push({
            path: '',
            message: `Map keys must be unique: ${String(key.value)} appears twice`,
            ...(pos && { line: pos.line, column: pos.col }),
          });
        }
        seen.add(key.value);
      }
    },
  });
  return issues;
}

function issuesOf(error: z.ZodError, doc: Document, lines: LineCounter): ScenarioIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    // The deepest node of the path that exists in the file gives the position.
    let node: unknown = null;
    for (let n = path.length; n >= 0 && !node; n--) {
      const at = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (isNode(at) && at.range) node = at;
    }
    const range = isNode(node) ? node.range : null;
    const pos = range ? lines.linePos(range[0]) : null;
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown field(s) ${issue.keys.join(', ')}`;
    if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator)
      message = `${issue.discriminator} must be one of the known types (${message})`;
    return { path: formatPath(path), message, ...(pos && { line: pos.line, column: pos.col }) };
  });
}
