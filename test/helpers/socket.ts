import { io as connectSocket, type Socket } from 'socket.io-client';
import type { Scope, Snapshot } from '../../shared/schemas/live.schema';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/socket';
import { tokenFor } from './auth';

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Connect a socket.io client following `scope`; resolves with the socket and its first snapshot. */
export async function connectClient(
  url: string,
  scope?: Scope,
  options: { reconnection?: boolean; token?: string } = {},
): Promise<{ socket: TestSocket; snapshot: Snapshot }> {
  // The server's admin token unless the test brings its own (see test/helpers/auth.ts).
  const token = options.token ?? tokenFor(url);
  const socket: TestSocket = connectSocket(url, {
    transports: ['websocket'],
    reconnection: options.reconnection ?? false,
    forceNew: true,
    auth: { ...(scope ? { scope } : {}), ...(token ? { token } : {}) },
  });
  const snapshot = await new Promise<Snapshot>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no snapshot within 10 s')), 10_000);
    socket.once('snapshot', (s) => {
      clearTimeout(timer);
      resolve(s);
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  return { socket, snapshot };
}
