import type { Scope, Snapshot } from '@shared/schemas/live.schema';
import type { Ack } from '@shared/socket';
import { liveSocket } from './socket';

/** How long a command waits for its acknowledgement before it counts as failed, ms. */
export const ACK_TIMEOUT_MS = 10_000;

/**
 * Ask the server to follow `scope`. Resolves with the ack; a timeout or a lost
 * connection comes back as an `unavailable` error rather than a rejection.
 */
export async function requestScope(scope: Scope): Promise<Ack<Snapshot>> {
  try {
    return await liveSocket().timeout(ACK_TIMEOUT_MS).emitWithAck('scope:set', scope);
  } catch (err) {
    return {
      ok: false,
      error: { code: 'unavailable', message: err instanceof Error ? err.message : String(err) },
    };
  }
}
