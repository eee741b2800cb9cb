/**
 * Token buckets per key (a device credential or a client address): `ratePerSec`
 * tokens a second up to `burst`; each request takes one. O(1) per request;
 * idle keys are pruned.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly clock: () => number,
  ) {}

  /** Take a token; returns 0 when granted, else ms until one is available. */
  take(key: string): number {
    const now = this.clock();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerSec);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      if (this.buckets.size > 10_000) this.prune(now);
      return 0;
    }
    return Math.ceil(((1 - b.tokens) / this.ratePerSec) * 1000);
  }

  private prune(now: number): void {
    const full = (this.burst / this.ratePerSec) * 1000;
    for (const [key, b] of this.buckets) if (now - b.at > full) this.buckets.delete(key);
  }
}
