import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
    ...options.env,
  };
  if (options.cpuProfDir) {
    env['NODE_OPTIONS'] = `${env['NODE_OPTIONS'] ?? ''} --cpu-prof --cpu-prof-dir=${options.cpuProfDir}`.trim();
  }
  const tsx = join(options.repoRoot, 'node_modules', '.bin', 'tsx');
  const child = spawn(tsx, ['server/src/main.ts'], { cwd: options.repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}:\n${output()}`);
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

interface StatFields {
  ppid: number;
  /** User + system CPU time, clock ticks. */
  ticks: number;
}

function readStat(pid: number, tid = pid): StatFields | null {
  try {
    const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: split after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // Fields after the name start at field 3 (state); ppid is field 4, utime 14, stime 15.
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

/** The process's and each thread's CPU time at an instant, and its resident memory. */
export interface ProcSample {
  /** performance.now() of the sample, ms. */
  at: number;
  rssMb: number;
  /** CPU seconds (user + system) of the whole process, every thread included. */
  cpuSec: number;
  /** CPU seconds of the main thread (the event loop). */
  mainCpuSec: number;
  /** CPU seconds per other thread (writer worker, GC helpers, libuv pool), by thread id. */
  threads: Map<number, number>;
}

let clockTicks: number | null = null;
function ticksPerSec(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export function sampleProc(pid: number): ProcSample {
  const hz = ticksPerSec();
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  const all = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = all.slice(all.lastIndexOf(')') + 2).split(' ');
  const threads = new Map<number, number>();
  let mainCpuSec = 0;
  for (const entry of readdirSync(`/proc/${pid}/task`)) {
    const tid = Number(entry);
    const s = readStat(pid, tid);
    if (!s) continue;
    if (tid === pid) mainCpuSec = s.ticks / hz;
    else threads.set(tid, s.ticks / hz);
  }
  return {
    at: performance.now(),
    rssMb: rssKb / 1024,
    cpuSec: (Number(fields[11]) + Number(fields[12])) / hz,
    mainCpuSec,
    threads,
  };
}

/** Server resources spent between two samples. CPU shares are of one core (200 % = both cores of a 2-core box). */
export interface ProcDelta {
  wallSec: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  cpuSec: number;
  /** Whole process, % of one core. */
  cpuPct: number;
  /** Event-loop thread, % of one core (100 % means the loop never idled). */
  mainPct: number;
  /** Busiest other thread, % of one core: under ingest load this is the SQLite writer. */
  busiestOtherPct: number;
}

export function procDelta(before: ProcSample, after: ProcSample): ProcDelta {
  const wallSec = (after.at - before.at) / 1000;
  let busiest = 0;
  for (const [tid, sec] of after.threads) busiest = Math.max(busiest, sec - (before.threads.get(tid) ?? 0));
  const pct = (sec: number) => (wallSec > 0 ? (100 * sec) / wallSec : 0);
  return {
    wallSec,
    rssBeforeMb: before.rssMb,
    rssAfterMb: after.rssMb,
    cpuSec: after.cpuSec - before.cpuSec,
    cpuPct: pct(after.cpuSec - before.cpuSec),
    mainPct: pct(after.mainCpuSec - before.mainCpuSec),
    busiestOtherPct: pct(busiest),
  };
}
