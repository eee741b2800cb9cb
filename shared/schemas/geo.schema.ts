import { z } from 'zod';
import {
  DistrictIdSchema,
  GridCellIdSchema,
  I18nNameSchema,
  LngLatSchema,
  MultiPolygonCoordsSchema,
  PolygonCoordsSchema,
} from './common.schema';

/**
 * 区 — a district, identified by its 6-digit administrative division code
 * (GB/T 2260, e.g. 330106 for 西湖区).
 */
export const DistrictSchema = z.object({
  id: DistrictIdSchema,
  name: I18nNameSchema,
  /** Outline as GeoJSON MultiPolygon coordinates (WGS-84 / GCJ-02 as the source gives it; see the city pack). */
  polygon: MultiPolygonCoordsSchema,
  /** Label / centre point. */
  centroid: LngLatSchema,
  /** Area in km². */
  areaKm2: z.number().nonnegative(),
});
export type District = z.infer<typeof DistrictSchema>;

/**
 * 单元网格 — a unit grid cell. Its id is the 15-digit hierarchical code
 * (6 district + 3 street + 3 community + 3 sequence, as Beijing uses).
 */
export const GridCellSchema = z.object({
  id: GridCellIdSchema,
  districtId: DistrictIdSchema,
  /** 街道 code: district code + 3 digits. */
  streetCode: z.string().regex(/^\d{9}$/),
  /** 社区 code: street code + 3 digits. */
  communityCode: z.string().regex(/^\d{12}$/),
  name: I18nNameSchema,
  streetName: I18nNameSchema,
  communityName: I18nNameSchema,
  /** Outline as GeoJSON Polygon coordinates. */
  polygon: PolygonCoordsSchema,
  centroid: LngLatSchema,
  /** Area in m². */
  areaM2: z.number().nonnegative(),
});
export type GridCell = z.infer<typeof GridCellSchema>;
