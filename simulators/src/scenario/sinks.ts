import { createWriteStream, type WriteStream } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { MAX_READINGS_PER_BATCH } from '@shared/schemas/reading.schema';
import { gatewayTopic, REJECTIONS_TOPIC_PREFIX } from '@shared/version';
import type { Emission } from './generate';
import { reportKey, type CitizenReport } from './model';

/** Where generated messages go: a live server (MQTT or HTTP) or a file. */
export interface Sink {
  /**
   * Send one step's messages, in order, and the citizens' reports of the same step (only sinks
   * that take reports — a file, Open311 — use them); resolves when the receiver acknowledged them.
   */
  send(emissions: readonly Emission[], reports?: readonly CitizenReport[]): Promise<void>;
  /**
   * Messages and readings sent, readings the receiver refused (as far as it tells), and, for
   * sinks that take them, citizens' reports sent and refused.
   */
  stats(): {
    messages: number;
    readings: number;
    rejected: number;
    reports?: number;
    reportsRefused?: number;
  };
  close(): Promise<void>;
}

/** A device credential `<id>.<secret>` split in two. */
export function splitDeviceKey(key: string): { id: string; secret: string } {
  const dot = key.indexOf('.');
  return { id: key.slice(0, dot), secret: key.slice(dot + 1) };
}

/**
 * Publishes as a gateway on `cityops/v1/gateways/{gateway}/readings` (QoS 1, batches of
 * readings; a malformed payload goes alone, as a faulty device would send it) and counts
 * the refusals the server reports on `cityops/v1/rejections/{gateway}`.
 */
export async function mqttSink(options: {
  url: string;
  /** The gateway's device credential: id (MQTT username) and secret (password). */
  username: string;
  password: string;
  gateway: string;
  batch?: number;
}): Promise<Sink> {
  const client: MqttClient = await mqtt.connectAsync(options.url, {
    clientId: `cityops-sim-${options.gateway}-${process.pid}`,
    username: options.username,
    password: options.password,
    reconnectPeriod: 1000,
  });
  const stats = { messages: 0, readings: 0, rejected: 0 };
  client.on('message', (_topic, payload) => {
    try {
      const report = JSON.parse(payload.toString()) as { rejected?: unknown[] };
      stats.rejected += Array.isArray(report.rejected) ? report.rejected.length : 0;
    } catch {
      // Not a report we understand: nothing to count.
    }
  });
  await client.subscribeAsync(`${REJECTIONS_TOPIC_PREFIX}${options.gateway}`, { qos: 0 });
  const topic = gatewayTopic(options.gateway);
  const max = Math.min(options.batch ?? 1000, MAX_READINGS_PER_BATCH);
  return {
    async send(emissions) {
      // Counted when the broker acknowledges (QoS 1), so a summary never claims what did not arrive.
      const pending: Array<Promise<unknown>> = [];
      const publish = (payload: string, readings: number) =>
        pending.push(
          client.publishAsync(topic, payload, { qos: 1 }).then(() => {
            stats.messages++;
            stats.readings += readings;
          }),
        );
      let batch: string[] = [];
      const flush = () => {
        if (batch.length === 0) return;
        publish(`[${batch.join(',')}]`, batch.length);
        batch = [];
      };
      for (const e of emissions) {
        if (e.reading === null) {
          flush();
          publish(e.line, 0);
          continue;
        }
        batch.push(e.line);
        if (batch.length >= max) flush();
      }
      flush();
      await Promise.all(pending);
    },
    stats: () => ({ ...stats }),
    close: () => client.endAsync(),
  };
}

/**
 * Posts batches to `POST /api/v1/readings` with the device key (`X-Device-Key`); the answer
 * says what was refused. A malformed payload is posted alone as the body a faulty device
 * would send.
 */
export function httpSink(options: { url: string; key: string; batch?: number }): Sink {
  const stats = { messages: 0, readings: 0, rejected: 0 };
  const endpoint = new URL('/api/v1/readings', options.url).toString();
  const max = Math.min(options.batch ?? 1000, MAX_READINGS_PER_BATCH);
  // Counted once the server answered, so a summary never claims what did not arrive.
  const post = async (body: string, readings: number) => {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-device-key': options.key },
      body,
    });
    const answer = (await res.json().catch(() => null)) as { rejected?: unknown[] } | null;
    if (res.status === 503 || res.status === 429)
      throw new Error(`${endpoint} answered ${res.status}: the server is shedding load`);
    stats.messages++;
    stats.readings += readings;
    if (res.ok) stats.rejected += Array.isArray(answer?.rejected) ? answer.rejected.length : 0;
    else stats.rejected += Math.max(1, readings);
  };
  return {
    async send(emissions) {
      let batch: string[] = [];
      for (const e of emissions) {
        if (e.reading === null) {
          if (batch.length) await post(`{"readings":[${batch.join(',')}]}`, batch.length);
          batch = [];
          await post(e.line, 0);
          continue;
        }
        batch.push(e.line);
        if (batch.length >= max) {
          await post(`{"readings":[${batch.join(',')}]}`, batch.length);
          batch = [];
        }
      }
      if (batch.length) await post(`{"readings":[${batch.join(',')}]}`, batch.length);
    },
    stats: () => ({ ...stats }),
    close: async () => {},
  };
}

/**
 * A citizen's report as a line of an `--out` file: `{"type":"citizen-report", …}` with the
 * report's name (`incident#index`), its time (epoch ms, like `observedAt`), the Open311 service
 * code and category, the point, its grid cell and what the citizen said.
 */
export function citizenReportLine(r: CitizenReport): string {
  return JSON.stringify({
    type: 'citizen-report',
    report: reportKey(r),
    at: r.t,
    serviceCode: r.serviceCode,
    category: r.category,
    lngLat: r.location,
    gridCellId: r.gridCellId,
    ...(r.sensorId ? { sensorId: r.sensorId } : {}),
    description: r.description,
  });
}

/**
 * Writes every message as one line (a reading's JSON, or a malformed payload as sent) and every
 * citizen's report as a `{"type":"citizen-report", …}` line, in time order (a report after the
 * readings of the same instant).
 */
export function fileSink(file: string): Sink {
  const out: WriteStream = createWriteStream(file);
  const stats = { messages: 0, readings: 0, rejected: 0, reports: 0, reportsRefused: 0 };
  return {
    async send(emissions, reports = []) {
      if (emissions.length === 0 && reports.length === 0) return;
      let text = '';
      let next = 0;
      const reportsUpTo = (t: number) => {
        for (; next < reports.length && reports[next]!.t <= t; next++) {
          text += `${citizenReportLine(reports[next]!)}\n`;
          stats.reports++;
        }
      };
      for (const e of emissions) {
        reportsUpTo(e.t - 1);
        text += `${e.line.replace(/\n/g, '\\n')}\n`;
        stats.messages++;
        if (e.reading) stats.readings++;
      }
      reportsUpTo(Infinity);
      if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    },
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((resolve, reject) =>
        out.end((err?: Error | null) => (err ? reject(err) : resolve())),
      ),
  };
}

/** Open311's refusal of a report: the HTTP status and its description. */
export interface Open311Refusal {
  ok: false;
  status: number;
  message: string;
}
/** What Open311 answered to one report: the case it registered, or the refusal. */
export type Open311Answer = { ok: true; caseId: string } | Open311Refusal;

/**
 * Send one citizen's report as a 12345 app does: `POST /open311/v2/requests.json`, form-encoded,
 * with the API key an administrator issued (`POST /api/v1/open311/keys`).
 */
export async function postCitizenReport(
  baseUrl: string,
  apiKey: string,
  r: CitizenReport,
): Promise<Open311Answer> {
  const res = await fetch(new URL('/open311/v2/requests.json', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      api_key: apiKey,
      service_code: r.serviceCode,
      lat: String(r.location[1]),
      long: String(r.location[0]),
      description: r.description,
    }),
  });
  const body = (await res.json().catch(() => null)) as unknown;
  if (res.status === 201 && Array.isArray(body)) {
    const id = (body[0] as { service_request_id?: unknown } | undefined)?.service_request_id;
    if (typeof id === 'string') return { ok: true, caseId: id };
  }
  const description = Array.isArray(body)
    ? (body[0] as { description?: unknown } | undefined)?.description
    : undefined;
  return {
    ok: false,
    status: res.status,
    message: typeof description === 'string' ? description : `answered ${res.status}`,
  };
}

/**
 * Readings go to `inner`; citizens' reports of the same step go to the server's Open311 endpoint
 * (after the readings), one request each. A refused report is counted, not retried.
 */
export function withOpen311(
  inner: Sink,
  options: { url: string; apiKey: string; onRefused?: (r: CitizenReport, refusal: Open311Refusal) => void },
): Sink {
  let reports = 0;
  let refused = 0;
  return {
    async send(emissions, batch = []) {
      await inner.send(emissions);
      for (const r of batch) {
        const answer = await postCitizenReport(options.url, options.apiKey, r);
        if (answer.ok) reports++;
        else {
          refused++;
          options.onRefused?.(r, answer);
        }
      }
    },
    stats: () => ({ ...inner.stats(), reports, reportsRefused: refused }),
    close: () => inner.close(),
  };
}
