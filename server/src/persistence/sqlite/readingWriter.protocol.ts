import type { Reading } from '@shared/schemas/reading.schema';

/** Settings the writer thread starts with (passed as workerData). */
export interface WriterSettings {
  file: string;
  synchronous: 'FULL' | 'NORMAL';
  /** Flush in-memory rollups of open buckets this often, ms. */
  rollupFlushMs: number;
  /** Run retention this often, ms (0 disables it). */
  retentionEveryMs: number;
  rawRetentionMs: number;
  rollup1mRetentionMs: number;
  rollup1hRetentionMs: number;
  /** How long a write waits for another connection's lock before failing with SQLITE_BUSY, ms. */
  busyTimeoutMs: number;
  /** Largest database the writer lets the file grow to, bytes (0: no cap); past it writes fail with SQLITE_FULL. */
  maxDatabaseBytes: number;
}

export type ToWriter =
  | { type: 'write'; id: number; receivedAt: number; readings: Reading[] }
  | { type: 'flushRollups'; id: number }
  | { type: 'close' };

export type FromWriter =
  | { type: 'ready'; recoveredFrom: number | null }
  | { type: 'written'; id: number; flags: Uint8Array; ms: number }
  | { type: 'failed'; id: number; code: string; message: string }
  | { type: 'rollupsFlushed'; id: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'closed' };
