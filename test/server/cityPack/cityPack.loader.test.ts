import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { booleanPointInPolygon, multiPolygon, polygon } from '@turf/turf';
import { afterAll, describe, expect, it } from 'vitest';
import { METRICS } from '@shared/metrics';
import type { MetricId } from '@shared/metrics';
import {
  CITY_PACKS_ROOT,
  DEFAULT_CITY_PACK_DIR,
  loadCityPack,
  resolveCityPackDir,
} from '../../../server/src/cityPack/cityPack.loader';
import { packWith as copyPackWith } from '../../helpers/cityPack';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUILD_SCRIPT = path.join(ROOT, 'server/scripts/buildCityPack.ts');

const tmpDirs: string[] = [];
function tmpDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'citypack-'));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the shipped pack with one file rewritten. */
const packWith = (file: string, edit: (items: Record<string, unknown>[]) => void): string =>
  copyPackWith(tmpDir(), file, edit);

const pack = loadCityPack(DEFAULT_CITY_PACK_DIR);

describe('resolveCityPackDir', () => {
  it('maps a bare name to server/citypacks/<name>', () => {
    expect(resolveCityPackDir('hangzhou')).toBe(DEFAULT_CITY_PACK_DIR);
    expect(resolveCityPackDir('ningbo')).toBe(path.join(CITY_PACKS_ROOT, 'ningbo'));
    expect(DEFAULT_CITY_PACK_DIR).toBe(path.join(ROOT, 'server/citypacks/hangzhou'));
  });

  it('takes anything with a slash as a path', () => {
    expect(resolveCityPackDir('/srv/packs/x')).toBe('/srv/packs/x');
    expect(resolveCityPackDir('./packs/x')).toBe(path.resolve('packs/x'));
  });

  it('refuses bare names that could leave the packs folder', () => {
    expect(() => resolveCityPackDir('..')).toThrow(/not valid/);
    expect(() => resolveCityPackDir('')).toThrow(/not valid/);
  });
});

describe('shipped Hangzhou pack', () => {
  it('loads and validates', () => {
    expect(pack.meta.id).toBe('hangzhou');
    expect(pack.meta.adcode).toBe('330100');
    expect(pack.meta.coordinateSystem).toBe('GCJ-02');
    expect(pack.districts.map((d) => d.id)).toEqual([
      '330102',
      '330103',
      '330104',
      '330105',
      '330106',
      '330108',
    ]);
    expect(pack.gridCells.length).toBeGreaterThanOrEqual(600);
    expect(pack.gridCells.length).toBeLessThanOrEqual(900);
    expect(pack.roads.length).toBeGreaterThanOrEqual(15);
    expect(pack.sensors.length).toBeGreaterThanOrEqual(1200);
    expect(pack.sensors.length).toBeLessThanOrEqual(1600);
    expect(pack.workers.length).toBeGreaterThan(0);
  });

  it('places every sensor inside the polygon of its grid cell', () => {
    const cells = new Map(pack.gridCells.map((c) => [c.id, c]));
    const outside = pack.sensors.filter((s) => {
      const cell = s.gridCellId ? cells.get(s.gridCellId) : undefined;
      return (
        !s.location ||
        !cell ||
        cell.districtId !== s.districtId ||
        !booleanPointInPolygon(s.location, polygon(cell.polygon))
      );
    });
    expect(outside.map((s) => s.id)).toEqual([]);
    expect(pack.sensors.every((s) => !s.autoRegistered)).toBe(true);
  });

  it('places every cell (its centroid and cell) inside its district', () => {
    const districts = new Map(pack.districts.map((d) => [d.id, multiPolygon(d.polygon)]));
    const wrong = pack.gridCells.filter((c) => {
      const district = districts.get(c.districtId);
      return (
        !district ||
        !booleanPointInPolygon(c.centroid, district) ||
        !booleanPointInPolygon(c.centroid, polygon(c.polygon))
      );
    });
    expect(wrong.map((c) => c.id)).toEqual([]);
  });

  it('gives cells hierarchical codes: district ⊂ street ⊂ community ⊂ cell', () => {
    for (const c of pack.gridCells) {
      expect(c.id.startsWith(c.communityCode)).toBe(true);
      expect(c.communityCode.startsWith(c.streetCode)).toBe(true);
      expect(c.streetCode.startsWith(c.districtId)).toBe(true);
    }
    expect(new Set(pack.gridCells.map((c) => c.id)).size).toBe(pack.gridCells.length);
  });

  it('reports every metric in its catalog unit', () => {
    for (const s of pack.sensors) {
      for (const m of s.metrics)
        expect(m.unit, `${s.id} ${m.metric}`).toBe(METRICS[m.metric as MetricId].unit);
    }
  });

  it('covers every cell with a worker of the same district, 3–8 cells each', () => {
    const cells = new Map(pack.gridCells.map((c) => [c.id, c]));
    const covered = new Set<string>();
    for (const w of pack.workers) {
      expect(w.gridCellIds.length).toBeGreaterThanOrEqual(3);
      expect(w.gridCellIds.length).toBeLessThanOrEqual(8);
      for (const id of w.gridCellIds) {
        expect(cells.get(id)?.districtId).toBe(w.districtId);
        covered.add(id);
      }
    }
    expect(covered.size).toBe(pack.gridCells.length);
  });

  it('gives traffic detectors a road with the free-flow speed of its class', () => {
    const freeFlow = { expressway: 65, arterial: 40, secondary: 35 };
    const detectors = pack.sensors.filter((s) => s.subtype === 'loop-detector');
    expect(detectors.length).toBeGreaterThan(100);
    for (const s of detectors) {
      expect(s.road).toBeDefined();
      expect(s.road?.freeFlowKmh).toBe(freeFlow[s.road!.class]);
    }
  });
});

describe('loadCityPack', () => {
  it('rejects a pack with a dangling gridCellId, naming the file and the sensor', () => {
    const dir = packWith('sensors.json', (sensors) => {
      sensors[0]!.gridCellId = '330102999999999';
    });
    const id = pack.sensors[0]!.id;
    expect(() => loadCityPack(dir)).toThrow(
      new RegExp(`sensors\\.json: sensor ${id}: gridCellId 330102999999999`),
    );
  });

  it('rejects a worker covering a cell that does not exist', () => {
    const dir = packWith('workers.json', (workers) => {
      workers[1]!.gridCellIds = ['330199001001001'];
    });
    expect(() => loadCityPack(dir)).toThrow(
      /workers\.json: worker W-0002: grid cell 330199001001001 does not exist/,
    );
  });

  it('rejects duplicate cell and sensor ids', () => {
    const cellsDir = packWith('gridCells.json', (cells) => {
      cells[1]!.id = cells[0]!.id;
    });
    expect(() => loadCityPack(cellsDir)).toThrow(/gridCells\.json: duplicate cell id/);
    const sensorsDir = packWith('sensors.json', (sensors) => {
      sensors[1]!.id = sensors[0]!.id;
    });
    expect(() => loadCityPack(sensorsDir)).toThrow(/sensors\.json: duplicate sensor id/);
  });

  it('names the file and the zod issue path when the schema fails', () => {
    const dir = packWith('workers.json', (workers) => {
      workers[0]!.phone = '12345';
    });
    expect(() => loadCityPack(dir)).toThrow(/workers\.json: \[0\] \(W-0001\)\.phone/);
  });

  it('names the file that is missing or not JSON', () => {
    const dir = tmpDir();
    cpSync(DEFAULT_CITY_PACK_DIR, dir, { recursive: true });
    writeFileSync(path.join(dir, 'roads.json'), '[{');
    expect(() => loadCityPack(dir)).toThrow(/roads\.json is not valid JSON/);
    rmSync(path.join(dir, 'meta.json'));
    expect(() => loadCityPack(dir)).toThrow(/cannot read meta\.json/);
  });
});

describe('buildCityPack script', () => {
  it('regenerates the shipped files byte for byte', () => {
    const out = tmpDir();
    execFileSync(process.execPath, ['--import', 'tsx', BUILD_SCRIPT, '--out', out], {
      cwd: ROOT,
      stdio: 'pipe',
    });
    const shipped = readdirSync(DEFAULT_CITY_PACK_DIR).sort();
    expect(readdirSync(out).sort()).toEqual(shipped);
    for (const file of shipped) {
      const same = readFileSync(path.join(out, file)).equals(
        readFileSync(path.join(DEFAULT_CITY_PACK_DIR, file)),
      );
      expect(same, `${file} differs from a fresh build`).toBe(true);
    }
  });
});
