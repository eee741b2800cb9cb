import { mulberry32 } from '../../simulators/src/noise';
import { distribution, Samples, type Distribution } from './stats';

export interface PacingPlan {
  /** Readings offered per second. */
  ratePerSec: number;
  /** Readings per message (a gateway batch, an HTTP body, or 1). */
  perMessage: number;
  durationMs: number;
  /** Seed of the phases: the same plan and seed give the same schedule. */
  seed: number;
}

/**
 * When each message of an open-loop load is due, ms from its start. The load offers exactly
 * ⌊rate × duration ÷ perMessage⌋ messages; message i is due at (i + uᵢ) × gap, gap = perMessage ÷
 * rate, uᵢ uniform in [0, 1). One message per slot keeps the count and the mean rate exact, and
 * the random phase inside each slot keeps a slow load (2 batches a second at 1,000 readings/s)
 * from locking onto the server's 100 ms push timer, which would bias every latency by a constant.
 */
export function pacingSchedule(plan: PacingPlan): Float64Array {
  const { ratePerSec, perMessage, durationMs } = plan;
  if (!(ratePerSec > 0) || !(perMessage >= 1) || !(durationMs > 0)) {
    throw new Error(
      `a paced load needs a positive rate, message size and duration, got ${JSON.stringify(plan)}`,
    );
  }
  const count = Math.floor((ratePerSec * durationMs) / 1000 / perMessage);
  const gapMs = (1000 * perMessage) / ratePerSec;
  const random = mulberry32(plan.seed);
  const due = new Float64Array(count);
  for (let i = 0; i < count; i++) due[i] = (i + random()) * gapMs;
  return due;
}

/**
 * The lane (connection) to send on: the first with room in its window, looking from `from` on
 * in turn; −1 when every lane has `window` messages unacknowledged.
 */
export function pickLane(inFlight: ArrayLike<number>, window: number, from: number): number {
  for (let k = 0; k < inFlight.length; k++) {
    const lane = (from + k) % inFlight.length;
    if (inFlight[lane]! < window) return lane;
  }
  return -1;
}

/** Send one message on a lane; resolves with the readings acknowledged, rejects when it failed. */
export type SendMessage = (lane: number, index: number) => Promise<number>;

export interface LoadOutcome {
  /** Messages handed to a connection. */
  sent: number;
  /** Messages due while every lane's window was full: offered but never sent (open loop only). */
  skipped: number;
  acked: number;
  failed: number;
  /** Messages still unacknowledged when the bench stopped waiting (`stallMs` after the end). */
  unfinished: number;
  /** Readings in the acknowledged messages. */
  readingsAcked: number;
  /** From the start to the last acknowledgement (at least the planned duration), ms. */
  elapsedMs: number;
  /** How late each message left after its due time (the bench's own lag), ms. Open loop only. */
  lateMs: Distribution;
  firstFailure: string | null;
}

export interface PacedLoad {
  /** Due times, ms from the start (`pacingSchedule`). */
  schedule: Float64Array;
  /** Connections the messages are spread over. */
  lanes: number;
  /** Most unacknowledged messages per lane. */
  window: number;
  send: SendMessage;
  /** Called once when the last message is due (before waiting for the last acknowledgements). */
  onScheduleEnd?: () => void;
  /** How long after the end to wait for acknowledgements, ms. */
  stallMs?: number;
  /** The planned duration (the elapsed time is never shorter), ms. */
  durationMs: number;
}

function outcome(): LoadOutcome {
  return {
    sent: 0,
    skipped: 0,
    acked: 0,
    failed: 0,
    unfinished: 0,
    readingsAcked: 0,
    elapsedMs: 0,
    lateMs: distribution([]),
    firstFailure: null,
  };
}

/**
 * Open loop: every message leaves at its due time whatever the acknowledgements do, as devices
 * report on their own clocks. Each lane keeps at most `window` messages unacknowledged (a device's
 * buffer); a message due while all are full is skipped and counted, so the shortfall shows.
 */
/**
 * Send message `index` on `lane` and count it in `result` (sent, then acknowledged with its
 * readings, or failed with the first failure's message); `done` is told which, once.
 */
function sendCounted(
  send: SendMessage,
  lane: number,
  index: number,
  result: LoadOutcome,
  done: (ok: boolean) => void,
): void {
  result.sent += 1;
  let sending: Promise<number>;
  try {
    sending = send(lane, index);
  } catch (err) {
    sending = Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  sending.then(
    (readings) => {
      result.acked += 1;
      result.readingsAcked += readings;
      done(true);
    },
    (err: unknown) => {
      result.failed += 1;
      result.firstFailure ??= err instanceof Error ? err.message : String(err);
      done(false);
    },
  );
}

export function runPaced(load: PacedLoad): Promise<LoadOutcome> {
  const result = outcome();
  const inFlight = new Int32Array(load.lanes);
  const late = new Samples();
  const n = load.schedule.length;
  const started = performance.now();
  let lastAck = started;
  let next = 0;
  let nextLane = 0;
  let pending = 0;
  return new Promise((resolve) => {
    let stallTimer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(stallTimer);
      result.unfinished = pending;
      result.elapsedMs = Math.max(load.durationMs, lastAck - started);
      result.lateMs = distribution(late.toArray());
      resolve(result);
    };
    const settle = (lane: number) => {
      inFlight[lane]! -= 1;
      pending -= 1;
      lastAck = performance.now();
      if (next >= n && pending === 0) finish();
    };
    const tick = () => {
      const now = performance.now() - started;
      while (next < n && load.schedule[next]! <= now) {
        const lane = pickLane(inFlight, load.window, nextLane);
        if (lane < 0) {
          result.skipped += 1;
          next += 1;
          continue;
        }
        nextLane = (lane + 1) % load.lanes;
        late.push(now - load.schedule[next]!);
        inFlight[lane]! += 1;
        pending += 1;
        sendCounted(load.send, lane, next, result, () => settle(lane));
        next += 1;
      }
      if (next < n) {
        setTimeout(tick, Math.max(0, load.schedule[next]! - (performance.now() - started)));
        return;
      }
      load.onScheduleEnd?.();
      if (pending === 0) finish();
      else stallTimer = setTimeout(finish, load.stallMs ?? 30_000);
    };
    tick();
  });
}

export interface ClosedLoad {
  lanes: number;
  /** Unacknowledged messages per lane: a new one leaves only when one is acknowledged. */
  window: number;
  durationMs: number;
  send: SendMessage;
  stallMs?: number;
}

/**
 * Closed loop (the maximum): each lane keeps `window` messages in flight and sends the next one
 * when one is acknowledged, for `durationMs`; the rate is what the receiving side sustains.
 */
export function runClosedLoop(load: ClosedLoad): Promise<LoadOutcome> {
  const result = outcome();
  const started = performance.now();
  const deadline = started + load.durationMs;
  let lastAck = started;
  let pending = 0;
  let index = 0;
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(stallTimer);
      result.unfinished = pending;
      result.elapsedMs = lastAck - started;
      resolve(result);
    };
    // Settlements run later than this line (promise callbacks), so `finish` never sees it unset.
    const stallTimer = setTimeout(finish, load.durationMs + (load.stallMs ?? 30_000));
    const send = (lane: number) => {
      pending += 1;
      sendCounted(load.send, lane, index++, result, (ok) => after(lane, ok));
    };
    const after = (lane: number, ok: boolean) => {
      pending -= 1;
      lastAck = performance.now();
      if (ok && lastAck < deadline) send(lane);
      else if (pending === 0) finish();
    };
    for (let lane = 0; lane < load.lanes; lane++) for (let k = 0; k < load.window; k++) send(lane);
  });
}
