import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig, parseConfig } from '../../server/src/config';

/** The variables `.env.example` lists, with the values it shows. */
function envExample(): Record<string, string> {
  const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
  const entries = text
    .split('\n')
    .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line.trim()))
    .filter((m) => m !== null)
    .map((m) => [m[1], m[2]]);
  return Object.fromEntries(entries) as Record<string, string>;
}

describe('parseConfig', () => {
  it('defaults every variable to the value .env.example documents', () => {
    const documented = envExample();
    /** Variables with no default: documented with an empty value, absent from the parsed config. */
    const optional = [
      'MQTT_URL',
      'DATABASE_URL',
      'REDIS_URL',
      'NODE_ID',
      'ADMIN_INITIAL_PASSWORD',
      'MAPBOX_TOKEN',
    ];
    expect(Object.keys(documented).sort()).toEqual([...Object.keys(parseConfig({})), ...optional].sort());
    expect(parseConfig(documented)).toEqual(parseConfig({}));
  });

  it('defaults to safe ingest limits with the embedded broker on 1883', () => {
    expect(parseConfig({})).toMatchObject({
      PORT: 8080,
      MQTT_PORT: 1883,
      AUTO_REGISTER_SENSORS: false,
      MAX_PAYLOAD_BYTES: 1_048_576,
      MAX_CLOCK_SKEW_SEC: 300,
      DEMO_FEED: false,
      LOG_LEVEL: 'info',
    });
  });

  it('leaves MQTT_URL unset by default, so the broker is embedded', () => {
    expect(parseConfig({}).MQTT_URL).toBeUndefined();
  });

  it('stores in SQLite unless DATABASE_URL names a PostgreSQL database', () => {
    expect(parseConfig({}).DATABASE_URL).toBeUndefined();
    expect(parseConfig({ DATABASE_URL: 'postgres://db.internal/cityops' }).DATABASE_URL).toBe(
      'postgres://db.internal/cityops',
    );
    expect(() => parseConfig({ DATABASE_URL: 'mysql://db.internal/cityops' })).toThrow(/DATABASE_URL/);
  });

  it('refuses a cluster (REDIS_URL) without a shared PostgreSQL store, naming both settings', () => {
    expect(() => parseConfig({ REDIS_URL: 'redis://cache.internal:6379' })).toThrow(
      /REDIS_URL: a cluster needs a shared store: set DATABASE_URL/,
    );
    expect(
      parseConfig({ REDIS_URL: 'redis://cache.internal:6379', DATABASE_URL: 'postgres://db/cityops' }),
    ).toMatchObject({ CLUSTER_PARTITIONS: 16, CLUSTER_LEASE_MS: 5000, CLUSTER_NAME: 'cityops' });
  });

  it('parses numbers from their text', () => {
    const config = parseConfig({ PORT: '0', MAX_PAYLOAD_BYTES: '2048', RAW_RETENTION_DAYS: '0.5' });
    expect(config).toMatchObject({ PORT: 0, MAX_PAYLOAD_BYTES: 2048, RAW_RETENTION_DAYS: 0.5 });
  });

  it('treats an empty variable as unset', () => {
    expect(parseConfig({ PORT: '', MQTT_URL: '', LOG_LEVEL: undefined })).toMatchObject({
      PORT: 8080,
      LOG_LEVEL: 'info',
    });
  });

  it.each(['true', '1', 'yes'])('reads %s as true', (text) => {
    expect(parseConfig({ AUTO_REGISTER_SENSORS: text, DEMO_FEED: text, LOG_PRETTY: text })).toMatchObject({
      AUTO_REGISTER_SENSORS: true,
      DEMO_FEED: true,
      LOG_PRETTY: true,
    });
  });

  it.each(['false', '0', 'no'])('reads %s as false', (text) => {
    expect(parseConfig({ AUTO_REGISTER_SENSORS: text }).AUTO_REGISTER_SENSORS).toBe(false);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['MQTT_PORT', '-1'],
    ['MAX_PAYLOAD_BYTES', '0'],
    ['PUSH_INTERVAL_MS', '5'],
    ['LOG_LEVEL', 'loud'],
    ['SQLITE_SYNCHRONOUS', 'OFF'],
    ['AUTO_REGISTER_SENSORS', 'maybe'],
    ['MQTT_URL', 'not a url'],
    ['DEMO_FEED_BACKFILL_HOURS', '49'],
  ])('throws naming %s when it is %j', (name, value) => {
    expect(() => parseConfig({ [name]: value })).toThrow(
      new RegExp(`Invalid configuration:[\\s\\S]*\\b${name}:`),
    );
  });

  it('names every bad variable at once', () => {
    let message = '';
    try {
      parseConfig({ PORT: 'abc', LOG_LEVEL: 'loud', HOST: 'localhost' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/\bPORT:/);
    expect(message).toMatch(/\bLOG_LEVEL:/);
    expect(message).not.toMatch(/\bHOST:/);
  });

  it('returns a frozen config', () => {
    const config = parseConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
  });

  it('ignores variables it does not know', () => {
    expect(parseConfig({ PATH: '/usr/bin', HOME: '/root' })).not.toHaveProperty('PATH');
  });
});

describe('loadConfig', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('lets the environment override the defaults of a command-line mode', () => {
    vi.stubEnv('DEMO_FEED', 'false');
    vi.stubEnv('PORT', '9090');
    const config = loadConfig({ DEMO_FEED: 'true', LOG_PRETTY: 'true' });
    expect(config).toMatchObject({ DEMO_FEED: false, LOG_PRETTY: true, PORT: 9090 });
  });
});
