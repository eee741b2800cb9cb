/**
 * `npm run scenario:test -- [FILES…] [--seed S] [--labels DIR] [--json FILE] [--step SECONDS]`
 *
 * Runs each scenario (default: every file in simulators/scenarios) against a CityOps server
 * started in this process in virtual time, checks its expectations and prints a pass/fail
 * report per expectation with the observed times. The options and exit codes: {@link USAGE}.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { z } from 'zod';
import { parseCommandLine } from '../../simulators/src/commandLine';
import { compileScenario } from '../../simulators/src/scenario/generate';
import { labelsNdjson } from '../../simulators/src/scenario/labels';
import { loadScenarioFile, ScenarioError } from '../../simulators/src/scenario/loadScenario';
import { loadCityPack, resolveCityPackDir } from '../src/cityPack/cityPack.loader';
import { formatRunReport } from './scenario/report';
import { runScenario } from './scenario/runScenario';
import { shippedScenarios } from './scenario/shipped';

/** What `--help` prints. */
const USAGE = `Usage: npm run scenario:test -- [FILES…] [options]

Runs each scenario file (default: every file in simulators/scenarios) against a CityOps server
started in this process, in virtual time, checks its expectations and prints a pass/fail report
per expectation with the observed times.

  --seed S          run every scenario with this seed instead of its own \`seed\`
  --labels DIR      write each scenario's ground-truth labels to DIR/<file name>.labels.ndjson
  --json FILE       write the results (per scenario: file, name, seed, passed, wall time, every
                    expectation's result, the detection score, ingest counts) as a JSON array
  --step SECONDS    scenario time per step of the runner, the timing resolution (1–300, default 15)
  -h, --help        print this help

Exit code: 0 all passed, 1 an expectation failed, 2 a scenario file or an option is invalid.
`;

const { values, positionals } = parseCommandLine(USAGE, {
  allowPositionals: true,
  options: {
    seed: { type: 'string' },
    labels: { type: 'string' },
    json: { type: 'string' },
    step: { type: 'string', default: '15' },
  },
});
const Args = z.object({
  seed: z.coerce.number().int().optional(),
  labels: z.string().optional(),
  json: z.string().optional(),
  step: z.coerce.number().min(1).max(300),
});

async function main(): Promise<number> {
  const parsed = Args.safeParse(values);
  if (!parsed.success) {
    for (const i of parsed.error.issues) process.stderr.write(`--${i.path.join('.')}: ${i.message}\n`);
    return 2;
  }
  const args = parsed.data;
  const files = positionals.length > 0 ? positionals : shippedScenarios();
  // Validate every file first: a typo in the last one should not wait for the others to run.
  const compiled = [];
  let invalid = false;
  for (const file of files) {
    try {
      const scenario = loadScenarioFile(file);
      const pack = loadCityPack(resolveCityPackDir(scenario.cityPack));
      compiled.push({
        file,
        cs: compileScenario(scenario, pack, { seed: args.seed ?? scenario.seed, file }),
      });
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      process.stderr.write(`${err.message}\n`);
      invalid = true;
    }
  }
  if (invalid) return 2;
  if (args.labels) mkdirSync(args.labels, { recursive: true });
  let failed = 0;
  const summary = [];
  for (const { file, cs } of compiled) {
    const shown = relative(process.cwd(), file) || file;
    process.stdout.write(`▶ ${shown}: ${cs.scenario.name.en}…\n`);
    const run = await runScenario(cs, {
      stepMs: args.step * 1000,
      onProgress: (p) =>
        process.stdout.isTTY &&
        process.stdout.write(
          `\r  ${Math.round(p.fraction * 100)}% · ${p.sent.toLocaleString('en-US')} readings\x1b[K`,
        ),
    });
    if (process.stdout.isTTY) process.stdout.write('\r\x1b[K');
    process.stdout.write(`${formatRunReport(shown, run)}\n\n`);
    if (!run.passed) failed++;
    if (args.labels)
      writeFileSync(
        join(args.labels, `${basename(file).replace(/\.(ya?ml|json)$/, '')}.labels.ndjson`),
        labelsNdjson(cs),
      );
    summary.push({
      file: shown,
      name: cs.scenario.name,
      seed: cs.seed,
      passed: run.passed,
      wallMs: run.wallMs,
      results: run.results,
      score: run.score,
      ingest: run.ingest,
      sent: run.sent,
    });
  }
  if (args.json) writeFileSync(args.json, JSON.stringify(summary, null, 2));
  process.stdout.write(
    `${compiled.length} scenario(s): ${compiled.length - failed} passed, ${failed} failed\n`,
  );
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `scenario:test failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
