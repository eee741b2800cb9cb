/** Order statistics of a sample of numbers (latencies in ms, probe round trips). */
export interface Distribution {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function distribution(samples: ArrayLike<number>): Distribution {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
  };
}

/** A growable sample of numbers kept in typed-array chunks (hundreds of thousands of latencies without boxing). */
export class Samples {
  private chunks: Float64Array[] = [];
  private current = new Float64Array(65_536);
  private used = 0;

  push(v: number): void {
    if (this.used === this.current.length) {
      this.chunks.push(this.current);
      this.current = new Float64Array(65_536);
      this.used = 0;
    }
    this.current[this.used++] = v;
  }

  get length(): number {
    return this.chunks.length * 65_536 + this.used;
  }

  toArray(): Float64Array {
    const out = new Float64Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    out.set(this.current.subarray(0, this.used), offset);
    return out;
  }
}
