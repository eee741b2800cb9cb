import { it, expect } from 'vitest';
import sensors from '../../../server/citypacks/hangzhou/sensors.json';
import { startTestServer, connectClient, postJson, waitFor } from '../../helpers/server';

it('scratch: loss measurement', async () => {
  const server = await startTestServer();
  const { socket } = await connectClient(server.url, { kind: 'city' });
  const seen = new Set<string>();
  let batches = 0;
  socket.on('readings:batch', (b) => { batches++; for (const i of b.items) seen.add(`${i.sensorId}@${i.observedAt}`); });
  const traffic = (sensors as Array<{ id: string; kind: string }>).filter((s) => s.kind === 'traffic').map((s) => s.id);
  const sent: string[] = [];
  const t0 = Date.now() - 3_600_000;
  for (let k = 0; k < 400; k++) {
    const id = traffic[k % traffic.length]!;
    const ts = t0 + k * 1000;
    await postJson(`${server.url}/api/v1/readings`, { readings: [{ sensorId: id, observedAt: ts, values: { speed: 40 } }] });
    sent.push(`${id}@${ts}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 500));
  const missing = sent.filter((s) => !seen.has(s));
  console.log('batches', batches, 'missing', missing.length, 'of', sent.length);
  // big burst
  const all = (sensors as Array<{ id: string; kind: string; metrics: Array<{metric: string}> }>);
  const burst = all.slice(0, 1200).map((s) => ({ sensorId: s.id, observedAt: Date.now() - 1000, values: { [s.metrics[0]!.metric]: 0 } }));
  const before = seen.size;
  const res = await postJson(`${server.url}/api/v1/readings`, { readings: burst });
  console.log('burst', res.status, JSON.stringify(res.body).slice(0, 200));
  await new Promise((r) => setTimeout(r, 1000));
  console.log('burst received', seen.size - before);
  socket.disconnect();
  await server.stop(); server.cleanup();
  expect(true).toBe(true);
}, 60_000);
