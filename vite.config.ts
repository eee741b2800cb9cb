import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const devServerTarget = process.env.CITYOPS_DEV_API ?? 'http://127.0.0.1:8080';

/**
 * One config for the client build (vite), the dev server and the tests
 * (vitest). `@shared` resolves to the contract folder here, in every tsconfig
 * (paths) and at server runtime (tsx reads the same tsconfig paths).
 */
export default defineConfig({
  root: `${root}client`,
  publicDir: `${root}client/public`,
  plugins: [vue()],
  resolve: {
    alias: { '@shared': `${root}shared` },
  },
  build: {
    outDir: `${root}dist/client`,
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: {
      '/api': devServerTarget,
      '/socket.io': { target: devServerTarget, ws: true },
    },
  },
  test: {
    root,
    environment: 'node',
    // Requests to test servers carry their admin token (test/helpers/auth.ts).
    setupFiles: ['test/helpers/authenticatedFetch.setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start real servers; keep the 2-core machine from thrashing.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/helpers/pgSchemas.globalSetup.ts'],
          exclude: ['test/e2e/**'],
        },
      },
      {
        // The server's integration, HTTP, access and realtime tests again, each server storing in a
        // schema of its own in the machine's PostgreSQL (test/helpers/server.ts): the same
        // behaviour from both stores. Tests that reach into the SQLite file itself stay in `main`.
        extends: true,
        test: {
          name: 'postgres',
          include: [
            'test/server/integration/**/*.test.ts',
            'test/server/http/**/*.test.ts',
            'test/server/access/**/*.test.ts',
            'test/server/realtime/**/*.test.ts',
          ],
          exclude: ['test/server/integration/ruleCatchUp.test.ts'],
          env: { TEST_STORE: 'postgresql' },
          globalSetup: ['test/helpers/pgSchemas.globalSetup.ts'],
        },
      },
      {
        // Browser tests need the client built from the current sources; only they pay for the build.
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/buildClient.globalSetup.ts'],
        },
      },
    ],
  },
});
