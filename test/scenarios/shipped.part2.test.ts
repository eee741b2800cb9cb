import { describe } from 'vitest';
import { shippedScenarioTests } from './shippedScenarios';

describe('shipped scenarios, part 2 of 2 (npm run scenario:test)', () => shippedScenarioTests(1));
