import { z } from 'zod';

/** The default Mapbox style when a Mapbox access token is configured without a style. */
export const DEFAULT_MAPBOX_STYLE = 'mapbox://styles/mapbox/dark-v11';

/**
 * Which map engine the dashboard draws with. `maplibre` (the default) needs no network and no
 * token: the style is built in the browser from the city pack. `mapbox` (mapbox-gl v3) is chosen
 * only when the server is configured with a Mapbox access token; it loads the style and tiles from
 * Mapbox's servers, under the Mapbox Terms of Service.
 */
export const MapProviderConfigSchema = z.discriminatedUnion('provider', [
  z.object({ provider: z.literal('maplibre') }),
  z.object({
    provider: z.literal('mapbox'),
    /** Mapbox public access token (pk.…), handed to signed-in dashboards only. */
    token: z.string().min(1),
    /** Mapbox style URL (mapbox://styles/…). */
    style: z.string().min(1),
  }),
]);
export type MapProviderConfig = z.infer<typeof MapProviderConfigSchema>;

/** What a signed-in dashboard needs to know about the deployment (`GET /api/v1/client-config`). */
export const ClientConfigSchema = z.object({
  map: MapProviderConfigSchema,
});
export type ClientConfig = z.infer<typeof ClientConfigSchema>;
