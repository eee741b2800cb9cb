import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { EventLoopLag } from '@shared/schemas/ingest.schema';

/** Lags are recorded in µs; a histogram holds 1 µs … 10 min at 3 significant figures. */
const histogram = (): RecordableHistogram => createHistogram({ lowest: 1, highest: 600e6, figures: 3 });

/**
 * Timer lateness samples kept per whole second for a trailing window. Separate from the timer
 * so that it can be fed known samples on a clock of the caller's choosing.
 */
export class LagWindow {
  /** Second (floor of the clock in s) → the samples recorded in it. */
  private readonly seconds = new Map<number, RecordableHistogram>();

  constructor(readonly windowSec: number) {
    if (!Number.isInteger(windowSec) || windowSec < 1) {
      throw new Error(`the lag window must be a whole number of seconds ≥ 1, got ${windowSec}`);
    }
  }

  /** Record a lag of `lagMs` observed at `atMs` (same clock as `snapshot`). */
  record(atMs: number, lagMs: number): void {
    const second = Math.floor(atMs / 1000);
    let h = this.seconds.get(second);
    if (!h) {
      this.seconds.set(second, (h = histogram()));
      for (const s of this.seconds.keys()) if (s <= second - this.windowSec) this.seconds.delete(s);
    }
    h.record(Math.max(1, Math.round(lagMs * 1000)));
  }

  /** Lag over the seconds (atMs − windowSec, atMs]: the current second and the `windowSec − 1` before it. */
  snapshot(atMs: number): EventLoopLag {
    const now = Math.floor(atMs / 1000);
    const merged = histogram();
    for (const [second, h] of this.seconds) if (second > now - this.windowSec && second <= now) merged.add(h);
    const ms = (us: number) => (merged.count > 0 ? Math.round(us) / 1000 : 0);
    return {
      windowSec: this.windowSec,
      samples: merged.count,
      p50Ms: ms(merged.percentile(50)),
      p99Ms: ms(merged.percentile(99)),
      maxMs: ms(merged.max),
      meanMs: ms(merged.mean),
    };
  }
}

export interface EventLoopLagOptions {
  /** The timer's period, ms: its lateness is one sample. */
  sampleMs?: number;
  /** Trailing window of `snapshot()`, s. */
  windowSec?: number;
}

/**
 * Event-loop lag of this process: a timer due every `sampleMs` records how late it fired, i.e.
 * how long the loop was busy with something else (a long task, GC, a burst of I/O). This is what
 * `perf_hooks.monitorEventLoopDelay` samples too; we sample ourselves because its histogram cannot
 * be merged with others (`RecordableHistogram.add` refuses it), and a trailing window needs
 * per-second histograms merged at read time. The timer is unref'd: it never keeps the process up.
 */
export class EventLoopLagMonitor {
  private readonly window: LagWindow;
  private readonly sampleMs: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(options: EventLoopLagOptions = {}) {
    this.sampleMs = options.sampleMs ?? 10;
    this.window = new LagWindow(options.windowSec ?? 10);
  }

  start(): void {
    if (this.timer) return;
    let due = performance.now() + this.sampleMs;
    const fire = () => {
      const now = performance.now();
      this.window.record(now, Math.max(0, now - due));
      due = now + this.sampleMs;
      this.timer = setTimeout(fire, this.sampleMs).unref();
    };
    this.timer = setTimeout(fire, this.sampleMs).unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Lag percentiles over the last `windowSec` seconds. */
  snapshot(): EventLoopLag {
    return this.window.snapshot(performance.now());
  }
}
