import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CityPack } from '../../shared/schemas/cityPack.schema';
import { loadCityPack } from '../../server/src/cityPack/cityPack.loader';
import { DEFAULT_RULES } from '../../server/src/domain/rules/defaultRules';
import { planBreaches, writeScaledCityPack } from './browserLoad';

describe('the browser bench city', () => {
  let dir: string;
  let written: CityPack;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cityops-scaled-pack-'));
    written = writeScaledCityPack(dir, 10_000);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a pack the server loader accepts with 10,000 distinct sensors', () => {
    const loaded = loadCityPack(dir);
    expect(loaded.sensors).toHaveLength(10_000);
    expect(new Set(loaded.sensors.map((s) => s.id)).size).toBe(10_000);
    expect(loaded.sensors.map((s) => s.id)).toEqual(written.sensors.map((s) => s.id));
  });

  it('places every copy inside its original cell, or on the original spot', () => {
    const cells = new Map(written.gridCells.map((c) => [c.id, c]));
    const byId = new Map(written.sensors.map((s) => [s.id, s]));
    const copies = written.sensors.filter((s) => /-C\d+$/.test(s.id));
    expect(copies.length).toBe(10_000 - 1_277);
    for (const copy of copies) {
      const original = byId.get(copy.id.replace(/-C\d+$/, ''))!;
      expect(copy.gridCellId).toBe(original.gridCellId);
      expect(copy.subtype).toBe(original.subtype);
      const cell = cells.get(copy.gridCellId!)!;
      const inside = booleanPointInPolygon(copy.location!, { type: 'Polygon', coordinates: cell.polygon });
      expect(inside || copy.location!.join() === original.location!.join()).toBe(true);
    }
  });

  it('plans 1,000 breaches, each past the first level of a default rule that fires without a pending time', () => {
    const plan = planBreaches(written.sensors, 1_000);
    expect(plan.size).toBe(1_000);
    const subtypeOf = new Map(written.sensors.map((s) => [s.id, s.subtype]));
    const bySubtype = new Map<string, number>();
    for (const [id, values] of plan) {
      const subtype = subtypeOf.get(id)!;
      bySubtype.set(subtype, (bySubtype.get(subtype) ?? 0) + 1);
      const rule = DEFAULT_RULES.find(
        (r) =>
          r.kind === 'threshold' &&
          r.scope?.subtypes?.includes(subtype) &&
          (r.params as { metric: string }).metric in values,
      );
      expect(rule, `a threshold rule for ${subtype}`).toBeDefined();
      expect(rule!.for).toBeUndefined();
      const { metric, levels } = rule!.params as {
        metric: string;
        levels: { op: string; value: number }[];
      };
      const v = values[metric]!;
      const first = levels[0]!;
      const breached = { '>': v > first.value, '>=': v >= first.value, '==': v === first.value }[first.op];
      expect(breached, `${id}: ${metric} = ${v} against ${first.op} ${first.value}`).toBe(true);
    }
    expect(Object.fromEntries(bySubtype)).toEqual({
      manhole: 300,
      streetlight: 250,
      'waste-bin': 200,
      waterlogging: 150,
      smoke: 100,
    });
  });

  it('refuses to plan more breaches than the pack has grid sensors for', () => {
    expect(() => planBreaches(written.sensors.slice(0, 1_277), 5_000)).toThrow(/too few grid-event sensors/);
  });
});
