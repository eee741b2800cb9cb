import type { InhibitionDraft } from '@shared/schemas/silence.schema';

/**
 * Inhibition rules installed on an empty store. A power outage in a cell explains
 * the sensors there going silent or flat and its streetlights going dark: those
 * alerts are muted (still stored and visible as muted) while the outage fires.
 */
export const DEFAULT_INHIBITIONS: readonly InhibitionDraft[] = [
  {
    id: 'power-outage-mutes-offline',
    name: { zh: '停电抑制同网格设备离线', en: 'Power outage mutes offline sensors in its cell' },
    source: { event: ['power-outage'] },
    target: { ruleKind: ['noData', 'stuck', 'dataQuality'] },
    equal: ['gridCellId'],
    enabled: true,
  },
  {
    id: 'power-outage-mutes-streetlights',
    name: { zh: '停电抑制同网格路灯故障', en: 'Power outage mutes streetlight faults in its cell' },
    source: { event: ['power-outage'] },
    target: { ruleId: ['grid-streetlight-fault'] },
    equal: ['gridCellId'],
    enabled: true,
  },
];
