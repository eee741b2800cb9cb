import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { io as connectSocket } from 'socket.io-client';
import type { ReadingInput } from '../../shared/schemas/reading.schema';
import type { Snapshot, ReadingsBatch, LiveStats } from '../../shared/schemas/live.schema';
import type { Sensor } from '../../shared/schemas/sensor.schema';
import { readingsTopic } from '../../shared/version';
import { rawFetch, testGatewayTopic, tokenFor } from '../helpers/auth';
import { connectMqtt, uniqueClientId } from '../helpers/mqtt';
import type { TestSocket } from '../helpers/socket';
import { waitFor } from '../helpers/server';

/**
 * Shared parts of the fault tests (test/faults/*.test.ts): load generators that
 * remember exactly which readings were acknowledged, read-only checks of the
 * SQLite file, a private Mosquitto, and dashboards that reconnect on their own.
 *
 * `npm test` runs each scenario briefly; `npm run test:faults` sets FAULTS_LONG=1
 * (longer load, more producers and clients; throughput and gaps are printed, never
 * asserted). FAULTS_LOAD_SECONDS overrides the load time of either.
 */
export const LONG = process.env['FAULTS_LONG'] === '1';
/** How long each scenario keeps its load running, ms. */
export const LOAD_MS = Number(process.env['FAULTS_LOAD_SECONDS'] ?? (LONG ? 30 : 2)) * 1000;
/** A test's time limit: its fixed costs (server starts, checks) plus its share of load. */
export const testTimeout = (fixedMs: number, loadRuns = 1): number => fixedMs + loadRuns * LOAD_MS * 3;

const key = (sensorId: string, observedAt: number) => `${sensorId}@${observedAt}`;

/** Readings a producer saw acknowledged (PUBACK or HTTP 200): the platform owes us each of them. */
export class AckLedger {
  readonly keys = new Set<string>();
  add(readings: ReadonlyArray<{ sensorId: string; observedAt: ReadingInput['observedAt'] }>): void {
    for (const r of readings) this.keys.add(key(r.sensorId, r.observedAt as number));
  }
  get size(): number {
    return this.keys.size;
  }
}

/** Values of each sensor subtype that trip no default rule (upright manholes, dry roads, lamps on…). */
const QUIET_VALUES: Record<string, Record<string, number>> = {
  'aq-station': { pm25: 12, pm10: 25, o3: 40, no2: 15, so2: 5, co: 0.4 },
  'weather-station': { rainfall: 0, windSpeed: 2, windDir: 90, temperature: 20 },
  manhole: { tilt: 0.5, battery: 80 },
  waterlogging: { waterDepth: 0, battery: 80 },
  streetlight: { lampOn: 1, lampFault: 0 },
  feeder: { feederLoad: 50, feederOnline: 1 },
  smoke: { smoke: 0, temperature: 20, battery: 80 },
  'waste-bin': { fillLevel: 30, battery: 80 },
};

/**
 * Plausible readings of every sensor that trip no default rule: detectors near free flow and
 * the QUIET_VALUES of the others. Every (sensor, observedAt) is new: observation times start
 * `backMs` ago and advance a millisecond per reading of a sensor.
 */
export class QuietReadings {
  private readonly plans: Array<{ sensor: Sensor; next: number }>;
  private cursor = 0;

  constructor(sensors: readonly Sensor[], backMs = 50 * 60_000, now = Date.now()) {
    const usable = sensors.filter((s) => s.kind === 'traffic' || QUIET_VALUES[s.subtype] !== undefined);
    if (usable.length === 0) throw new Error('no sensors with known quiet values in the pack');
    this.plans = usable.map((sensor) => ({ sensor, next: now - backMs }));
  }

  get sensorIds(): string[] {
    return this.plans.map((p) => p.sensor.id);
  }

  /** One metric every reading of the sensor carries, per sensor (to compare rollups with raw rows). */
  get firstMetrics(): Record<string, string> {
    return Object.fromEntries(
      this.plans.map(({ sensor }) => [
        sensor.id,
        sensor.kind === 'traffic' ? 'speed' : Object.keys(QUIET_VALUES[sensor.subtype]!)[0]!,
      ]),
    );
  }

  next(): ReadingInput {
    const plan = this.plans[this.cursor]!;
    this.cursor = (this.cursor + 1) % this.plans.length;
    const { sensor } = plan;
    const observedAt = plan.next++;
    if (sensor.kind === 'traffic') {
      const free = sensor.road?.freeFlowKmh ?? 60;
      return {
        sensorId: sensor.id,
        observedAt,
        values: { speed: Math.round(free * 9.5) / 10, volume: 600, occupancy: 0.1 },
      };
    }
    return { sensorId: sensor.id, observedAt, values: { ...QUIET_VALUES[sensor.subtype]! } };
  }

  take(n: number): ReadingInput[] {
    return Array.from({ length: n }, () => this.next());
  }
}

export interface Producer {
  /** Stop producing and wait for the loop to end (in-flight requests are abandoned). */
  stop(): Promise<void>;
  /**
   * Publishes or requests sent; of those acknowledged, and failed (a loop ended, or for a
   * reconnecting publisher a publish was dropped); refused: HTTP 503s, or MQTT connections
   * closed on a reconnecting publisher.
   */
  counts(): { sent: number; acked: number; refused: number; failed: number };
  /** Why loops ended (the last few errors), for failure messages. */
  errors(): string[];
}

/**
 * QoS 1 publishers on the embedded broker: `clients` connections, each keeping `window`
 * publishes in flight; half send gateway batches of `batch` readings, half single readings
 * on the sensor's own topic. A PUBACK puts the message's readings in the ledger.
 *
 * Without `reconnect`, an error (the server died) ends that connection's loop. With it, the
 * clients keep a persistent session and reconnect by themselves, resending what was not
 * acknowledged, as a device would; `stop()` then waits for every publish to be acknowledged.
 */
export async function mqttProducers(
  mqttUrl: string,
  readings: QuietReadings,
  ledger: AckLedger,
  options: { clients: number; window?: number; batch?: number; reconnect?: boolean },
): Promise<Producer> {
  const window = options.window ?? 8;
  const batch = options.batch ?? 50;
  const reconnect = options.reconnect ?? false;
  const counts = { sent: 0, acked: 0, refused: 0, failed: 0 };
  const errors: string[] = [];
  let stopped = false;
  const gatewayTopic = testGatewayTopic(mqttUrl);
  const clients: MqttClient[] = [];
  for (let i = 0; i < options.clients; i++) {
    const c = await connectMqtt(
      mqttUrl,
      reconnect ? { clientId: uniqueClientId('fault-device'), clean: false, reconnectPeriod: 300 } : {},
    );
    // The connection dies with the server or is refused: that is the scenario, not a test failure.
    c.on('error', () => {});
    if (reconnect) c.on('close', () => (counts.refused += 1));
    clients.push(c);
  }
  const loops = clients.flatMap((client, i) =>
    Array.from({ length: window }, async () => {
      while (!stopped && (reconnect || client.connected)) {
        const single = i % 2 === 1;
        const payload = single ? [readings.next()] : readings.take(batch);
        const topic = single ? readingsTopic(payload[0]!.sensorId) : gatewayTopic;
        counts.sent += 1;
        try {
          await client.publishAsync(topic, JSON.stringify(single ? payload[0] : payload), { qos: 1 });
          counts.acked += 1;
          ledger.add(payload);
        } catch (err) {
          counts.failed += 1;
          errors.push((err as Error).message);
          // Not acknowledged, so not in the ledger; a reconnecting device just goes on.
          if (!reconnect) return;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }),
  );
  return {
    counts: () => ({ ...counts }),
    errors: () => errors.slice(-5),
    stop: async () => {
      stopped = true;
      if (reconnect) await Promise.all(loops);
      for (const c of clients) c.end(true);
      await Promise.allSettled(loops);
    },
  };
}

/**
 * HTTP batch posters: `clients` loops posting `batch` readings at a time, as a gateway with its
 * device key (`X-Device-Key`) when one is given, else as the signed-in admin. A 200 puts the
 * batch in the ledger (every reading in it is valid, so all are accepted); a 503 is counted
 * and the loop waits its Retry-After (capped) before going on with fresh readings.
 */
export function httpProducers(
  baseUrl: string,
  readings: QuietReadings,
  ledger: AckLedger,
  options: { clients: number; batch?: number; deviceKey?: string },
): Producer {
  const batch = options.batch ?? 200;
  const counts = { sent: 0, acked: 0, refused: 0, failed: 0 };
  const errors: string[] = [];
  let stopped = false;
  const controller = new AbortController();
  const loops = Array.from({ length: options.clients }, async () => {
    while (!stopped) {
      const payload = readings.take(batch);
      counts.sent += 1;
      try {
        const post = options.deviceKey ? rawFetch : fetch;
        const res = await post(`${baseUrl}/api/v1/readings`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(options.deviceKey ? { 'x-device-key': options.deviceKey } : {}),
          },
          body: JSON.stringify({ readings: payload }),
          signal: controller.signal,
        });
        const body = (await res.json()) as { accepted?: number };
        if (res.status === 200 && body.accepted === payload.length) {
          counts.acked += 1;
          ledger.add(payload);
        } else if (res.status === 503) {
          counts.refused += 1;
          const wait = Math.min(Number(res.headers.get('retry-after') ?? '1'), 2) * 250;
          await new Promise((r) => setTimeout(r, wait));
        } else {
          throw new Error(`POST /api/v1/readings answered ${res.status}: ${JSON.stringify(body)}`);
        }
      } catch (err) {
        if (stopped) return; // the request stop() abandoned
        counts.failed += 1;
        errors.push((err as Error).message);
        return;
      }
    }
  });
  return {
    counts: () => ({ ...counts }),
    errors: () => errors.slice(-5),
    stop: async () => {
      stopped = true;
      controller.abort();
      await Promise.allSettled(loops);
    },
  };
}

/** Open the database read-only (the server may be running: WAL lets a reader in beside it). */
export function openReadOnly(file: string): Database.Database {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

/** Acknowledged readings that are not in the store (should be none), and how many rows each stored key has. */
export function missingFromStore(file: string, ledger: AckLedger): { missing: string[]; checked: number } {
  const db = openReadOnly(file);
  try {
    const has = db.prepare('SELECT count(*) AS n FROM readings WHERE sensor_id = ? AND ts = ?').pluck();
    const missing: string[] = [];
    for (const k of ledger.keys) {
      const at = k.lastIndexOf('@');
      if ((has.get(k.slice(0, at), Number(k.slice(at + 1))) as number) !== 1) missing.push(k);
    }
    return { missing, checked: ledger.keys.size };
  } finally {
    db.close();
  }
}

/** `PRAGMA integrity_check` of the file: ['ok'] when it is sound. */
export function integrityCheck(file: string): string[] {
  const db = openReadOnly(file);
  try {
    const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    return rows.map((r) => r.integrity_check);
  } finally {
    db.close();
  }
}

/** A live dashboard that reconnects by itself, recording what it received. */
export interface Dashboard {
  socket: TestSocket;
  snapshots: Snapshot[];
  batches: ReadingsBatch[];
  stats: LiveStats[];
  /** Reasons of every disconnection seen. */
  disconnects: string[];
  alertIds: Set<string>;
  /** Times the pushed reading (sensor, observedAt) arrived in a batch. */
  pushed(sensorId: string, observedAt: number): number;
  close(): void;
}

/**
 * Stop reading a dashboard's connection, or start again, as a frozen browser tab or a dead
 * link would: the socket stays open and the server's writes pile up. (`ws` is engine.io-client's
 * WebSocket of the Node transport, which has pause/resume.)
 */
export function freeze(board: Pick<Dashboard, 'socket'>, paused: boolean): void {
  const transport = board.socket.io.engine.transport as unknown as { ws?: { pause(): void; resume(): void } };
  if (!transport.ws) throw new Error('the dashboard is not on the websocket transport');
  if (paused) transport.ws.pause();
  else transport.ws.resume();
}

/**
 * Connect a socket.io-client dashboard on the city scope (token of the server's admin unless
 * given) with reconnection on and short back-off; resolves on its first snapshot. A `stuck`
 * dashboard stops reading as soon as it is connected (before its snapshot): it resolves then.
 */
export async function openDashboard(
  url: string,
  options: { token?: string | undefined; stuck?: boolean } = {},
): Promise<Dashboard> {
  const token = options.token ?? tokenFor(url);
  const socket: TestSocket = connectSocket(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: true,
    reconnectionDelay: 200,
    reconnectionDelayMax: 1000,
    auth: { scope: { kind: 'city' }, ...(token ? { token } : {}) },
  });
  const board: Dashboard = {
    socket,
    snapshots: [],
    batches: [],
    stats: [],
    disconnects: [],
    alertIds: new Set(),
    pushed: (sensorId, observedAt) =>
      board.batches.reduce(
        (n, b) => n + b.items.filter((i) => i.sensorId === sensorId && i.observedAt === observedAt).length,
        0,
      ),
    close: () => socket.disconnect(),
  };
  socket.on('snapshot', (s) => board.snapshots.push(s));
  socket.on('readings:batch', (b) => board.batches.push(b));
  socket.on('stats:updated', (s) => board.stats.push(s));
  socket.on('alert:raised', (a) => board.alertIds.add(a.id));
  socket.on('disconnect', (reason) => board.disconnects.push(reason));
  if (options.stuck) {
    socket.once('connect', () => freeze(board, true));
    await waitFor(() => socket.connected, 15_000, 'the connection');
  } else {
    await waitFor(() => board.snapshots.length > 0, 15_000, 'the first snapshot');
  }
  return board;
}

/** A Mosquitto of this test on a free port, with persistence in `dir` (QoS 1 sessions survive a restart). */
export class Mosquitto {
  private child: ChildProcess | null = null;
  private log = '';
  readonly url: string;

  constructor(
    readonly port: number,
    readonly dir: string,
  ) {
    this.url = `mqtt://127.0.0.1:${port}`;
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(
      join(dir, 'mosquitto.conf'),
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${join(dir, 'data')}/`,
        // Saved on a clean stop anyway; also every second, as a deployment would.
        'autosave_interval 1',
        // Started as root it would switch to the mosquitto user, who cannot write the temp folder.
        'user root',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        'max_queued_messages 100000',
        '',
      ].join('\n'),
    );
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** The broker's process id while it runs (the bench reads its CPU). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  output(): string {
    return this.log;
  }

  async start(): Promise<void> {
    const child = spawn('/usr/sbin/mosquitto', ['-c', join(this.dir, 'mosquitto.conf')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (this.log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
    this.child = child;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}:\n${this.log}`);
        return new Promise<boolean>((resolve) => {
          const probe = connect(this.port, '127.0.0.1');
          probe.once('connect', () => {
            probe.destroy();
            resolve(true);
          });
          probe.once('error', () => resolve(false));
        });
      },
      10_000,
      `mosquitto on port ${this.port}`,
    );
  }

  /** A clean stop (SIGTERM): Mosquitto writes its sessions and queued messages to disk first. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }
}
