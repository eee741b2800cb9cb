import type { Reading } from '@shared/schemas/reading.schema';
import { StoreWriteError, type ReadingStoreStats, type WriteOutcome } from '../services/ports';

interface Segment {
  readings: readonly Reading[];
  resolve: (o: WriteOutcome) => void;
  reject: (e: Error) => void;
}

/** A failed commit as a store reports it (SQLite's or PostgreSQL's error code). */
export class CommitError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CommitError';
  }
}

export interface WriteBatcherOptions {
  /** Longest wait before queued readings are committed, ms. */
  flushMs: number;
  /** Commit at once when this many readings are queued. */
  maxBatch: number;
  onLog?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * Group commit of readings, the same for every store: writes queue up and go to `commit` in
 * one batch (at most one batch in flight; what arrives meanwhile forms the next one), so a
 * producer's acknowledgement waits for a commit but no producer waits for another's round trip.
 * `commit` resolves with one flag per reading (1: inserted, 0: a stored duplicate) or rejects
 * with a CommitError; the batch's writers are told which.
 */
export class WriteBatcher {
  private pending: Segment[] = [];
  private pendingCount = 0;
  private inFlightCount = 0;
  private busy = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly stat: Omit<ReadingStoreStats, 'queued'> = {
    queuedPeak: 0,
    written: 0,
    duplicates: 0,
    flushes: 0,
    lastFlushMs: 0,
    failures: 0,
    failing: null,
  };

  constructor(
    private readonly commit: (readings: Reading[]) => Promise<ArrayLike<number>>,
    private readonly options: WriteBatcherOptions,
  ) {}

  write(readings: readonly Reading[]): Promise<WriteOutcome> {
    if (this.closed) return Promise.reject(new StoreWriteError('CLOSING', 'the store is shutting down'));
    if (readings.length === 0) return Promise.resolve({ inserted: [], duplicates: 0 });
    return new Promise<WriteOutcome>((resolve, reject) => {
      this.pending.push({ readings, resolve, reject });
      this.pendingCount += readings.length;
      if (this.queued > this.stat.queuedPeak) this.stat.queuedPeak = this.queued;
      if (this.pendingCount >= this.options.maxBatch) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.options.flushMs);
    });
  }

  /** Readings accepted and not yet committed. */
  get queued(): number {
    return this.pendingCount + this.inFlightCount;
  }

  stats(): ReadingStoreStats {
    const failing = this.stat.failing ? { ...this.stat.failing } : null;
    return { ...this.stat, failing, queued: this.queued };
  }

  /**
   * Health of the writes for /api/health once the store answered a probe: failing since when
   * and why, or `<label> ok` with what is queued.
   */
  health(label: string, closing: boolean): { ok: boolean; detail: string } {
    const { queued, failing: f } = this.stats();
    if (closing) return { ok: false, detail: 'closing' };
    if (f) {
      const since = new Date(f.since).toISOString();
      return {
        ok: false,
        detail: `writes failing since ${since}: ${f.code} ${f.message} (${f.failures} batches, ${queued} queued)`,
      };
    }
    return { ok: true, detail: `${label} ok, ${queued} queued` };
  }

  /** Refuse new writes and resolve once every accepted one is committed or failed. */
  async drain(): Promise<void> {
    this.closed = true;
    while (this.pending.length > 0 || this.busy) {
      this.flush();
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.busy || this.pending.length === 0) return;
    const segments = this.pending;
    this.pending = [];
    this.inFlightCount = this.pendingCount;
    this.pendingCount = 0;
    this.busy = true;
    const readings: Reading[] = [];
    for (const s of segments) for (const r of s.readings) readings.push(r);
    const started = performance.now();
    this.commit(readings).then(
      (flags) => this.committed(segments, flags, performance.now() - started),
      (err: unknown) => this.failed(segments, err),
    );
  }

  private committed(segments: Segment[], flags: ArrayLike<number>, ms: number): void {
    this.busy = false;
    this.inFlightCount = 0;
    let offset = 0;
    for (const s of segments) {
      const inserted: Reading[] = [];
      for (let i = 0; i < s.readings.length; i++) if (flags[offset + i] === 1) inserted.push(s.readings[i]!);
      offset += s.readings.length;
      this.stat.written += inserted.length;
      this.stat.duplicates += s.readings.length - inserted.length;
      s.resolve({ inserted, duplicates: s.readings.length - inserted.length });
    }
    this.stat.flushes += 1;
    this.stat.lastFlushMs = ms;
    const failed = this.stat.failing;
    if (failed) {
      this.stat.failing = null;
      this.options.onLog?.(
        'warn',
        `writes recovered after ${failed.failures} failed batches since ${new Date(failed.since).toISOString()} (${failed.code})`,
      );
    }
    this.flush();
  }

  private failed(segments: Segment[], err: unknown): void {
    const code = err instanceof CommitError ? err.code : ((err as { code?: string }).code ?? 'WRITE_FAILED');
    const message = (err as Error).message;
    this.options.onLog?.('error', `write of ${this.inFlightCount} readings failed: ${code} ${message}`);
    this.busy = false;
    this.inFlightCount = 0;
    this.stat.failures += 1;
    const spell = this.stat.failing;
    this.stat.failing = {
      code,
      message,
      since: spell?.since ?? Date.now(),
      failures: (spell?.failures ?? 0) + 1,
    };
    for (const s of segments) s.reject(new StoreWriteError(code, message));
    this.flush();
  }
}
