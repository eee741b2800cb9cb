import type { Locale } from '../i18n/messages';

/**
 * Zone every time on the wall is shown in, whatever the zone of the PC that
 * drives the screen. The city pack may name another zone; this is the default.
 */
export const DISPLAY_TIME_ZONE = 'Asia/Shanghai';

// Building an Intl.DateTimeFormat is costly; the wall formats many times a second.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(kind: 'parts' | 'weekday', locale: Locale, timeZone: string): Intl.DateTimeFormat {
  const key = `${kind}|${locale}|${timeZone}`;
  let f = formatters.get(key);
  if (!f) {
    f =
      kind === 'parts'
        ? new Intl.DateTimeFormat('en-CA', {
            timeZone,
            year: 'numeric',
            month: '2-digit',
            day: '2-digit',
            hour: '2-digit',
            minute: '2-digit',
            second: '2-digit',
            // h23, not hour12: false, which some engines render as "24:00".
            hourCycle: 'h23',
          })
        : new Intl.DateTimeFormat(locale === 'zh' ? 'zh-CN' : 'en-GB', { timeZone, weekday: 'short' });
    formatters.set(key, f);
  }
  return f;
}

/** Wall-clock fields of an instant in a zone (numeric strings, zero-padded). */
export interface ZonedParts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
}

/** The calendar fields of `epochMs` as seen in `timeZone`. */
export function zonedParts(epochMs: number, timeZone: string = DISPLAY_TIME_ZONE): ZonedParts {
  const parts: ZonedParts = { year: '', month: '', day: '', hour: '', minute: '', second: '' };
  for (const p of formatter('parts', 'zh', timeZone).formatToParts(epochMs)) {
    if (p.type in parts) parts[p.type as keyof ZonedParts] = p.value;
  }
  return parts;
}

/** `HH:mm:ss` in the display zone. */
export function formatTime(epochMs: number, timeZone: string = DISPLAY_TIME_ZONE): string {
  const p = zonedParts(epochMs, timeZone);
  return `${p.hour}:${p.minute}:${p.second}`;
}

/** `YYYY-MM-DD 周六` / `YYYY-MM-DD Sat` in the display zone. */
export function formatDate(epochMs: number, locale: Locale, timeZone: string = DISPLAY_TIME_ZONE): string {
  const p = zonedParts(epochMs, timeZone);
  const weekday = formatter('weekday', locale, timeZone).format(epochMs);
  return `${p.year}-${p.month}-${p.day} ${weekday}`;
}
