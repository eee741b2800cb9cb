import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the shipped scenarios live. */
export const SCENARIOS_DIR = fileURLToPath(new URL('../../../simulators/scenarios', import.meta.url));

/** The shipped scenario files (YAML or JSON), in name order. */
export function shippedScenarios(): string[] {
  return readdirSync(SCENARIOS_DIR)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => join(SCENARIOS_DIR, f));
}

/**
 * Shipped scenarios that rehearse the dispatch loop (cases worked by simulated grid workers).
 * They are short and `npm test` runs them in a file of their own, so the two halves of the long
 * sensor rehearsals keep their balance.
 */
export const DISPATCH_SCENARIOS: readonly string[] = ['citizen-reports-day.yaml'];

/** Whether a shipped scenario file is one of the dispatch-loop rehearsals. */
export function isDispatchScenario(file: string): boolean {
  return DISPATCH_SCENARIOS.includes(basename(file));
}
