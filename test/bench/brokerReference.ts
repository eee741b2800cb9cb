import { spawn, fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { gatewayTopic, readingsTopic } from '../../shared/version';
import { firstReadingKey, MessageBuilder } from './liveReadings';
import type { ReadingFactory } from '../../simulators/src/load/readingFactory';
import { pacingSchedule, runClosedLoop, runPaced, type LoadOutcome, type SendMessage } from './pacing';
import { procDelta, sampleProc, type ProcDelta } from './procStats';
import { freePort } from './serverProcess';
import { distribution, Samples, type Distribution } from './stats';
import { num } from './table';

/** The message shapes of the issue: gateway batches of 500 readings, or one reading per message. */
export type Shape = 'batched' | 'single';

/**
 * Each shape's connections and in-flight window: the same as the platform rows (rows.ts PLAN),
 * so the reference and the platform are held to one discipline.
 */
export const SHAPES: Record<Shape, { perMessage: number; lanes: number; window: number }> = {
  batched: { perMessage: 500, lanes: 4, window: 4 },
  single: { perMessage: 1, lanes: 4, window: 100 },
};

export type BrokerName = 'aedes' | 'mosquitto';

export interface BrokerProcess {
  name: BrokerName;
  version: string;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Mosquitto's binary on these machines (Debian's package); the system instance on 1883 is never used. */
export const MOSQUITTO_PATH = '/usr/sbin/mosquitto';

/** A child that exits within 5 s of SIGTERM, or is killed. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A bare aedes (the version the server embeds) in its own process: rawBroker.ts. */
export async function startAedes(repoRoot: string): Promise<BrokerProcess> {
  const child = fork(join(repoRoot, 'test', 'bench', 'rawBroker.ts'), [], {
    cwd: repoRoot,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
  const ready = await new Promise<{ port: number; version: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the bare aedes did not start within 30 s:\n${stderr}`)),
      30_000,
    );
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as { port: number; version: string });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bare aedes exited with code ${code}:\n${stderr}`));
    });
  });
  return {
    name: 'aedes',
    version: ready.version,
    url: `mqtt://127.0.0.1:${ready.port}`,
    pid: child.pid!,
    stop: () => stopChild(child),
  };
}

/**
 * Mosquitto as our own instance: a temporary config with one listener on a free port of
 * 127.0.0.1, anonymous, in memory, no limit on messages in flight to a subscriber (its default of
 * 20 would throttle delivery, not measure it) and TCP_NODELAY. Null when the binary is missing.
 */
export async function startMosquitto(): Promise<BrokerProcess | null> {
  if (!existsSync(MOSQUITTO_PATH)) return null;
  const dir = mkdtempSync(join(tmpdir(), 'cityops-bench-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'max_inflight_messages 0',
      'max_queued_messages 100000',
      'set_tcp_nodelay true',
      'log_dest stderr',
      'log_type error',
      '',
    ].join('\n'),
  );
  const child = spawn(MOSQUITTO_PATH, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`mosquitto exited with code ${child.exitCode}:\n${stderr}`);
    }
    const listening = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (listening) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`mosquitto did not listen on ${port} within 10 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const version = await new Promise<string>((resolve) => {
    const probe = spawn(MOSQUITTO_PATH, ['-h'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    probe.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    probe.on('close', () => resolve(/version (\S+)/.exec(out)?.[1] ?? 'unknown'));
  });
  return {
    name: 'mosquitto',
    version,
    url: `mqtt://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One reference measurement: publish → subscriber through a bare broker. */
export interface ReferenceRow {
  broker: BrokerName;
  brokerVersion: string;
  shape: Shape;
  /** Offered readings/s of a paced row; null for the closed-loop maximum. */
  offeredPerSec: number | null;
  /** Readings delivered (subscriber got them, publisher got its PUBACK) per second. */
  readingsPerSec: number;
  messagesPerSec: number;
  /** Publish call → arrival at the subscriber, per message, ms. */
  latencyMs: Distribution;
  load: Omit<LoadOutcome, 'lateMs'>;
  /** How late the bench sent messages behind their due time (paced rows), ms. */
  sendLateMs: Distribution;
  /** Deliveries that matched no publish (should be 0). */
  unmatched: number;
  durationMs: number;
  /** The broker process during the row (the load generator and subscriber are the bench). */
  proc: ProcDelta;
  warnings: string[];
}

const REFERENCE_TOPIC = gatewayTopic('bench-reference');

/**
 * Turn Nagle's algorithm off on an MQTT client's socket: with it, a small packet waits for the
 * peer's delayed ACK (up to 40 ms on Linux loopback) whenever one is unacknowledged. The bench's
 * clients do this for the reference and the end-to-end rows alike, so that what remains is the
 * broker's or the platform's own doing.
 */
export function noDelay(client: MqttClient): MqttClient {
  (client.stream as Partial<Socket>).setNoDelay?.(true);
  return client;
}

async function connectClient(url: string, clientId: string): Promise<MqttClient> {
  return noDelay(
    await mqtt.connectAsync(url, { clientId, clean: true, reconnectPeriod: 0, connectTimeout: 10_000 }),
  );
}

let runs = 0;

export interface ReferenceLoad {
  shape: Shape;
  /** Offered readings/s (paced, open loop); null for the closed-loop maximum. */
  offeredPerSec: number | null;
  durationMs: number;
  readings: ReadingFactory;
  seed: number;
}

/**
 * Publishers (the shape's connections and window) and one QoS 1 subscriber to `cityops/#`, all in
 * this process, through `broker`. A message is done when its publisher has the PUBACK and the
 * subscriber has the message; only then does its window slot free up, so the broker cannot
 * acknowledge faster than it delivers. The subscriber reads only the first reading's key.
 */
export async function runReference(broker: BrokerProcess, load: ReferenceLoad): Promise<ReferenceRow> {
  const run = ++runs;
  const shape = SHAPES[load.shape];
  const subscriber = await connectClient(broker.url, `bench-ref-sub-${process.pid}-${run}`);
  await subscriber.subscribeAsync('cityops/#', { qos: 1 });
  const publishers = await Promise.all(
    Array.from({ length: shape.lanes }, (_, i) =>
      connectClient(broker.url, `bench-ref-pub-${process.pid}-${run}-${i}`),
    ),
  );
  interface Waiting {
    sentAt: number;
    readings: number;
    acked: boolean;
    delivered: boolean;
    resolve: (readings: number) => void;
  }
  const waiting = new Map<string, Waiting>();
  const latency = new Samples();
  let unmatched = 0;
  subscriber.on('message', (_topic, payload) => {
    const now = performance.now();
    const key = firstReadingKey(payload);
    const w = key === null ? undefined : waiting.get(key);
    if (!w || w.delivered) {
      unmatched += 1;
      return;
    }
    latency.push(now - w.sentAt);
    w.delivered = true;
    if (w.acked) {
      waiting.delete(key!);
      w.resolve(w.readings);
    }
  });
  const builder = new MessageBuilder(load.readings, shape.perMessage, []);
  const send: SendMessage = (lane, _index) => {
    const msg = builder.build(0, performance.timeOrigin + performance.now());
    const first = msg.readings[0]!;
    const key = `${first.sensorId}|${first.observedAt}`;
    const topic = load.shape === 'single' ? readingsTopic(first.sensorId) : REFERENCE_TOPIC;
    const payload = load.shape === 'single' ? first.json : `[${msg.readings.map((r) => r.json).join(',')}]`;
    return new Promise<number>((resolve, reject) => {
      const w: Waiting = {
        sentAt: performance.now(),
        readings: msg.readings.length,
        acked: false,
        delivered: false,
        resolve,
      };
      waiting.set(key, w);
      publishers[lane]!.publish(topic, payload, { qos: 1 }, (err) => {
        if (err) {
          waiting.delete(key);
          reject(err);
          return;
        }
        w.acked = true;
        if (w.delivered) {
          waiting.delete(key);
          resolve(w.readings);
        }
      });
    });
  };

  load.readings.refresh(Date.now());
  const before = sampleProc(broker.pid);
  let outcome: LoadOutcome;
  try {
    outcome =
      load.offeredPerSec === null
        ? await runClosedLoop({ ...shape, durationMs: load.durationMs, send })
        : await runPaced({
            schedule: pacingSchedule({
              ratePerSec: load.offeredPerSec,
              perMessage: shape.perMessage,
              durationMs: load.durationMs,
              seed: load.seed,
            }),
            lanes: shape.lanes,
            window: shape.window,
            durationMs: load.durationMs,
            send,
          });
  } finally {
    await Promise.all([...publishers, subscriber].map((c) => c.endAsync(true)));
  }
  const after = sampleProc(broker.pid);
  const { lateMs, ...counts } = outcome;
  const seconds = outcome.elapsedMs / 1000;
  const warnings: string[] = [];
  if (outcome.unfinished > 0 || outcome.failed > 0) {
    warnings.push(
      `${num(outcome.unfinished)} messages never completed and ${num(outcome.failed)} failed` +
        (outcome.firstFailure ? ` (${outcome.firstFailure})` : ''),
    );
  }
  if (unmatched > 0) warnings.push(`${num(unmatched)} deliveries matched no publish`);
  if (outcome.skipped > 0) {
    warnings.push(
      `${num(outcome.skipped * shape.perMessage)} readings offered but not sent: the window was full`,
    );
  }
  return {
    broker: broker.name,
    brokerVersion: broker.version,
    shape: load.shape,
    offeredPerSec: load.offeredPerSec,
    readingsPerSec: seconds > 0 ? outcome.readingsAcked / seconds : 0,
    messagesPerSec: seconds > 0 ? outcome.acked / seconds : 0,
    latencyMs: distribution(latency.toArray()),
    load: counts,
    sendLateMs: lateMs,
    unmatched,
    durationMs: load.durationMs,
    proc: procDelta(before, after),
    warnings,
  };
}
