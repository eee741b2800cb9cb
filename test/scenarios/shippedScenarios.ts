import { basename } from 'node:path';
import { expect, it } from 'vitest';
import { loadCityPack, resolveCityPackDir } from '../../server/src/cityPack/cityPack.loader';
import { formatRunReport } from '../../server/scripts/scenario/report';
import { runScenario } from '../../server/scripts/scenario/runScenario';
import {
  DISPATCH_SCENARIOS,
  isDispatchScenario,
  shippedScenarios,
} from '../../server/scripts/scenario/shipped';
import { compileScenario } from '../../simulators/src/scenario/generate';
import { loadScenarioFile } from '../../simulators/src/scenario/loadScenario';

/**
 * Every shipped scenario passes its expectations with the default rule set, exactly as
 * `npm run scenario:test` runs it. The sensor rehearsals are split over two test files (`part`
 * 0 and 1) so the two halves run on both cores; the short dispatch-loop rehearsals
 * (`DISPATCH_SCENARIOS`) have a file of their own (`part` 'dispatch').
 */
export function shippedScenarioTests(part: 0 | 1 | 'dispatch'): void {
  const files =
    part === 'dispatch'
      ? shippedScenarios().filter(isDispatchScenario)
      : shippedScenarios()
          .filter((f) => !isDispatchScenario(f))
          .filter((_, i) => i % 2 === part);
  if (part === 0)
    it('ships the six rehearsals of the issue', () => {
      expect(shippedScenarios().map((f) => basename(f))).toEqual(
        expect.arrayContaining([
          'morning-rush-accident.yaml',
          'heavy-pollution-episode.yaml',
          'rainstorm-cascade.yaml',
          'night-manhole-covers.yaml',
          'network-degradation.yaml',
          'quiet-day.yaml',
        ]),
      );
    });
  if (part === 'dispatch')
    it('ships every dispatch-loop rehearsal it names', () => {
      expect(files.length).toBeGreaterThan(0);
      expect(files.map((f) => basename(f)).sort()).toEqual([...DISPATCH_SCENARIOS].sort());
    });
  for (const file of files) {
    it(`${basename(file)} passes every expectation`, async () => {
      const scenario = loadScenarioFile(file);
      const cs = compileScenario(scenario, loadCityPack(resolveCityPackDir(scenario.cityPack)), { file });
      expect(scenario.expect.length).toBeGreaterThan(0);
      const run = await runScenario(cs);
      const report = formatRunReport(basename(file), run);
      expect(
        run.results.filter((r) => !r.passed),
        report,
      ).toEqual([]);
      // Nothing the simulated devices sent was lost: every message reached ingest and was counted,
      // every reading was stored or refused with a reason.
      expect(run.ingest.payloads, report).toBe(run.sent.messages);
      expect(run.ingest.accepted + run.ingest.rejected, report).toBeGreaterThanOrEqual(run.sent.readings);
      // The server took every report, dispatch and worker action the simulated people gave.
      if (run.dispatch) expect(run.dispatch.problems, report).toEqual([]);
    }, 600_000);
  }
}
