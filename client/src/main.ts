import '@fontsource/noto-sans-sc/400.css';
import '@fontsource/noto-sans-sc/700.css';
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { useCityStore } from './features/city/city.store';
import { bindLiveSocket } from './socket/liveEvents';
import { liveSocket } from './socket/socket';

const pinia = createPinia();
const app = createApp(App).use(pinia);

// Handlers first, then connect: the server sends the snapshot right on connect.
const socket = liveSocket();
bindLiveSocket(socket, pinia);
socket.connect();

void useCityStore(pinia).loadWithRetry();

app.mount('#app');
