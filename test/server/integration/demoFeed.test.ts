import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestStats, rawHistory } from '../../helpers/ingestChecks';
import { startTestServer, waitFor, type TestServer } from '../../helpers/server';

const MIN = 60_000;

/**
 * `npm start` (`--demo`): the built-in feed plays the city day through the embedded broker as the
 * gateway `simulator`, starting DEMO_FEED_BACKFILL_HOURS back and catching up at DEMO_FEED_SPEED,
 * then following real time. Here with a quarter of an hour of backfill at the fastest speed.
 */
describe('the built-in demo feed (DEMO_FEED)', () => {
  let server: TestServer;
  let startedAt: number;

  beforeAll(async () => {
    startedAt = Date.now();
    server = await startTestServer({
      DEMO_FEED: 'true',
      DEMO_FEED_BACKFILL_HOURS: '0.25',
      DEMO_FEED_SPEED: '3600',
    });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await server?.cleanup();
  });

  it('replays the backfill, reports caught up, then follows real time — every reading ingested', async () => {
    const feed = server.feed;
    expect(feed).not.toBeNull();
    let caughtUp = false;
    void feed!.caughtUp.then(() => (caughtUp = true));
    await waitFor(() => caughtUp, 45_000, 'the feed to catch up');

    // Caught up: the feed has reached the wall clock, and never runs ahead of it.
    const atCatchUp = feed!.stats();
    expect(atCatchUp.simTime).toBeGreaterThan(Date.now() - 10_000);
    expect(atCatchUp.simTime).toBeLessThanOrEqual(Date.now());
    // A quarter of an hour of a city (about 900 readings a minute) went in.
    expect(atCatchUp.published).toBeGreaterThan(5_000);

    // Everything it published was acknowledged, so it reached ingest: each MQTT message counted,
    // the readings stored (the city day's faults also send some garbage, refused and counted).
    const stats = await ingestStats(server.url);
    expect(stats.byPath.mqtt.payloads).toBeGreaterThanOrEqual(atCatchUp.messages);
    expect(stats.byPath.mqtt.accepted).toBeGreaterThan(0.9 * atCatchUp.published);
    expect(stats.byPath.mqtt.accepted + stats.byPath.mqtt.rejected).toBeGreaterThanOrEqual(
      atCatchUp.published,
    );

    // The replayed past is in the store at wall-clock times: a busy arterial detector's readings
    // from the start of the backfill on, none in the future.
    const from = startedAt - 15 * MIN - MIN;
    const points = await rawHistory(server.url, 'TRF-0091', 'speed', from, Date.now());
    expect(points.length).toBeGreaterThan(30); // one every 20 s: about 45
    expect(points[0]!.t).toBeLessThan(startedAt - 10 * MIN);
    for (const p of points) expect(p.t).toBeLessThanOrEqual(Date.now());

    // Then it goes on in real time: more readings, the clock it reached moving with the wall clock.
    await waitFor(
      async () => {
        const now = feed!.stats();
        const later = await ingestStats(server.url);
        return (
          now.published > atCatchUp.published &&
          now.simTime > atCatchUp.simTime &&
          later.byPath.mqtt.accepted > stats.byPath.mqtt.accepted
        );
      },
      15_000,
      'live readings after catching up',
    );
    const live = feed!.stats();
    expect(live.simTime).toBeLessThanOrEqual(Date.now());
    expect(live.simTime).toBeGreaterThan(Date.now() - 10_000);
  }, 90_000);
});
