import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
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

/** Parse a scenario from text (YAML is a superset of JSON, so both are read the same way). */
export function parseScenario(text: string, file = '<scenario>'): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      file,
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { path: '', message: e.message.split('\n')[0] ?? e.message, line: pos.line, column: pos.col };
      }),
    );
  }
  const parsed = ScenarioSchema.safeParse(doc.toJS());
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
