// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { Pinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import App from '../../client/src/App.vue';
import { useAuthStore } from '../../client/src/features/auth/auth.store';
import { apiError, respond, sessionInfo, stubApi } from './auth.fixtures';

describe('App', () => {
  let pinia: Pinia;

  beforeEach(() => {
    pinia = createPinia();
    setActivePinia(pinia);
  });
  afterEach(() => vi.unstubAllGlobals());

  function mountApp() {
    // The canvas charts have no place in a DOM emulation; their option builders are tested on their own.
    return mount(App, { global: { plugins: [pinia], stubs: { RateSparkline: true, WallChart: true } } });
  }

  it('shows neither the dashboard nor the form until the server has said who is signed in', () => {
    const w = mountApp();
    expect(w.find('[data-test="auth-checking"]').exists()).toBe(true);
    expect(w.find('[data-test="login"]').exists()).toBe(false);
    expect(w.find('[data-test="connection"]').exists()).toBe(false);
  });

  it('shows the sign-in view instead of the dashboard while signed out', async () => {
    stubApi({ 'GET /api/v1/auth/me': () => respond(apiError('unauthorized', 'no session'), 401) });
    const w = mountApp();

    await useAuthStore().check();
    await flushPromises();

    expect(w.find('[data-test="login"]').exists()).toBe(true);
    expect(w.find('[data-test="connection"]').exists()).toBe(false);
  });

  it('shows the dashboard once signed in', async () => {
    stubApi({ 'POST /api/v1/auth/login': () => respond(sessionInfo()) });
    const w = mountApp();

    await useAuthStore().login('zhang', 'correct horse battery');
    await flushPromises();

    expect(w.find('[data-test="login"]').exists()).toBe(false);
    expect(w.find('[data-test="connection"]').exists()).toBe(true);
    expect(w.get('[data-test="user-name"]').text()).toBe('张值班');
  });
});
