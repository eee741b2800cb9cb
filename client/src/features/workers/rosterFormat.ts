import type { Locale } from '../../i18n/messages';

/** `彭玲娜（W-0135）` / `彭玲娜 (W-0135)`; the id alone when the roster does not name the worker. */
export function workerLabel(id: string, name: string | null | undefined, locale: Locale): string {
  if (!name) return id;
  return locale === 'en' ? `${name} (${id})` : `${name}（${id}）`;
}

/** Whether a phone number is whole (a `tel:` link can dial it) rather than masked (`138****6493`). */
export function isDialable(phone: string): boolean {
  return /^\+?\d{5,15}$/.test(phone);
}
