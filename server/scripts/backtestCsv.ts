/**
 * The series file of `npm run backtest`: CSV with a header line naming at least a
 * `timestamp` and a value column (default `value`); other columns are ignored. Fields are
 * separated by commas and may be quoted ("…", a doubled "" inside is one quote); a quoted
 * field cannot span lines. Blank lines are skipped.
 *
 * Timestamps: ISO 8601 (`2026-11-02T08:00:00Z`, `2026-11-02T16:00:00+08:00`,
 * `2026-11-02T08:00:00.250`) or `YYYY-MM-DD HH:MM:SS` with optional fractional seconds and
 * offset, or a bare date (`2026-11-02`, midnight). Without an offset a time is UTC.
 *
 * Every refusal is a CsvError naming the line (1-based, the header is line 1), the column
 * and the reason.
 */

/** One data row of the series. */
export interface SeriesRow {
  /** Line of the file (1-based; the header is line 1). */
  line: number;
  /** Observation time, epoch ms (UTC). */
  observedAt: number;
  value: number;
}

export interface Series {
  /** Header fields as written (trimmed). */
  header: string[];
  rows: SeriesRow[];
}

/** A refused file or row: where and why. */
export class CsvError extends Error {
  constructor(
    /** 1-based line of the file. */
    readonly line: number,
    /** Column name, when one field is at fault. */
    readonly column: string | undefined,
    readonly reason: string,
  ) {
    super(`line ${line}${column !== undefined ? `, column "${column}"` : ''}: ${reason}`);
    this.name = 'CsvError';
  }
}

const TIMESTAMP_FORMS = 'ISO 8601 (2026-11-02T08:00:00Z) or YYYY-MM-DD HH:MM:SS';

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * Epoch ms of a timestamp in one of the accepted forms, or a reason it is not one.
 * Fractional seconds beyond milliseconds are cut (not rounded).
 */
export function parseTimestamp(text: string): { ok: true; ms: number } | { ok: false; reason: string } {
  const m = TIMESTAMP.exec(text.trim());
  const bad = (why: string) => ({ ok: false as const, reason: `"${text}" ${why}` });
  if (!m) return bad(`is not a timestamp: use ${TIMESTAMP_FORMS}`);
  const [, y, mo, d, hh = '0', mi = '0', ss = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(hh);
  const minute = Number(mi);
  const second = Number(ss);
  if (year < 1970) return bad('is before 1970');
  if (month < 1 || month > 12) return bad(`has no month ${month}`);
  if (day < 1 || day > daysIn(year, month)) return bad(`has no day ${day} in ${y}-${mo}`);
  if (hour > 23 || minute > 59 || second > 59) return bad('is not a time of day (00:00:00 to 23:59:59)');
  let offsetMin = 0;
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 14 || om > 59) return bad(`has an impossible offset ${zone}`);
    offsetMin = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number(`${frac}000`.slice(0, 3));
  return { ok: true, ms: Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000 };
}

/** Splits one line into fields (RFC 4180 quoting, no line breaks inside quotes). */
function splitLine(text: string, line: number): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0)
          throw new CsvError(line, undefined, `field ${fields.length + 1}: a quoted field is not closed`);
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (i < text.length && text[i] !== ',')
        throw new CsvError(line, undefined, `field ${fields.length + 1}: text after the closing quote`);
      fields.push(value);
    } else {
      const comma = text.indexOf(',', i);
      const end = comma < 0 ? text.length : comma;
      fields.push(text.slice(i, end).trim());
      i = end;
    }
    if (i >= text.length) return fields;
    i++; // the comma
  }
}

/**
 * Parses a series file. `valueColumn` names the value column (default `value`); header
 * names match case-insensitively. Throws CsvError at the first bad line.
 */
export function parseSeriesCsv(text: string, valueColumn = 'value'): Series {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const headerAt = lines.findIndex((l) => l.trim() !== '');
  if (headerAt < 0) throw new CsvError(1, undefined, 'the file is empty (expected a header line)');
  const header = splitLine(lines[headerAt]!, headerAt + 1);
  const names = header.map((h) => h.toLowerCase());
  const column = (name: string): number => {
    const at = names.indexOf(name.toLowerCase());
    if (at < 0)
      throw new CsvError(
        headerAt + 1,
        undefined,
        `the header has no "${name}" column (it has: ${header.join(', ')})`,
      );
    if (names.indexOf(name.toLowerCase(), at + 1) >= 0)
      throw new CsvError(headerAt + 1, undefined, `the header names "${name}" twice`);
    return at;
  };
  const tsAt = column('timestamp');
  const valueAt = column(valueColumn);
  const tsName = header[tsAt]!;
  const valueName = header[valueAt]!;
  const rows: SeriesRow[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const line = i + 1;
    const fields = splitLine(raw, line);
    if (fields.length !== header.length)
      throw new CsvError(
        line,
        undefined,
        `${fields.length} field${fields.length === 1 ? '' : 's'}, but the header has ${header.length}`,
      );
    const ts = parseTimestamp(fields[tsAt]!);
    if (!ts.ok) throw new CsvError(line, tsName, ts.reason);
    const v = fields[valueAt]!;
    if (v === '') throw new CsvError(line, valueName, 'the value is empty');
    if (!NUMBER.test(v)) throw new CsvError(line, valueName, `"${v}" is not a number`);
    const value = Number(v);
    if (!Number.isFinite(value)) throw new CsvError(line, valueName, `"${v}" is not a finite number`);
    rows.push({ line, observedAt: ts.ms, value });
  }
  return { header, rows };
}
