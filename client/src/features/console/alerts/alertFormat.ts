import type { HttpError } from '../../../api/http';
import { DISPLAY_TIME_ZONE, zonedParts } from '../../../format/time.format';
import type { MessageKey } from '../../../i18n/messages';

/** `YYYY-MM-DD HH:mm:ss` in Asia/Shanghai, whatever the zone of the browser. */
export function formatDateTime(epochMs: number): string {
  const p = zonedParts(epochMs, DISPLAY_TIME_ZONE);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** `MM-DD HH:mm:ss` in Asia/Shanghai, for list rows. */
export function formatShortDateTime(epochMs: number): string {
  const p = zonedParts(epochMs, DISPLAY_TIME_ZONE);
  return `${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** What a refusal means for the operator, in the UI language (the server's own words are shown beside). */
export function errorKey(err: HttpError): MessageKey {
  if (err.status === 0) return 'console.alerts.error.network';
  if (err.status === 401) return 'console.alerts.error.signedOut';
  if (err.status === 403) return 'console.alerts.error.forbidden';
  if (err.status === 404) return 'console.alerts.error.notFound';
  if (err.status === 409) return 'console.alerts.error.conflict';
  if (err.status === 400 || err.status === 422) return 'console.alerts.error.invalid';
  if (err.status === 429 || err.status === 503) return 'console.alerts.error.busy';
  return 'console.alerts.error.failed';
}
