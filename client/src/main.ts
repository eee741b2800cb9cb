import '@fontsource/noto-sans-sc/400.css';
import '@fontsource/noto-sans-sc/700.css';
import { createPinia } from 'pinia';
import { createApp, watch } from 'vue';
import { onUnauthorized } from './api/http';
import { appFor } from './appFor';
import { useAuthStore } from './features/auth/auth.store';
import { liveSocket } from './socket/socket';

const pinia = createPinia();
const auth = useAuthStore(pinia);

// Any API call answering 401 means the session expired or was revoked: find out, and
// the page falls back to the sign-in view.
onUnauthorized(() => void auth.check());

/**
 * The wall (big screen), or the operators' console over the same live data. Loaded on its own so
 * that the worker's phone never downloads its charts.
 */
async function startWall(mode: 'wall' | 'console'): Promise<void> {
  const [{ default: App }, { useCityStore }, { bindLiveSocket }] = await Promise.all([
    import('./App.vue'),
    import('./features/city/city.store'),
    import('./socket/liveEvents'),
  ]);
  const city = useCityStore(pinia);

  // Handlers first: the socket connects as soon as someone is signed in, and the server
  // sends the snapshot right on connect.
  bindLiveSocket(liveSocket(), pinia);

  // Each sign-in loads the city again: what a user may see depends on who they are.
  watch(
    () => auth.status,
    (status) => {
      if (status === 'signed-in') void city.loadWithRetry();
    },
    { immediate: true },
  );

  createApp(App, { mode }).use(pinia).mount('#app');
}

/** The grid worker's phone app (`/worker`): its own socket binding and offline queue, no wall code. */
async function startWorker(): Promise<void> {
  const [{ default: WorkerApp }, { bindWorkerSocket }, { httpTransport }, { bindOutboxToSession }] =
    await Promise.all([
      import('./features/worker/WorkerApp.vue'),
      import('./socket/workerEvents'),
      import('./features/worker/outbox'),
      import('./features/worker/outboxSession'),
    ]);
  bindWorkerSocket(liveSocket(), pinia);
  // Each signed-in user gets their own offline queue: a shared phone never sends one worker's
  // actions in another's session.
  bindOutboxToSession(pinia, { transport: httpTransport() });
  createApp(WorkerApp).use(pinia).mount('#app');
}

const kind = appFor(window.location.pathname);
void (kind === 'worker' ? startWorker() : startWall(kind));

// The session first: until the server says who is signed in, nothing else is asked for.
void auth.checkWithRetry();
