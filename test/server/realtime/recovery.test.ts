import { afterEach, describe, expect, it } from 'vitest';
import type { ReadingInput } from '../../../shared/schemas/reading.schema';
import { postReadings } from '../../helpers/cityOpsApi';
import { recordLive } from '../../helpers/liveRecorder';
import {
  connectClient,
  startTestServer,
  waitFor,
  type TestServer,
  type TestSocket,
} from '../../helpers/server';

const DISTRICT = '330106';
/** Two traffic detectors of 西湖区. */
const [AWAY, MARKER] = ['TRF-0086', 'TRF-0088'];
/** The client reconnects by itself this long after a drop: inside a 5 s window, outside a 300 ms one. */
const RECONNECT_AFTER_MS = 1_500;

const reading = (sensorId: string, observedAt: number, speed: number): ReadingInput => ({
  sensorId,
  observedAt,
  values: { speed, volume: 900, occupancy: 0.3 },
});

/**
 * Socket.IO connection state recovery: after a transport drop the client
 * reconnects with its session id and last offset; within the window the
 * server restores the session (rooms, data) and the socket is `recovered`.
 */
describe('connection state recovery', () => {
  let server: TestServer | undefined;
  let socket: TestSocket | undefined;

  afterEach(async () => {
    socket?.disconnect();
    await server?.stop();
    server?.cleanup();
  });

  /**
   * Connect a district client that reconnects by itself RECONNECT_AFTER_MS
   * after a drop, drop its transport (what a network cut looks like), accept
   * a reading while it is away and resolve once it is connected again.
   */
  async function dropAndReconnect(recoveryWindowMs: number) {
    server = await startTestServer({ RECOVERY_WINDOW_MS: String(recoveryWindowMs) });
    const client = await connectClient(
      server.url,
      { kind: 'district', id: DISTRICT },
      { reconnection: true },
    );
    socket = client.socket;
    socket.io
      .reconnectionDelay(RECONNECT_AFTER_MS)
      .reconnectionDelayMax(RECONNECT_AFTER_MS)
      .randomizationFactor(0);
    const live = recordLive(socket);
    const away = reading(AWAY, Date.now() - 5_000, 17);

    let reconnected = false;
    const back = new Promise<void>((resolve) =>
      socket!.once('disconnect', () =>
        socket!.once('connect', () => {
          reconnected = true;
          resolve();
        }),
      ),
    );
    socket.io.engine.close();
    await waitFor(() => !socket!.connected, 5_000, 'the client to notice the drop');
    await postReadings(server.url, [away]);
    expect(reconnected, 'the reading was accepted while the client was away').toBe(false);
    await back;
    return { server, socket, live, away };
  }

  it('resumes a briefly dropped client with readings:resynced holding what it missed, without a new snapshot', async () => {
    const { server, socket, live, away } = await dropAndReconnect(5_000);

    expect(socket.recovered).toBe(true);
    const resync = await waitFor(() => live.resyncs[0], 5_000, 'readings:resynced');
    expect(resync.v).toBe('v1');
    expect(resync.latest).toContainEqual(away);

    // The restored session kept the district room: the next reading is pushed, and no snapshot came before it.
    const next = reading(MARKER, Date.now() - 1_000, 44);
    await postReadings(server.url, [next]);
    expect(await live.waitForReading(MARKER, next.observedAt as number)).toEqual(next);
    expect(live.snapshots).toHaveLength(0);
    expect(live.resyncs).toHaveLength(1);
  });

  it('sends a fresh snapshot to a client that comes back after the recovery window', async () => {
    const { socket, live, away } = await dropAndReconnect(300);

    expect(socket.recovered).toBe(false);
    const snapshot = await waitFor(() => live.snapshots[0], 5_000, 'a new snapshot');
    expect(snapshot.scope).toEqual({ kind: 'district', id: DISTRICT });
    expect(snapshot.latest).toContainEqual(away);
    expect(live.resyncs).toHaveLength(0);
  });
});
