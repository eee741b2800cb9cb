import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Road } from '../../../shared/schemas/cityPack.schema';
import { ClientConfigSchema, type ClientConfig } from '../../../shared/schemas/clientConfig.schema';
import { rawFetch } from '../../helpers/auth';
import { getJson, useTestServer } from '../../helpers/server';

const packRoads = JSON.parse(
  readFileSync(new URL('../../../server/citypacks/hangzhou/roads.json', import.meta.url), 'utf8'),
) as Road[];

async function cspOf(url: string): Promise<string> {
  const res = await rawFetch(`${url}/api/health`);
  await res.arrayBuffer();
  return res.headers.get('content-security-policy') ?? '';
}

describe('map routes with no Mapbox token (the default)', () => {
  const server = useTestServer();

  it('tells the dashboard to draw with maplibre and hands out no token', async () => {
    const res = await getJson<ClientConfig>(`${server().url}/api/v1/client-config`);

    expect(res.status).toBe(200);
    expect(ClientConfigSchema.parse(res.body)).toEqual({ map: { provider: 'maplibre' } });
  });

  it("serves the city pack's roads", async () => {
    const res = await getJson<{ items: Road[]; total: number }>(`${server().url}/api/v1/roads`);

    expect(res.status).toBe(200);
    expect(res.body.total).toBe(packRoads.length);
    expect(res.body.items).toEqual(packRoads);
  });

  it('keeps every connection and image in the CSP to this origin', async () => {
    const csp = await cspOf(server().url);

    expect(csp).toMatch(/connect-src 'self'(;|$)/);
    expect(csp).not.toContain('mapbox');
  });
});

describe('map routes with a Mapbox token', () => {
  const server = useTestServer({ MAPBOX_TOKEN: 'pk.test-token' });

  it('tells the dashboard to draw with mapbox, with the token and the default dark style', async () => {
    const res = await getJson<ClientConfig>(`${server().url}/api/v1/client-config`);

    expect(res.body).toEqual({
      map: { provider: 'mapbox', token: 'pk.test-token', style: 'mapbox://styles/mapbox/dark-v11' },
    });
  });

  it("lets the browser reach Mapbox's API in the CSP", async () => {
    const csp = await cspOf(server().url);

    expect(csp).toMatch(/connect-src 'self'[^;]* https:\/\/api\.mapbox\.com/);
    expect(csp).toMatch(/img-src [^;]*https:\/\/api\.mapbox\.com/);
  });
});
