/**
 * Drives the alert halos' pulse: a requestAnimationFrame loop (so it stops by itself in a hidden
 * tab) that calls `tick` at most `hz` times a second. Each tick redraws the rings on the overlay
 * canvas (./pulseOverlay.ts); at 4 Hz that is 4 cheap 2-D frames a second, not 60.
 */
export interface PulseLoop {
  start(): void;
  stop(): void;
  readonly running: boolean;
}

export interface PulseLoopOptions {
  /** Ticks per second at most. */
  hz?: number;
  requestFrame?: (cb: (t: number) => void) => number;
  cancelFrame?: (handle: number) => void;
}

/** Alert halos change at most this often, Hz. */
export const PULSE_HZ = 4;

export function createPulseLoop(tick: (tMs: number) => void, options: PulseLoopOptions = {}): PulseLoop {
  const minGapMs = 1000 / (options.hz ?? PULSE_HZ);
  const requestFrame = options.requestFrame ?? ((cb) => requestAnimationFrame(cb));
  const cancelFrame = options.cancelFrame ?? ((h) => cancelAnimationFrame(h));
  let handle: number | null = null;
  let lastTick = -Infinity;

  function frame(t: number): void {
    // A frame a little early still counts (frames land every ~16.7 ms, not on the 250 ms mark).
    if (t - lastTick >= minGapMs - 8) {
      lastTick = t;
      tick(t);
    }
    handle = requestFrame(frame);
  }

  return {
    start() {
      if (handle !== null) return;
      lastTick = -Infinity;
      handle = requestFrame(frame);
    },
    stop() {
      if (handle !== null) cancelFrame(handle);
      handle = null;
    },
    get running() {
      return handle !== null;
    },
  };
}
