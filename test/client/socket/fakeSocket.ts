import type { LiveSocket } from '../../../client/src/socket/socket';

type Listener = (...args: never[]) => void;

/** Just enough of a Socket.IO client socket to drive the bindings by hand. */
export class FakeSocket {
  recovered = false;
  active = true;
  connected = false;
  readonly listeners = new Map<string, Set<Listener>>();
  readonly managerListeners = new Map<string, Set<Listener>>();
  readonly connect = (): void => {
    this.connectCalls += 1;
  };
  connectCalls = 0;

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
