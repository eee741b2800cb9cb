// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { Pinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useAuthStore } from '../../../../client/src/features/auth/auth.store';
import LoginView from '../../../../client/src/features/auth/LoginView.vue';
import { apiError, deferred, respond, sessionInfo, stubApi } from '../../auth.fixtures';

const LOGIN = 'POST /api/v1/auth/login';

describe('LoginView', () => {
  let pinia: Pinia;

  beforeEach(() => {
    pinia = createPinia();
    setActivePinia(pinia);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    localStorage.clear(); // the language choice persists
  });

  function mountView() {
    return mount(LoginView, { global: { plugins: [pinia] } });
  }

  async function signInAs(
    w: ReturnType<typeof mountView>,
    username: string,
    password: string,
  ): Promise<void> {
    await w.get('[data-test="username"]').setValue(username);
    await w.get('[data-test="password"]').setValue(password);
    await w.get('form').trigger('submit');
  }

  it('asks for username and password in Chinese, with hints for password managers', () => {
    const w = mountView();
    expect(w.text()).toContain('用户名');
    expect(w.text()).toContain('密码');
    expect(w.get('[data-test="submit"]').text()).toBe('登录');
    expect(w.get('[data-test="username"]').attributes('autocomplete')).toBe('username');
    const password = w.get('[data-test="password"]');
    expect(password.attributes('type')).toBe('password');
    expect(password.attributes('autocomplete')).toBe('current-password');
  });

  it('signs in with what was typed', async () => {
    const seen = stubApi({ [LOGIN]: () => respond(sessionInfo()) });
    const w = mountView();

    await signInAs(w, ' zhang ', 'correct horse battery');
    await flushPromises();

    expect(seen[0]?.body).toEqual({ username: 'zhang', password: 'correct horse battery' });
    expect(useAuthStore().status).toBe('signed-in');
  });

  it("says the password is wrong in Chinese, with the server's own words, and stays on the form", async () => {
    stubApi({ [LOGIN]: () => respond(apiError('unauthorized', 'wrong username or password'), 401) });
    const w = mountView();

    await signInAs(w, 'zhang', 'wrong');
    await flushPromises();

    expect(w.get('[data-test="login-error-title"]').text()).toBe('用户名或密码错误');
    expect(w.get('[data-test="login-error-detail"]').text()).toBe('wrong username or password');
    expect(w.find('[data-test="retry-after"]').exists()).toBe(false);
    expect(w.get('[data-test="submit"]').attributes('disabled')).toBeUndefined();
  });

  it("shows the lock, the server's words and when to try again when the account is locked", async () => {
    stubApi({
      [LOGIN]: () =>
        respond(apiError('forbidden', 'locked after 5 failed attempts'), 423, { 'retry-after': '30' }),
    });
    const w = mountView();

    await signInAs(w, 'zhang', 'wrong');
    await flushPromises();

    expect(w.get('[data-test="login-error-title"]').text()).toBe('账户已锁定');
    expect(w.get('[data-test="login-error-detail"]').text()).toBe('locked after 5 failed attempts');
    expect(w.get('[data-test="retry-after"]').text()).toBe('请 30 秒后重试');
  });

  it('does not repeat a server message that only says what the title says', async () => {
    stubApi({ [LOGIN]: () => respond(apiError('unauthorized', 'Wrong username or password'), 401) });
    const w = mountView();
    await w.get('button.lang').trigger('click');

    await signInAs(w, 'zhang', 'wrong');
    await flushPromises();

    expect(w.get('[data-test="login-error-title"]').text()).toBe('Wrong username or password');
    expect(w.find('[data-test="login-error-detail"]').exists()).toBe(false);
  });

  it('says so in its own words when the server cannot be reached', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        throw new TypeError('fetch failed');
      }),
    );
    const w = mountView();

    await signInAs(w, 'zhang', 'secret');
    await flushPromises();

    expect(w.get('[data-test="login-error-title"]').text()).toBe('无法连接服务器');
    expect(w.find('[data-test="login-error-detail"]').exists()).toBe(false);
  });

  it('disables the button while signing in', async () => {
    const answer = deferred<Response>();
    stubApi({ [LOGIN]: () => answer.promise });
    const w = mountView();

    await signInAs(w, 'zhang', 'secret');

    const button = w.get('[data-test="submit"]');
    expect(button.attributes('disabled')).toBeDefined();
    expect(button.text()).toBe('登录中…');
    answer.resolve(respond(apiError('unauthorized', 'wrong'), 401));
    await flushPromises();
    expect(button.attributes('disabled')).toBeUndefined();
    expect(button.text()).toBe('登录');
  });

  it('switches to English with the language button', async () => {
    const w = mountView();

    await w.get('button.lang').trigger('click');

    expect(w.text()).toContain('Username');
    expect(w.text()).toContain('Password');
    expect(w.get('[data-test="submit"]').text()).toBe('Sign in');
  });
});
