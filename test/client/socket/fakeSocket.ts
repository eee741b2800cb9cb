import type { LiveSocket } from '../../../client/src/socket/socket';

type Listener = (...args: never[]) => void;

/** Just enough of a Socket.IO client socket to drive the bindings by hand. */
export class FakeSocket {
  recovered = false;
  /** Like Socket.IO's: true from `connect()` until the client gives up or `disconnect()` is called. */
  active = false;
  connected = false;
  readonly listeners = new Map<string, Set<Listener>>();
  readonly managerListeners = new Map<string, Set<Listener>>();
  readonly connect = (): void => {
    this.connectCalls += 1;
    this.active = true;
  };
  connectCalls = 0;
  readonly disconnect = (): void => {
    this.disconnectCalls += 1;
    const wasConnected = this.connected;
    this.active = false;
    this.connected = false;
    if (wasConnected) this.fire('disconnect', 'io client disconnect');
  };
  disconnectCalls = 0;

  /** The server accepts the handshake. */
  accept(): void {
    this.connected = true;
    this.fire('connect');
  }
  /** The server's middleware refuses the handshake; Socket.IO does not retry that on its own. */
  refuse(message: string): void {
    this.active = false;
    this.fire('connect_error', new Error(message));
  }
  /** The server closes the connection (as it does on revoking the session); Socket.IO does not retry. */
  closeByServer(): void {
    this.active = false;
    this.connected = false;
    this.fire('disconnect', 'io server disconnect');
  }

  on(event: string, fn: Listener): this {
    add(this.listeners, event, fn);
    return this;
  }
  off(event: string, fn: Listener): this {
    this.listeners.get(event)?.delete(fn);
    return this;
  }
  readonly io = {
    on: (event: string, fn: Listener) => add(this.managerListeners, event, fn),
    off: (event: string, fn: Listener) => this.managerListeners.get(event)?.delete(fn),
  };

  /** Deliver an event as the server (or Socket.IO itself) would. */
  fire(event: string, ...args: unknown[]): void {
    for (const fn of this.listeners.get(event) ?? []) (fn as (...a: unknown[]) => void)(...args);
  }
  fireManager(event: string, ...args: unknown[]): void {
    for (const fn of this.managerListeners.get(event) ?? []) (fn as (...a: unknown[]) => void)(...args);
  }
  listenerCount(): number {
    let n = 0;
    for (const set of [...this.listeners.values(), ...this.managerListeners.values()]) n += set.size;
    return n;
  }
  asLiveSocket(): LiveSocket {
    return this as unknown as LiveSocket;
  }
}

function add(map: Map<string, Set<Listener>>, event: string, fn: Listener): void {
  let set = map.get(event);
  if (!set) map.set(event, (set = new Set()));
  set.add(fn);
}
