import type { RowResult, Target } from './rows';
import { markdownTable, num } from './table';

/**
 * ✓ or ✗ and by how much, e.g. `✗ 21 % short (−10,500 readings/s)` or `✓ 17.3 ms under`. Both
 * kinds include the limit, as the issue words its targets (≥ 50 %, p99 ≤ 50 ms): a figure exactly
 * at it meets it.
 */
export function verdictOf(value: number, target: Target | null): string {
  if (!target) return '—';
  const gap = value - target.value;
  const pct = Math.abs((100 * gap) / target.value);
  const digits = target.unit === 'ms' ? 1 : 0;
  if (gap === 0) return '✓ at the limit';
  if (target.kind === 'min') {
    return gap > 0 ? `✓ +${num(pct)} %` : `✗ ${num(pct)} % short (−${num(-gap, digits)} ${target.unit})`;
  }
  return gap < 0
    ? `✓ ${num(-gap, digits)} ${target.unit} under`
    : `✗ +${num(gap, digits)} ${target.unit} over (+${num(pct)} %)`;
}

/** The comparison verdictOf makes: `≥` for a minimum, `≤` for a maximum (the limit itself passes). */
export function targetText(target: Target | null): string {
  if (!target || !Number.isFinite(target.value)) return '—';
  return `${target.kind === 'min' ? '≥' : '≤'} ${num(target.value)} ${target.unit}`;
}

export function measuredText(row: RowResult): string {
  return `${num(row.value, row.unit === 'ms' ? 1 : 0)} ${row.unit}`;
}

/** One line per row (and one per warning under it): figure, target, verdict, work done. */
export function resultsTable(rows: readonly RowResult[]): string {
  const lines: string[][] = [];
  rows.forEach((r, i) => {
    lines.push([
      String(i + 1),
      r.title,
      measuredText(r),
      targetText(r.target),
      verdictOf(r.value, r.target),
      r.work,
    ]);
    for (const w of r.warnings) lines.push(['⚠', w, '', '', '', '']);
  });
  return markdownTable(['#', 'Row', 'Measured', 'Target', 'Verdict', 'Work'], lines);
}

/** What the server process spent during each row, and what its writer did. */
export function serverTable(rows: readonly RowResult[]): string {
  return markdownTable(
    [
      '#',
      'Server CPU: event loop / writer / all (CPU time)',
      'Bench / others CPU',
      'Server RSS before → after',
      'Readings per commit',
      'Commit ms p50 / max',
      'Stats RTT p50 / max',
      'Max queued',
    ],
    rows.map((r, i) => [
      String(i + 1),
      `${num(r.server.mainPct)} / ${num(r.server.busiestOtherPct)} / ${num(r.server.cpuPct)} % (${num(r.server.cpuSec, 1)} s)`,
      `${num(r.server.benchPct)} / ${num(r.server.othersPct)} %`,
      `${num(r.server.rssBeforeMb)} → ${num(r.server.rssAfterMb)} MB`,
      r.store.commits > 0 ? `${num(r.store.readingsPerCommit)} (${num(r.store.commits)} commits)` : '—',
      `${num(r.probe.flushMs.p50, 1)} / ${num(r.probe.flushMs.max, 1)} ms`,
      `${num(r.probe.rttMs.p50, 1)} / ${num(r.probe.rttMs.max, 1)} ms`,
      num(r.probe.maxQueued),
    ]),
  );
}

export function serverTableLegend(cores: number): string {
  return (
    `CPU in % of one core (${cores} cores = ${cores * 100} %), from /proc: "writer" is the server's busiest thread ` +
    `besides the event loop (the SQLite writer under ingest load), "bench" this load generator, "others" every other ` +
    `process on the machine. Commit ms (store.lastFlushMs) and max queued are sampled from GET /api/v1/ingest/stats ` +
    `every 250 ms; the round trip of that request stands in for the server's event-loop lag.`
  );
}
