import { describe, expect, it } from 'vitest';
import { appFor } from '../../client/src/appFor';

describe('appFor', () => {
  it('starts the worker app at /worker and below it', () => {
    expect(appFor('/worker')).toBe('worker');
    expect(appFor('/worker/')).toBe('worker');
    expect(appFor('/worker/tasks/wo-1')).toBe('worker');
  });

  it('starts the console at /console and below it', () => {
    expect(appFor('/console')).toBe('console');
    expect(appFor('/console/alerts')).toBe('console');
  });

  it('starts the wall anywhere else, including paths that only begin with the same letters', () => {
    expect(appFor('/')).toBe('wall');
    expect(appFor('/workers')).toBe('wall');
    expect(appFor('/consoles')).toBe('wall');
    expect(appFor('/wall/worker')).toBe('wall');
  });
});
