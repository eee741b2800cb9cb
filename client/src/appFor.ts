/** Which app a page address starts: the grid worker's phone app, or the wall. */
export type AppKind = 'wall' | 'worker';

/** `/worker` and everything under it is the grid worker's app; any other path is the wall. */
export function appFor(pathname: string): AppKind {
  return /^\/worker(?:\/|$)/.test(pathname) ? 'worker' : 'wall';
}
