import { firingSpans } from '../../../simulators/src/scenario/expectations';
import { formatDuration, isoInOffset } from '../../../simulators/src/scenario/time';
import type { ScenarioRunResult } from './runScenario';

const int = (n: number) => n.toLocaleString('en-US');
const pct = (v: number | null) => (v === null ? '—' : v.toFixed(2));

/** The pass/fail report of one scenario run, one block of text. */
export function formatRunReport(file: string, run: ScenarioRunResult): string {
  const { compiled: cs, ingest, sent, score } = run;
  const s = cs.scenario;
  const fired = run.alerts.filter((h) => firingSpans(h).length > 0).length;
  const reasons = Object.entries(ingest.rejectedByReason)
    .filter(([, n]) => n > 0)
    .map(([r, n]) => `${r} ${int(n)}`)
    .join(', ');
  const lines = [
    `${run.passed ? 'PASS' : 'FAIL'} ${s.name.zh} / ${s.name.en}  (${file}, seed ${cs.seed})`,
    `  simulated ${formatDuration(cs.end - cs.start)} in ${(run.wallMs / 1000).toFixed(1)} s · sent ${int(sent.readings)} readings` +
      `${sent.malformed ? ` + ${int(sent.malformed)} malformed payloads` : ''} in ${int(sent.messages)} messages · ` +
      `accepted ${int(ingest.accepted)} · rejected ${int(ingest.rejected)}${reasons ? ` (${reasons})` : ''} · ${int(fired)} alerts fired` +
      (run.alerts.length > fired ? ` (+${int(run.alerts.length - fired)} pending that never fired)` : ''),
  ];
  const local = (t: number) => isoInOffset(t, cs.offsetMin).slice(11, 19);
  if (run.dispatch) {
    const d = run.dispatch;
    const closed = run.cases.filter((c) => c.state === 'closed' || c.state === 'evaluated').length;
    lines.push(
      `  dispatch loop: ${d.reports} citizen report(s) via Open311` +
        `${d.reportsRefused ? ` (+${d.reportsRefused} refused)` : ''} · ${d.alertsDispatched} alert(s) dispatched · ` +
        `${d.actions} worker/verifier action(s)${d.refused ? `, ${d.refused} refused` : ''} · ` +
        `${run.cases.length} case(s), ${closed} closed`,
    );
    for (const p of d.problems) lines.push(`    ! ${p}`);
  }
  const width = Math.max(...run.results.map((r) => r.id.length), 4);
  for (const r of run.results) {
    lines.push(`  ${r.passed ? '✓' : '✗'} ${r.id.padEnd(width)}  ${r.expected}`);
    lines.push(`    ${' '.repeat(width)}  → ${r.observed}`);
    for (const c of r.cases?.slice(0, 10) ?? [])
      lines.push(
        `    ${' '.repeat(width)}    ${c.passed ? '✓' : '✗'} ${c.id} ${c.category}: known ${local(c.knownAt)}, ` +
          `dispatched ${c.dispatchedAt === null ? 'never' : `+${formatDuration(c.dispatchedAt - c.knownAt)}`}, ` +
          `closed ${c.closedAt === null ? `never (${c.state})` : local(c.closedAt)}, deadline ${local(c.deadlineAt)}` +
          `${c.closedAt === null ? '' : c.onTime ? ', on time' : ', late'}` +
          `${c.problems.length ? ` — ${c.problems.join(', ')}` : ''}`,
      );
    if ((r.cases?.length ?? 0) > 10) lines.push(`    ${' '.repeat(width)}    … ${r.cases!.length - 10} more`);
  }
  if (run.results.length === 0) lines.push('  (no expectations)');
  lines.push(
    `  detection vs labels: ${score.detected}/${score.labels} labels found (recall ${pct(score.recall)}), ` +
      `${score.matchedAlerts}/${score.firing} firing alerts on a labelled subject (precision ${pct(score.precision)})` +
      (score.delayP50Ms !== null
        ? `, delay p50 ${formatDuration(score.delayP50Ms)} / p90 ${formatDuration(score.delayP90Ms ?? 0)}`
        : ''),
  );
  return lines.join('\n');
}
