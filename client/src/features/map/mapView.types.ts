import type { FeatureCollection } from 'geojson';
import type { Scope } from '@shared/schemas/live.schema';
import type { CellStatus, LayerGroup, LiveSourceId } from './layers';

/** What MapView exposes (template ref or its `ready` event) to whoever feeds the live layers. */
export interface MapViewApi {
  /**
   * Replace the features of a live source (properties: see ./layers.ts). Batched: a source takes at
   * most ~4 updates a second, the newest wins; calls before the map is ready are kept for it.
   */
  setSource(id: LiveSourceId, data: FeatureCollection): void;
  /**
   * Colour grid cells (by their worst open alert or an index colour). A cell not in `status` takes
   * its district's entry in `byDistrict`; cells left out of both are clear.
   */
  setCellStatus(status: ReadonlyMap<string, CellStatus>, byDistrict?: ReadonlyMap<string, CellStatus>): void;
  /** Switch a layer group on or off (the same as its toggle button). */
  setLayerGroup(group: LayerGroup, on: boolean): void;
  /**
   * Fly to a scope's outline (the whole city, a district or a grid cell from the pack the map drew)
   * and keep it in view on resizes until someone moves the map. A scope the pack does not hold
   * shows the city.
   */
  focus(scope: Scope): void;
  /** Fit the whole city in view again (the same as focusing the city). */
  fitCity(): void;
}
