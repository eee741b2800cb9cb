import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitFor } from './server';
import { issueTestGateway, registerToken, signIn, testPassword } from './auth';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A port nobody listens on right now: bind port 0, note the port, release it. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  await once(probe, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port from the probe server');
  return address.port;
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  mqttUrl: string;
  /** What the process wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** Send `signal` and resolve once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Run CityOps as its own process (`node --import tsx server/src/main.ts`, one
 * process, so a SIGKILL really kills the server) on free ports (or PORT and
 * MQTT_PORT from `env`) with the given database file; resolves once /api/health
 * answers 200.
 */
const adminPasswords = new Map<string, string>();

export async function spawnServer(
  databaseFile: string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  // Ports given in `env` are kept (a restart on the same ports lets clients reconnect by themselves).
  const port = env['PORT'] ? Number(env['PORT']) : await freePort();
  const mqttPort = env['MQTT_PORT'] ? Number(env['MQTT_PORT']) : await freePort();
  // One admin password per database: a restarted process signs in with it again.
  const adminPassword = adminPasswords.get(databaseFile) ?? testPassword();
  adminPasswords.set(databaseFile, adminPassword);
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      TZ: 'UTC',
      HOST: '127.0.0.1',
      PORT: String(port),
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(mqttPort),
      DATABASE_FILE: databaseFile,
      LOG_LEVEL: 'warn',
      CLIENT_DIR: `${databaseFile}.no-client`,
      ADMIN_INITIAL_PASSWORD: adminPassword,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  const proc: ServerProcess = {
    child,
    url,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    output: () => output,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
        return fetch(`${url}/api/health`).then(
          async (res) => {
            await res.arrayBuffer();
            return res.status === 200;
          },
          () => false,
        );
      },
      30_000,
      'the server process to become ready',
    );
  } catch (err) {
    await proc.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${output}`, { cause: err });
  }
  const token = await signIn(url, 'admin', adminPassword);
  registerToken(url, token);
  await issueTestGateway(url, proc.mqttUrl, token);
  return proc;
}
