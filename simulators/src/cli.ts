/**
 * `npm run simulate -- [options]`: stream a simulated city day into a running
 * CityOps over MQTT, as an external gateway would. The sensors come from the
 * server's own catalog (GET /api/v1/sensors), so the feed matches its city pack.
 *
 *   --server URL        CityOps HTTP base URL            (default http://127.0.0.1:8080)
 *   --mqtt URL          broker to publish to             (default mqtt://127.0.0.1:1883)
 *   --backfill-hours N  start N hours in the past        (default 0)
 *   --speed X           clock speed while catching up    (default 60)
 *   --seed N            another seed, another day        (default 20261121)
 *   --duration S        stop after S seconds (0 = run until Ctrl-C) (default 0)
 *   --gateway ID        gateway id in the topic          (default simulator)
 *   --key ID.SECRET     the gateway's device key (default: env CITYOPS_DEVICE_KEY); an admin
 *                       issues it with POST /api/v1/devices {"kind":"gateway","subjectId":"<ID>","sensorIds":"all"}
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { SensorSchema } from '@shared/schemas/sensor.schema';
import { startFeed } from './feed';

const { values } = parseArgs({
  options: {
    server: { type: 'string', default: 'http://127.0.0.1:8080' },
    mqtt: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
    'backfill-hours': { type: 'string', default: '0' },
    speed: { type: 'string', default: '60' },
    seed: { type: 'string', default: '20261121' },
    duration: { type: 'string', default: '0' },
    gateway: { type: 'string', default: 'simulator' },
    key: { type: 'string', default: process.env['CITYOPS_DEVICE_KEY'] ?? '' },
    token: { type: 'string', default: process.env['CITYOPS_TOKEN'] ?? '' },
  },
});

const Args = z.object({
  server: z.url(),
  mqtt: z.string().regex(/^mqtts?:\/\//, 'an mqtt:// or mqtts:// URL'),
  'backfill-hours': z.coerce.number().min(0).max(48),
  speed: z.coerce.number().positive().max(3600),
  seed: z.coerce.number().int(),
  duration: z.coerce.number().min(0),
  gateway: z.string().regex(/^[A-Za-z0-9._-]+$/),
  key: z
    .string()
    .regex(/^[A-Za-z0-9._-]+\.[A-Za-z0-9_-]+$/, 'a device key <id>.<secret> (--key or CITYOPS_DEVICE_KEY)'),
  /** A session token to read the catalog (GET /api/v1/sensors needs sensors:read). */
  token: z.string(),
});

async function main(): Promise<void> {
  const parsed = Args.safeParse(values);
  if (!parsed.success) {
    for (const i of parsed.error.issues) process.stderr.write(`--${i.path.join('.')}: ${i.message}\n`);
    process.exit(2);
  }
  const args = parsed.data;
  const res = await fetch(`${args.server}/api/v1/sensors?limit=5000`, {
    headers: args.token ? { authorization: `Bearer ${args.token}` } : {},
  });
  if (!res.ok) throw new Error(`GET ${args.server}/api/v1/sensors answered ${res.status}`);
  const sensors = z.object({ items: z.array(SensorSchema) }).parse(await res.json()).items;
  const dot = args.key.indexOf('.');
  const feed = await startFeed({
    mqttUrl: args.mqtt,
    username: args.key.slice(0, dot),
    password: args.key.slice(dot + 1),
    sensors,
    seed: args.seed,
    gatewayId: args.gateway,
    backfillMs: args['backfill-hours'] * 3_600_000,
    catchUpSpeed: args.speed,
    onError: (err) => process.stderr.write(`publish failed: ${err.message}\n`),
  });
  process.stdout.write(`simulating ${sensors.length} sensors → ${args.mqtt} (Ctrl-C to stop)\n`);
  const report = setInterval(() => {
    const s = feed.stats();
    process.stdout.write(
      `  ${s.published} readings in ${s.messages} messages; simulated time ${new Date(s.simTime).toISOString()}\n`,
    );
  }, 10_000);
  const stop = async () => {
    clearInterval(report);
    await feed.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  if (args.duration > 0) setTimeout(() => void stop(), args.duration * 1000);
}

main().catch((err: unknown) => {
  process.stderr.write(`simulate failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
