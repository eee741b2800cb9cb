import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { CityPackMeta } from '@shared/schemas/cityPack.schema';
import type { I18nName } from '@shared/schemas/common.schema';
import type { District } from '@shared/schemas/geo.schema';
import { getJson } from '../../api/http';
import { DISPLAY_TIME_ZONE } from '../../format/time.format';

/** A district as the scope selector needs it (outlines are not kept: they are large and unused here). */
export interface DistrictOption {
  /** 6-digit administrative code. */
  id: string;
  name: I18nName;
}

/** How long to wait before asking again when the server is not up yet, ms. */
export const CITY_RETRY_MS = 5_000;

/** The city the platform serves: pack metadata and its districts. */
export const useCityStore = defineStore('city', () => {
  /** City pack metadata from `GET /api/v1/city`; null until loaded. */
  const meta = shallowRef<CityPackMeta | null>(null);
  /** Districts by administrative code, from `GET /api/v1/districts`. */
  const districts = shallowRef<readonly DistrictOption[]>([]);
  /** Error code of the last failed load; null once loaded. */
  const loadError = ref<string | null>(null);

  /** IANA zone times are shown in. */
  const timeZone = computed(() => meta.value?.timezone ?? DISPLAY_TIME_ZONE);

  /** Load city and districts once; false when the server could not be reached or refused. */
  async function load(): Promise<boolean> {
    try {
      const [city, page] = await Promise.all([
        getJson<CityPackMeta>('/api/v1/city'),
        getJson<{ items: District[]; total: number }>('/api/v1/districts'),
      ]);
      meta.value = city;
      districts.value = page.items
        .map((d) => ({ id: d.id, name: d.name }))
        .sort((a, b) => a.id.localeCompare(b.id));
      loadError.value = null;
      return true;
    } catch (err) {
      loadError.value = err instanceof Error && 'code' in err ? String(err.code) : 'internal';
      return false;
    }
  }

  /**
   * Load, retrying until it works: a wall may come up before the server does.
   * Stops when nobody is signed in (a retry cannot fix that; signing in loads again).
   */
  async function loadWithRetry(retryMs: number = CITY_RETRY_MS): Promise<void> {
    while (!(await load()) && loadError.value !== 'unauthorized')
      await new Promise((resolve) => setTimeout(resolve, retryMs));
  }

  return { meta, districts, loadError, timeZone, load, loadWithRetry };
});
