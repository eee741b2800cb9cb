/** A Markdown table padded for the terminal: readable on stdout and pasteable into docs as is. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const width = (s: string) => [...s].length;
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    `| ${widths
      .map((w, i) => {
        const c = cells[i] ?? '';
        return c + ' '.repeat(w - width(c));
      })
      .join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** 12345.6 → "12,346"; digits after the point on request. */
export function num(v: number, digits = 0): string {
  if (!Number.isFinite(v)) return '–';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
