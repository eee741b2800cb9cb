import { describe, expect, it } from 'vitest';
import { bboxOf, scopeBounds } from '../../../../client/src/features/map/focus';
import { tinyPack } from './map.fixtures';

describe('bboxOf', () => {
  it('spans the points given, and is null for none', () => {
    expect(
      bboxOf([
        [120.3, 30.1],
        [120.1, 30.4],
        [120.2, 30.2],
      ]),
    ).toEqual([120.1, 30.1, 120.3, 30.4]);
    expect(bboxOf([])).toBeNull();
  });
});

describe('scopeBounds', () => {
  it("gives the city's bounds, and the outline's bounds of a district or a cell", () => {
    const pack = tinyPack();
    const [, binjiang] = pack.districts;
    const [cell] = pack.gridCells;

    expect(scopeBounds(pack, { kind: 'city' })).toEqual(pack.meta.bbox);
    expect(scopeBounds(pack, { kind: 'district', id: binjiang!.id })).toEqual(
      bboxOf(binjiang!.polygon[0]![0]!),
    );
    expect(scopeBounds(pack, { kind: 'cell', id: cell!.id })).toEqual(bboxOf(cell!.polygon[0]!));
  });

  it('spans every part of a district of several polygons, but not the holes inside them', () => {
    const pack = tinyPack();
    const district = pack.districts[0]!;
    const island: [number, number][] = [
      [121, 31],
      [121.1, 31],
      [121.1, 31.1],
      [121, 31],
    ];
    const hole: [number, number][] = [
      [119, 29],
      [119.1, 29],
      [119.1, 29.1],
      [119, 29],
    ];
    const withIsland = {
      ...pack,
      districts: [{ ...district, polygon: [[district.polygon[0]![0]!, hole], [island]] }],
    };

    expect(scopeBounds(withIsland, { kind: 'district', id: district.id })).toEqual([
      120.1, 30.2, 121.1, 31.1,
    ]);
  });

  it('is null for a district or cell the pack does not hold', () => {
    expect(scopeBounds(tinyPack(), { kind: 'district', id: '330199' })).toBeNull();
    expect(scopeBounds(tinyPack(), { kind: 'cell', id: '330199001001001' })).toBeNull();
  });
});
