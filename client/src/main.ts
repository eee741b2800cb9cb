import '@fontsource/noto-sans-sc/400.css';
import '@fontsource/noto-sans-sc/700.css';
import { createPinia } from 'pinia';
import { createApp, watch } from 'vue';
import App from './App.vue';
import { onUnauthorized } from './api/http';
import { useAuthStore } from './features/auth/auth.store';
import { useCityStore } from './features/city/city.store';
import { bindLiveSocket } from './socket/liveEvents';
import { liveSocket } from './socket/socket';

const pinia = createPinia();
const app = createApp(App).use(pinia);
const auth = useAuthStore(pinia);
const city = useCityStore(pinia);

// Any API call answering 401 means the session expired or was revoked: find out, and
// the wall falls back to the sign-in view.
onUnauthorized(() => void auth.check());

// Handlers first: the socket connects as soon as someone is signed in, and the server
// sends the snapshot right on connect.
bindLiveSocket(liveSocket(), pinia);

// Each sign-in loads the city again: what a user may see depends on who they are.
watch(
  () => auth.status,
  (status) => {
    if (status === 'signed-in') void city.loadWithRetry();
  },
);

app.mount('#app');

// The session first: until the server says who is signed in, nothing else is asked for.
void auth.checkWithRetry();
