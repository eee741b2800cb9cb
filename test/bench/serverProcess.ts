import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStat } from './procStats';
import { issueTestGateway, registerToken, signIn, testPassword } from '../helpers/auth';

/** A free TCP port on 127.0.0.1: bind port 0, read it, close. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  url: string;
  mqttUrl: string;
  /** Pid of the Node process running the server (tsx's child, not the tsx wrapper). */
  pid: number;
  /** The last lines the server wrote to stdout/stderr (for a crash report). */
  output(): string;
  /** SIGTERM (graceful close), SIGKILL after 20 s; then remove the temp folder. */
  stop(): Promise<void>;
}

export interface ServerProcessOptions {
  repoRoot: string;
  /** Extra config variables (e.g. PUSH_INTERVAL_MS). */
  env?: Record<string, string>;
  /** Write a V8 CPU profile of the server to this folder on exit (`--cpu-prof`). */
  cpuProfDir?: string | undefined;
  /** The administrator's password: the same for the nodes of one cluster (one shared database). */
  adminPassword?: string;
}

/**
 * Start `tsx server/src/main.ts` as a child process (its own event loop and
 * cores, as in production) on free ports with a fresh SQLite file, and wait
 * until GET /api/health says ready.
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'cityops-bench-'));
  const clientDir = join(dir, 'no-client');
  mkdirSync(clientDir);
  const port = await freePort();
  const mqttPort = await freePort();
  // The bench reads the catalog and stats and connects dashboards as the administrator.
  const adminPassword = options.adminPassword ?? testPassword();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    MQTT_PORT: String(mqttPort),
    HOST: '127.0.0.1',
    MQTT_HOST: '127.0.0.1',
    DATABASE_FILE: join(dir, 'cityops.db'),
    LOG_LEVEL: 'warn',
    DEMO_FEED: 'false',
    CLIENT_DIR: clientDir,
    ADMIN_INITIAL_PASSWORD: adminPassword,
    ...options.env,
  };
  // tsx hands Node flags given before the script to the Node process it runs (NODE_OPTIONS may not carry --cpu-prof).
  const nodeFlags = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  const tsx = join(options.repoRoot, 'node_modules', '.bin', 'tsx');
  const child = spawn(tsx, [...nodeFlags, 'server/src/main.ts'], {
    cwd: options.repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, child, () => log);
    const token = await signIn(url, 'admin', adminPassword);
    registerToken(url, token);
    await issueTestGateway(url, `mqtt://127.0.0.1:${mqttPort}`, token);
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const pid = serverPid(child);

  let stopping: Promise<void> | null = null;
  return {
    url,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    pid,
    output: () => log,
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode === null) {
          // tsx relays SIGTERM to the server, which closes gracefully (and writes a CPU profile if asked).
          child.kill('SIGTERM');
          const timer = setTimeout(() => {
            killQuietly(pid);
            child.kill('SIGKILL');
          }, 20_000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

async function waitReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the server exited with code ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(`${url}/api/health`);
      const body = (await res.json()) as { ready?: boolean };
      if (res.ok && body.ready) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`the server was not ready within 60 s:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `tsx` runs the script in a child Node process: find it (the process whose parent is the tsx wrapper). */
function serverPid(wrapper: ChildProcess): number {
  const wrapperPid = wrapper.pid;
  if (wrapperPid === undefined) throw new Error('the server process has no pid');
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.ppid === wrapperPid) return Number(entry);
  }
  // Not wrapped (e.g. a tsx that runs in-process): the child is the server.
  return wrapperPid;
}
