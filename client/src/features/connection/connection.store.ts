import { defineStore } from 'pinia';
import { ref } from 'vue';

/**
 * Socket state as the wall shows it. `connecting` is the first attempt only;
 * after a loss it is `reconnecting` while the client retries on its own, and
 * `disconnected` when it will not (closed by the server or by us).
 */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

/** State of the live socket connection. */
export const useConnectionStore = defineStore('connection', () => {
  /** Current state. */
  const status = ref<ConnectionStatus>('connecting');
  /** When the state last changed, browser clock, epoch ms. */
  const since = ref(Date.now());
  /** Reconnection attempt number while reconnecting (1-based); 0 otherwise. */
  const attempt = ref(0);
  /** True when the last connect resumed the previous session (missed alerts replayed, no snapshot). */
  const recovered = ref(false);
  /** Why the connection was last lost or refused, as Socket.IO words it; null while connected. */
  const lastReason = ref<string | null>(null);

  function set(next: ConnectionStatus): void {
    if (status.value !== next) since.value = Date.now();
    status.value = next;
  }

  function markConnected(wasRecovered: boolean): void {
    set('connected');
    attempt.value = 0;
    recovered.value = wasRecovered;
    lastReason.value = null;
  }

  /** The connection is down and the client is retrying; `reason` is kept for the tooltip. */
  function markReconnecting(reason?: string, attemptNo?: number): void {
    set(status.value === 'connecting' ? 'connecting' : 'reconnecting');
    if (attemptNo !== undefined) attempt.value = attemptNo;
    if (reason !== undefined) lastReason.value = reason;
  }

  function markDisconnected(reason: string): void {
    set('disconnected');
    lastReason.value = reason;
  }

  /** Back to the state before the first connect (on sign-out: the next connect is a first one again). */
  function reset(): void {
    set('connecting');
    attempt.value = 0;
    recovered.value = false;
    lastReason.value = null;
  }

  return {
    status,
    since,
    attempt,
    recovered,
    lastReason,
    markConnected,
    markReconnecting,
    markDisconnected,
    reset,
  };
});
