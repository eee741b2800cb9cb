import type { FeatureCollection } from 'geojson';
import type { CellStatus, LayerGroup, LiveSourceId } from './layers';

/** What MapView exposes (template ref or its `ready` event) to whoever feeds the live layers. */
export interface MapViewApi {
  /**
   * Replace the features of a live source (properties: see ./layers.ts). Batched: a source takes at
   * most ~4 updates a second, the newest wins; calls before the map is ready are kept for it.
   */
  setSource(id: LiveSourceId, data: FeatureCollection): void;
  /** Colour grid cells (by their worst open alert or an index colour); cells left out are clear. */
  setCellStatus(status: ReadonlyMap<string, CellStatus>): void;
  /** Switch a layer group on or off (the same as its toggle button). */
  setLayerGroup(group: LayerGroup, on: boolean): void;
  /** Fit the whole city in view again. */
  fitCity(): void;
}
