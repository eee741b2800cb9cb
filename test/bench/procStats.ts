import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface StatFields {
  ppid: number;
  /** User + system CPU time, clock ticks. */
  ticks: number;
}

export function readStat(pid: number, tid = pid): StatFields | null {
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
  /** CPU seconds of this (the load-generating) process. */
  benchCpuSec: number;
  /** CPU seconds all cores of the machine spent busy (not idle, not waiting for I/O), from /proc/stat. */
  machineBusySec: number;
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

/** Resident memory of a process now, MB (VmRSS of /proc/<pid>/status). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

export function sampleProc(pid: number): ProcSample {
  const hz = ticksPerSec();

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
  const bench = process.cpuUsage();
  return {
    at: performance.now(),
    rssMb: rssMb(pid),
    cpuSec: (Number(fields[11]) + Number(fields[12])) / hz,
    mainCpuSec,
    threads,
    benchCpuSec: (bench.user + bench.system) / 1e6,
    machineBusySec: machineBusyTicks() / hz,
  };
}

/** Busy ticks of all cores since boot: the first line of /proc/stat minus idle and iowait. */
function machineBusyTicks(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return total - (cpu[3] ?? 0) - (cpu[4] ?? 0);
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
  /** The bench process itself (load generator and clients), % of one core. */
  benchPct: number;
  /** Everything else on the machine, % of one core: other processes competing for the cores. */
  othersPct: number;
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
    benchPct: pct(after.benchCpuSec - before.benchCpuSec),
    othersPct: Math.max(
      0,
      pct(
        after.machineBusySec -
          before.machineBusySec -
          (after.cpuSec - before.cpuSec) -
          (after.benchCpuSec - before.benchCpuSec),
      ),
    ),
  };
}
