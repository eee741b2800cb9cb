import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Folder holding the client built from the current sources for this test run (serve it as CLIENT_DIR). */
    clientDir: string;
  }
}

const configFile = fileURLToPath(new URL('../../vite.config.ts', import.meta.url));

/**
 * Build the client once per test run into a temporary folder, with the same
 * Vite config as `npm run build`, so browser tests never load a stale dist/.
 */
export default async function buildClient(project: TestProject): Promise<() => void> {
  const outDir = mkdtempSync(join(tmpdir(), 'cityops-client-'));
  // Vitest sets NODE_ENV=test, which would make Vite bundle Vue's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile, mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  } catch (err) {
    rmSync(outDir, { recursive: true, force: true });
    throw err;
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  project.provide('clientDir', outDir);
  return () => rmSync(outDir, { recursive: true, force: true });
}
