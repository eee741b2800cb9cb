import { fork } from 'node:child_process';
import { join } from 'node:path';

/** The first `alert:raised` of a watched sensor at one client, on the wall clock (ms). */
export interface AlertReceipt {
  sensorId: string;
  client: number;
  ruleId: string;
  at: number;
  /** The alert's `updatedAt` as raised: the server's clock when it decided to raise it. */
  raisedAt: number;
}

/** What the dashboards saw since the last reset. */
export interface DashboardReport {
  /** Clients connected at the end. */
  clients: number;
  /** `readings:batch` pushes received, all clients together. */
  batches: number;
  /** Items timed (observed since the reset), all clients together. */
  items: number;
  /** Items observed before the reset (an earlier row's stragglers), not timed. */
  stale: number;
  /** Items that arrived more than 1 ms "before" they were sent: the two clocks disagree. */
  early: number;
  /** Send → arrival in a `readings:batch`, over every (item, client), ms. */
  screenMs: { count: number; p50: number; p99: number; max: number; mean: number };
  alerts: AlertReceipt[];
  /** `alert:raised` events that were not a watched breach's, all clients together. */
  otherAlerts: number;
  disconnects: number;
  /** The dashboards process's own event-loop lag: its receipts are late by up to this. */
  loopLagMs: { p99: number; max: number };
}

export type DashboardCommand = { id: number } & (
  | { type: 'connect'; url: string; token: string; clients: number }
  | { type: 'reset'; since: number; watch: Record<string, string[]> }
  | { type: 'report'; expectedAlerts: number; timeoutMs: number; settleMs: number }
  | { type: 'close' }
);

type Payload<T extends DashboardCommand['type']> = Omit<
  Extract<DashboardCommand, { type: T }>,
  'id' | 'type'
>;

export interface DashboardsProcess {
  pid: number;
  /** Connect clients (scope city) up to `clients`; resolves with how many are connected. */
  connect(p: Payload<'connect'>): Promise<number>;
  /**
   * Start a row: time items observed from `since` (wall-clock ms), and record the first alert of
   * each sensor of `watch` on one of its metrics (sensor id → the metrics its breach carries).
   */
  reset(p: Payload<'reset'>): Promise<void>;
  /** Wait for `expectedAlerts` receipts (or `timeoutMs`), then `settleMs` more, and report. */
  report(p: Payload<'report'>): Promise<DashboardReport>;
  close(): Promise<void>;
}

/** Start dashboards.ts as a child process (`node --import tsx`, with an IPC channel). */
export async function startDashboards(repoRoot: string): Promise<DashboardsProcess> {
  const child = fork(join(repoRoot, 'test', 'bench', 'dashboards.ts'), [], {
    cwd: repoRoot,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited = false;
  child.on('message', (raw) => {
    const m = raw as { id: number; ok: boolean; result?: unknown; error?: string };
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.result);
    else w.reject(new Error(`dashboards: ${m.error}`));
  });
  child.on('exit', (code) => {
    exited = true;
    for (const w of waiting.values())
      w.reject(new Error(`the dashboards process exited (${code}):\n${stderr}`));
    waiting.clear();
  });
  let ids = 0;
  const request = <T>(command: Omit<DashboardCommand, 'id'>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error(`the dashboards process has exited:\n${stderr}`));
      const id = ++ids;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ ...command, id });
    });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the dashboards process did not start:\n${stderr}`)),
      30_000,
    );
    waiting.set(0, {
      resolve: () => {
        clearTimeout(timer);
        resolve();
      },
      reject,
    });
  });
  return {
    pid: child.pid!,
    connect: (p) => request<number>({ type: 'connect', ...p }),
    reset: (p) => request<void>({ type: 'reset', ...p }),
    report: (p) => request<DashboardReport>({ type: 'report', ...p }),
    close: async () => {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await request<void>({ type: 'close' }).catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
