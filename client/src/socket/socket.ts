import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@shared/socket';

/** The typed live socket. */
export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let socket: LiveSocket | null = null;

/**
 * The one live socket of the page, to the same origin. It is created without
 * connecting so that every handler is bound before the server's first
 * `snapshot` can arrive; `main.ts` connects it.
 */
export function liveSocket(): LiveSocket {
  socket ??= io({ transports: ['websocket'], autoConnect: false });
  return socket;
}
