/**
 * The phone rings for a new task: a short two-tone beep (WebAudio) and a vibration. Both are
 * best effort: browsers without them, or that block sound before the first tap, stay silent.
 */

/** Vibration pattern: on, off, on (ms). */
export const RING_VIBRATION = [200, 100, 200];

type AudioContextCtor = new () => AudioContext;

let audio: AudioContext | null = null;

function audioContext(): AudioContext | null {
  if (typeof window === 'undefined') return null;
  const Ctor =
    window.AudioContext ??
    (window as unknown as { webkitAudioContext?: AudioContextCtor }).webkitAudioContext;
  if (!Ctor) return null;
  // One context for the page: browsers cap how many may exist.
  audio ??= new Ctor();
  return audio;
}

function beep(): void {
  const ctx = audioContext();
  if (!ctx) return;
  // Suspended until the page has seen a tap (autoplay policy); resuming may be refused.
  if (ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
  const gain = ctx.createGain();
  gain.gain.value = 0.25;
  gain.connect(ctx.destination);
  [880, 1320].forEach((hz, i) => {
    const osc = ctx.createOscillator();
    osc.frequency.value = hz;
    osc.connect(gain);
    const start = ctx.currentTime + i * 0.18;
    osc.start(start);
    osc.stop(start + 0.14);
  });
}

/** Beep and vibrate; never throws. */
export function ring(): void {
  try {
    beep();
  } catch {
    // No sound is no reason to lose the task.
  }
  try {
    if (typeof navigator !== 'undefined') navigator.vibrate?.(RING_VIBRATION);
  } catch {
    // Vibration refused (no user gesture yet); the beep and the list still show the task.
  }
}
