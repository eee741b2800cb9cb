/** Which app a page address starts: the grid worker's phone app, the operators' console, or the wall. */
export type AppKind = 'wall' | 'console' | 'worker';

/**
 * `/worker` and everything under it is the grid worker's app; `/console` and below is the
 * operators' console (the wall's data, interactive); any other path is the wall.
 */
export function appFor(pathname: string): AppKind {
  if (/^\/worker(?:\/|$)/.test(pathname)) return 'worker';
  if (/^\/console(?:\/|$)/.test(pathname)) return 'console';
  return 'wall';
}
