import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../../shared/access';
import type { Worker } from '../../../shared/schemas/worker.schema';
import { createActor, getAs, type Answer } from '../../helpers/accessActors';
import { startTestServer, type TestServer } from '../../helpers/server';

/**
 * 脱敏: worker names and phones are sensitive. The wall (viewer) gets 张** and
 * 138****5678; roles cleared for sensitive data get the roster as it is. The
 * expected masked forms are written out here, not taken from the server's
 * masking code, and checked against the unmasked roster the admin sees.
 */
interface RosterEntry extends Omit<Worker, 'location' | 'shift' | 'skills'> {
  location: Worker['location'] | null;
  shift: Worker['shift'] | null;
  skills: Worker['skills'] | null;
  masked: boolean;
}

interface Roster {
  items: RosterEntry[];
  total: number;
}

/** The first character, then one star per further character and at least two. */
const maskedName = (name: string) => {
  const [first, ...rest] = [...name];
  return `${first}${'*'.repeat(Math.max(rest.length, 2))}`;
};
/** The first three and last four digits. */
const maskedPhone = (phone: string) => `${phone.slice(0, 3)}****${phone.slice(-4)}`;

describe('masking of the worker roster by clearance', () => {
  let server: TestServer;
  /** The roster as the admin sees it: every worker, unmasked. */
  let truth: RosterEntry[];
  let viewerAnswer: Answer<Roster>;

  const rosterAs = async (role: Role) => {
    const actor = await createActor(server.url, { role });
    const answer = await getAs<Roster>(server.url, '/api/v1/workers', actor.token);
    expect(answer.status, answer.text).toBe(200);
    return answer;
  };

  beforeAll(async () => {
    server = await startTestServer();
    truth = (await getAs<Roster>(server.url, '/api/v1/workers', server.token)).body.items;
    viewerAnswer = await rosterAs('viewer');
  });

  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
  });

  it('shows the admin every worker unmasked', () => {
    expect(truth.length).toBeGreaterThan(100);
    for (const w of truth) {
      expect(w.masked).toBe(false);
      expect(w.phone).toMatch(/^1\d{10}$/);
      expect(w.name).not.toContain('*');
    }
  });

  it('masks the name and phone of W-0001 for the wall as 董** and 138****6493', () => {
    expect(truth.find((w) => w.id === 'W-0001')).toMatchObject({ name: '董军军', phone: '13800386493' });
    expect(viewerAnswer.body.items.find((w) => w.id === 'W-0001')).toMatchObject({
      name: '董**',
      phone: '138****6493',
      masked: true,
    });
  });

  it("masks every worker's name and phone for the wall and keeps the other fields", () => {
    const { items, total } = viewerAnswer.body;
    expect(items.map((w) => w.id).sort()).toEqual(truth.map((w) => w.id).sort());
    expect(total).toBe(truth.length);
    for (const real of truth) {
      const seen = items.find((w) => w.id === real.id)!;
      expect(seen).toEqual({
        ...real,
        name: maskedName(real.name),
        phone: maskedPhone(real.phone),
        masked: true,
      });
    }
  });

  it("has no worker's real phone or full name anywhere in the wall's response", () => {
    expect(viewerAnswer.headers.get('content-type')).toMatch(/^application\/json/);
    for (const w of truth) {
      expect(viewerAnswer.text.includes(w.phone), `phone of ${w.id}`).toBe(false);
      expect(viewerAnswer.text.includes(w.name), `name of ${w.id}`).toBe(false);
    }
  });

  for (const role of ['admin', 'supervisor', 'operator'] as const) {
    it(`shows a city-wide ${role} the roster unmasked`, async () => {
      const { body } = await rosterAs(role);
      expect(body.items).toEqual(truth);
      expect(body.items.every((w) => !w.masked)).toBe(true);
    });
  }
});
