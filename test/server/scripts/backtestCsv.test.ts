import { describe, expect, it } from 'vitest';
import { CsvError, parseSeriesCsv, parseTimestamp } from '../../../server/scripts/backtestCsv';

const ms = (text: string) => {
  const r = parseTimestamp(text);
  if (!r.ok) throw new Error(r.reason);
  return r.ms;
};

/** The CsvError `text` raises, as { line, column, reason }. */
function refusal(text: string, valueColumn?: string): { line: number; column?: string; reason: string } {
  try {
    parseSeriesCsv(text, valueColumn);
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    return { line: err.line, column: err.column, reason: err.reason };
  }
  throw new Error('accepted');
}

describe('parseTimestamp', () => {
  it('reads ISO 8601 with Z, with an offset, and without one as UTC', () => {
    expect(ms('2026-11-02T08:00:00Z')).toBe(Date.UTC(2026, 10, 2, 8));
    expect(ms('2026-11-02T16:00:00+08:00')).toBe(Date.UTC(2026, 10, 2, 8));
    expect(ms('2026-11-02T16:00:00+0800')).toBe(Date.UTC(2026, 10, 2, 8));
    expect(ms('2026-11-02T03:30:00-04:30')).toBe(Date.UTC(2026, 10, 2, 8));
    expect(ms('2026-11-02T08:00:00')).toBe(Date.UTC(2026, 10, 2, 8));
    expect(ms('2026-11-02T08:00')).toBe(Date.UTC(2026, 10, 2, 8));
    expect(ms('2026-11-02')).toBe(Date.UTC(2026, 10, 2));
  });

  it('reads YYYY-MM-DD HH:MM:SS as UTC, with fractional seconds cut to milliseconds', () => {
    expect(ms('2026-11-02 08:00:00')).toBe(Date.UTC(2026, 10, 2, 8));
    expect(ms('2026-11-02 08:00:00.5')).toBe(Date.UTC(2026, 10, 2, 8, 0, 0, 500));
    expect(ms('2026-11-02 08:00:00.123456')).toBe(Date.UTC(2026, 10, 2, 8, 0, 0, 123));
    expect(ms('2026-11-02 08:00:00,250')).toBe(Date.UTC(2026, 10, 2, 8, 0, 0, 250));
    expect(ms('2026-11-02 16:00:00+08:00')).toBe(Date.UTC(2026, 10, 2, 8));
    expect(ms(' 2026-11-02 08:00:00 ')).toBe(Date.UTC(2026, 10, 2, 8));
  });

  it('refuses what is not a real instant, saying why', () => {
    const reason = (text: string) => {
      const r = parseTimestamp(text);
      return r.ok ? 'accepted' : r.reason;
    };
    expect(reason('02/11/2026 08:00')).toContain('is not a timestamp');
    expect(reason('1730534400000')).toContain('is not a timestamp');
    expect(reason('2026-13-01 00:00:00')).toContain('no month 13');
    expect(reason('2026-02-30 00:00:00')).toContain('no day 30');
    expect(reason('2025-02-29')).toContain('no day 29');
    expect(ms('2028-02-29')).toBe(Date.UTC(2028, 1, 29));
    expect(reason('2026-11-02 24:00:00')).toContain('time of day');
    expect(reason('2026-11-02 08:60:00')).toContain('time of day');
    expect(reason('2026-11-02T08:00:00+15:00')).toContain('offset');
    expect(reason('1969-12-31')).toContain('before 1970');
    expect(reason('')).toContain('is not a timestamp');
  });
});

describe('parseSeriesCsv', () => {
  it('reads a header and rows in either timestamp form, with line numbers', () => {
    const text = [
      'timestamp,value',
      '2026-11-02 08:00:00,1.5',
      '',
      '2026-11-02T08:01:00Z,-2',
      '2026-11-02T16:02:00+08:00,3e2',
      '',
    ].join('\n');
    expect(parseSeriesCsv(text)).toEqual({
      header: ['timestamp', 'value'],
      rows: [
        { line: 2, observedAt: Date.UTC(2026, 10, 2, 8, 0), value: 1.5 },
        { line: 4, observedAt: Date.UTC(2026, 10, 2, 8, 1), value: -2 },
        { line: 5, observedAt: Date.UTC(2026, 10, 2, 8, 2), value: 300 },
      ],
    });
  });

  it('takes CRLF, a byte-order mark, quoted fields, any column order and case, and ignores other columns', () => {
    const text =
      '\uFEFFsensor,"Value",Timestamp,note\r\n' +
      'X,"42","2026-11-02 08:00:00","a, ""quoted"" note"\r\n' +
      'X, 43 ,2026-11-02 08:01:00,\r\n';
    expect(parseSeriesCsv(text).rows).toEqual([
      { line: 2, observedAt: Date.UTC(2026, 10, 2, 8, 0), value: 42 },
      { line: 3, observedAt: Date.UTC(2026, 10, 2, 8, 1), value: 43 },
    ]);
  });

  it('reads another value column when asked', () => {
    const text = 'timestamp,speed,value\n2026-11-02 08:00:00,55,1\n';
    expect(parseSeriesCsv(text, 'speed').rows[0]?.value).toBe(55);
  });

  it('names the line, the column and the reason of a bad row', () => {
    const head = 'timestamp,value\n2026-11-02 08:00:00,1\n';
    expect(refusal(`${head}2026-11-02 8:01,2\n`)).toEqual({
      line: 3,
      column: 'timestamp',
      reason: expect.stringContaining('"2026-11-02 8:01" is not a timestamp'),
    });
    expect(refusal(`${head}2026-11-02 08:01:00,abc\n`)).toEqual({
      line: 3,
      column: 'value',
      reason: '"abc" is not a number',
    });
    expect(refusal(`${head}2026-11-02 08:01:00,\n`)).toMatchObject({
      line: 3,
      column: 'value',
      reason: 'the value is empty',
    });
    expect(refusal(`${head}2026-11-02 08:01:00,0x10\n`)).toMatchObject({ column: 'value' });
    expect(refusal(`${head}2026-11-02 08:01:00,Infinity\n`)).toMatchObject({ column: 'value' });
    expect(refusal(`${head}\n\n2026-11-02 08:01:00\n`)).toEqual({
      line: 5,
      column: undefined,
      reason: '1 field, but the header has 2',
    });
    expect(refusal(`${head}"2026-11-02 08:01:00,2\n`)).toMatchObject({
      line: 3,
      reason: expect.stringContaining('not closed'),
    });
    expect(refusal(`${head}"2026-11-02 08:01:00"x,2\n`)).toMatchObject({
      line: 3,
      reason: expect.stringContaining('after the closing quote'),
    });
  });

  it('refuses a file without the needed columns, saying which it has', () => {
    expect(refusal('time,value\n2026-11-02,1\n')).toEqual({
      line: 1,
      column: undefined,
      reason: 'the header has no "timestamp" column (it has: time, value)',
    });
    expect(refusal('\n\ntimestamp,v\n')).toMatchObject({
      line: 3,
      reason: expect.stringContaining('no "value"'),
    });
    expect(refusal('timestamp,value,VALUE\n')).toMatchObject({ reason: 'the header names "value" twice' });
    expect(refusal('')).toMatchObject({ line: 1, reason: expect.stringContaining('empty') });
  });

  it('says where in its message', () => {
    expect(() => parseSeriesCsv('timestamp,value\nnope,1\n')).toThrow(/^line 2, column "timestamp": "nope"/);
  });
});
