import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_CITY_PACK_DIR } from '../../server/src/cityPack/cityPack.loader';

/**
 * Copy the shipped city pack into `dir` with one of its files (a JSON array) rewritten by `edit`;
 * returns `dir`, ready for `CITY_PACK`. The caller owns `dir` and removes it.
 */
export function packWith(
  dir: string,
  file: string,
  edit: (items: Record<string, unknown>[]) => void,
): string {
  cpSync(DEFAULT_CITY_PACK_DIR, dir, { recursive: true });
  const items = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>[];
  edit(items);
  writeFileSync(path.join(dir, file), JSON.stringify(items));
  return dir;
}
