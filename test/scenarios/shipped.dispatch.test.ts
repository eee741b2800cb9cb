import { describe } from 'vitest';
import { shippedScenarioTests } from './shippedScenarios';

describe('shipped dispatch-loop scenarios (npm run scenario:test)', () => shippedScenarioTests('dispatch'));
