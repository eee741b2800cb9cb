import type { Pinia } from 'pinia';
import { useConnectionStore } from '../features/connection/connection.store';
import { useLiveStore } from '../features/live/live.store';
import { useScopeStore } from '../features/scope/scope.store';

/**
 * A wall tab that nobody can see (hidden, minimised, frozen by the browser) stops applying reading
 * batches; when it is shown again it asks for a fresh snapshot instead of catching up on what piled
 * up meanwhile. Alerts, incidents and work orders keep flowing while hidden (few, and each one
 * matters); the snapshot replaces them anyway. Returns a function that unbinds it.
 */
export function bindVisibilityResync(
  pinia?: Pinia,
  doc: Document | undefined = globalThis.document,
): () => void {
  if (!doc) return () => {}; // no page (server-side tests): always visible
  const live = useLiveStore(pinia);
  const scope = useScopeStore(pinia);
  const connection = useConnectionStore(pinia);

  const page = doc;
  function onVisibilityChange(): void {
    const hidden = page.visibilityState === 'hidden';
    live.setPaused(hidden);
    if (!hidden && live.needsSnapshot && connection.status === 'connected') void scope.refresh();
  }

  onVisibilityChange();
  page.addEventListener('visibilitychange', onVisibilityChange);
  return () => {
    page.removeEventListener('visibilitychange', onVisibilityChange);
    live.setPaused(false);
  };
}
