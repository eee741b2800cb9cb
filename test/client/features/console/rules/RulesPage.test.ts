// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { Role } from '@shared/access';
import type { Rule } from '@shared/schemas/rule.schema';
import { useAuthStore } from '../../../../../client/src/features/auth/auth.store';
import RulesPage from '../../../../../client/src/features/console/rules/RulesPage.vue';
import { draftOf, draftText } from '../../../../../client/src/features/console/rules/ruleDraft';
import { refusal, respond, sessionInfo, stubApi } from '../../../auth.fixtures';
import type { SeenRequest } from '../../../auth.fixtures';
import { freshPiniaEachTest } from '../../../pinia.fixtures';
import { backtestResult, rule, T0 } from './rules.fixtures';

type Routes = Record<string, (req: SeenRequest) => Response | Promise<Response>>;

const RULE = rule();
const OFFLINE = rule('device-offline', {
  name: { zh: '设备离线', en: 'Device offline' },
  kind: 'noData',
  enabled: false,
  params: { factor: 3, severity: 'blue' },
  version: 1,
});
const VERSIONS = 'GET /api/v1/rules/grid-waterlogging/versions';

describe('RulesPage', () => {
  const pinia = freshPiniaEachTest(T0);

  async function mountPage(routes: Routes = {}, role: Role = 'engineer') {
    const seen = stubApi({
      'GET /api/v1/auth/me': () => respond(sessionInfo(role)),
      'GET /api/v1/rules': () => respond({ items: [RULE, OFFLINE], total: 2 }),
      [VERSIONS]: () =>
        respond({
          items: [
            rule(),
            rule(undefined, {
              version: 2,
              reason: '初版调整',
              params: { metric: 'waterDepth', levels: [{ severity: 'red', op: '>=', value: 40 }] },
            }),
          ],
          total: 2,
        }),
      ...routes,
    });
    await useAuthStore().check();
    const w = mount(RulesPage, { global: { plugins: [pinia()], stubs: { BacktestChart: true } } });
    await flushPromises();
    return { w, seen };
  }

  async function openRule(routes: Routes = {}, role: Role = 'engineer') {
    const page = await mountPage(routes, role);
    await page.w.get('[data-test="rule-grid-waterlogging"]').trigger('click');
    await flushPromises();
    return page;
  }

  const sent = (seen: SeenRequest[], method: string) => seen.filter((r) => r.method === method);
  const editorText = (w: Awaited<ReturnType<typeof mountPage>>['w']) =>
    (w.get('[data-test="rule-json"]').element as HTMLTextAreaElement).value;

  it('lists the rules with their kind, levels, state and version', async () => {
    const { w } = await mountPage();
    const row = w.get('[data-test="rule-grid-waterlogging"]');
    const cells = row.findAll('td').map((td) => td.text());
    expect(cells.slice(0, 3)).toEqual(['grid-waterlogging', '道路积水', '阈值']);
    expect(row.findAll('.sev').map((s) => s.text())).toEqual(['红色', '黄色']);
    expect(row.get('[data-test="rule-state"]').text()).toBe('启用中');
    expect(cells[5]).toBe('v3');
    const offline = w.get('[data-test="rule-device-offline"]');
    expect(offline.get('[data-test="rule-state"]').text()).toBe('已停用');
    expect(offline.findAll('.sev').map((s) => s.text())).toEqual(['蓝色']);
  });

  it('shows rules read-only to a role without rules:manage', async () => {
    const { w } = await openRule({}, 'operator');
    expect(w.find('[data-test="read-only"]').exists()).toBe(true);
    expect(w.find('[data-test="rule-toggle"]').exists()).toBe(false);
    expect(w.get('[data-test="rule-json"]').attributes('readonly')).toBeDefined();
    expect(w.find('[data-test="rule-save"]').exists()).toBe(false);
    expect(w.find('[data-test="rule-backtest"]').exists()).toBe(false);
    expect(w.find('[data-test^="use-version-"]').exists()).toBe(false);
    // The definition and its history are still there to read.
    expect(JSON.parse(editorText(w))).toEqual(draftOf(RULE));
    expect(w.findAll('[data-test="rule-version"]')).toHaveLength(2);
  });

  describe('enable and disable', () => {
    it('disables a rule with a reason and shows its new version', async () => {
      const { w, seen } = await mountPage({
        'PATCH /api/v1/rules/grid-waterlogging': () =>
          respond(rule(undefined, { enabled: false, version: 4 })),
      });
      await w.get('[data-test="rule-grid-waterlogging"] [data-test="rule-toggle"]').trigger('click');
      await w.get('[data-test="toggle-form"] form').trigger('submit');
      await flushPromises();
      expect(w.find('[data-test="toggle-missing"]').exists()).toBe(true);
      expect(sent(seen, 'PATCH')).toEqual([]);

      await w.get('[data-test="toggle-reason"]').setValue('汛期结束');
      await w.get('[data-test="toggle-form"] form').trigger('submit');
      await flushPromises();

      expect(sent(seen, 'PATCH').map((r) => [r.path, r.body])).toEqual([
        ['/api/v1/rules/grid-waterlogging', { enabled: false, reason: '汛期结束' }],
      ]);
      const row = w.get('[data-test="rule-grid-waterlogging"]');
      expect(row.get('[data-test="rule-state"]').text()).toBe('已停用');
      expect(row.findAll('td')[5]!.text()).toBe('v4');
      expect(w.find('[data-test="toggle-form"]').exists()).toBe(false);
    });

    it('shows a refused toggle inline', async () => {
      const { w } = await mountPage({
        'PATCH /api/v1/rules/device-offline': () =>
          refusal(400, 'invalid_request', 'invalid body', [
            { path: 'reason', message: 'say why (kept with the version and audited)' },
          ]),
      });
      await w.get('[data-test="rule-device-offline"] [data-test="rule-toggle"]').trigger('click');
      await w.get('[data-test="toggle-reason"]').setValue(' x ');
      await w.get('[data-test="toggle-form"] form').trigger('submit');
      await flushPromises();
      expect(w.get('[data-test="toggle-form"] [data-test="problem-detail"]').text()).toBe(
        'reason: say why (kept with the version and audited)',
      );
    });
  });

  describe('edit', () => {
    it('pre-fills the editor with the rule as PUT takes it', async () => {
      const { w } = await openRule();
      expect(editorText(w)).toBe(draftText(RULE));
      expect(JSON.parse(editorText(w))).not.toHaveProperty('version');
      expect(w.get('[data-test="rule-save"]').attributes('disabled')).toBeDefined();
    });

    it('sends the edited document with the reason and the version it started from', async () => {
      const saved = rule(undefined, { version: 4, for: 300, reason: '延长持续时间' });
      const { w, seen } = await openRule({ 'PUT /api/v1/rules/grid-waterlogging': () => respond(saved) });
      await w.get('[data-test="rule-json"]').setValue(editorText(w).replace('"for": 120', '"for": "5m"'));
      await w.get('[data-test="rule-save"]').trigger('click');
      expect(w.find('[data-test="reason-missing"]').exists()).toBe(true);

      await w.get('[data-test="rule-reason"]').setValue('延长持续时间');
      await w.get('[data-test="rule-save"]').trigger('click');
      await flushPromises();

      expect(sent(seen, 'PUT').map((r) => [r.path, r.body])).toEqual([
        [
          '/api/v1/rules/grid-waterlogging',
          { rule: { ...draftOf(RULE), for: '5m' }, reason: '延长持续时间', expectedVersion: 3 },
        ],
      ]);
      expect(w.get('[data-test="rule-saved"]').text()).toBe('已保存为第 4 版');
      expect(editorText(w)).toBe(draftText(saved));
      // The history is asked again: it has a new version.
      expect(seen.filter((r) => r.path === '/api/v1/rules/grid-waterlogging/versions')).toHaveLength(2);
    });

    it('shows a 400 inline by path and highlights the offending line', async () => {
      const { w } = await openRule({
        'PUT /api/v1/rules/grid-waterlogging': () =>
          refusal(
            400,
            'invalid_request',
            'invalid rule: params.levels.0.value: Invalid input: expected number, received string',
            [
              {
                path: 'rule.params.levels.0.value',
                message: 'Invalid input: expected number, received string',
              },
              { path: 'rule.(root)', message: 'Unrecognized key: "colour"' },
            ],
          ),
      });
      const text = editorText(w)
        .replace('"value": 27', '"value": "27"')
        .replace('"for": 120', '"for": 120,\n  "colour": "red"');
      await w.get('[data-test="rule-json"]').setValue(text);
      await w.get('[data-test="rule-reason"]').setValue('改阈值');
      await w.get('[data-test="rule-save"]').trigger('click');
      await flushPromises();

      const issues = w.findAll('[data-test="rule-issue"]');
      expect(issues.map((i) => i.text().replace(/\s+/g, ' '))).toEqual([
        'params.levels.0.value: Invalid input: expected number, received string (第 20 行)',
        '(root): Unrecognized key: "colour" (第 32 行)',
      ]);
      const lineOf = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
      expect(lineOf('"value": "27"')).toBe(20);
      expect(lineOf('"colour"')).toBe(32);
      expect(w.findAll('[data-test="bad-line"]').map((l) => l.text())).toEqual(['20', '32']);
      expect(w.get('[data-test="rule-json"]').attributes('aria-invalid')).toBe('true');
    });

    it('points at the line of a JSON syntax error without asking the server', async () => {
      const { w, seen } = await openRule();
      await w
        .get('[data-test="rule-json"]')
        .setValue(editorText(w).replace('"kind": "threshold",', '"kind": "threshold"'));
      await w.get('[data-test="rule-reason"]').setValue('改');
      await w.get('[data-test="rule-save"]').trigger('click');
      await flushPromises();

      expect(w.get('[data-test="json-error"]').text()).toContain('第 8 行');
      expect(w.findAll('[data-test="bad-line"]').map((l) => l.text())).toEqual(['8']);
      expect(sent(seen, 'PUT')).toEqual([]);
    });

    it('loads an older version into the editor', async () => {
      const { w } = await openRule();
      const versions = w.findAll('[data-test="rule-version"]');
      expect(versions.map((v) => v.find('strong').text())).toEqual(['第 3 版', '第 2 版']);
      await w.get('[data-test="use-version-2"]').trigger('click');
      expect(JSON.parse(editorText(w)).params).toEqual({
        metric: 'waterDepth',
        levels: [{ severity: 'red', op: '>=', value: 40 }],
      });
      expect(w.get('[data-test="rule-save"]').attributes('disabled')).toBeUndefined();
    });
  });

  describe('backtest', () => {
    it('replays the stored rule over the last 24 hours and shows what it would raise', async () => {
      const result = backtestResult({
        alertsTotal: 2,
        bySeverity: { red: 1, orange: 0, yellow: 1, blue: 0 },
        alerts: [
          {
            subject: { type: 'sensor', id: 'WL-0007' },
            sensorId: 'WL-0007',
            severity: 'yellow',
            maxSeverity: 'red',
            startsAt: T0 - 3 * 3_600_000,
            firingAt: T0 - 3 * 3_600_000 + 120_000,
            resolvedAt: T0 - 2 * 3_600_000,
            value: 31.5,
            flapping: false,
          },
          {
            subject: { type: 'sensor', id: 'WL-0008' },
            sensorId: 'WL-0008',
            severity: 'yellow',
            maxSeverity: 'yellow',
            startsAt: T0 - 3_600_000,
            firingAt: T0 - 3_600_000 + 120_000,
            value: 28,
            flapping: true,
          },
        ],
        warnings: ['readings before 2026-11-18 are gone (retention)'],
      });
      const { w, seen } = await openRule({ 'POST /api/v1/rules/backtest': () => respond(result) });
      await w.get('[data-test="backtest-stored"]').trigger('click');
      await flushPromises();

      expect(sent(seen, 'POST').map((r) => r.body)).toEqual([
        { ruleId: 'grid-waterlogging', from: T0 - 86_400_000, to: T0 },
      ]);
      expect(w.get('[data-test="backtest-summary"]').text()).toBe(
        '回放 41234 条读数、52 个传感器：将产生 2 条告警，4 次未达持续时间',
      );
      expect(w.get('[data-test="backtest-red"]').text()).toBe('红色 1');
      expect(w.get('[data-test="backtest-warning"]').text()).toBe(
        'readings before 2026-11-18 are gone (retention)',
      );
      expect(w.findComponent({ name: 'BacktestChart' }).exists()).toBe(true);
      const rows = w.findAll('[data-test="backtest-alert"]');
      expect(rows[0]!.findAll('td').map((td) => td.text())).toEqual([
        'WL-0007',
        '红色',
        '2026-11-21 13:02:00',
        '2026-11-21 14:00:00',
        '31.5',
      ]);
      expect(rows[1]!.text()).toContain('未恢复');
      expect(rows[1]!.text()).toContain('抖动');
    });

    it('replays the edited draft over the chosen range', async () => {
      const { w, seen } = await openRule({ 'POST /api/v1/rules/backtest': () => respond(backtestResult()) });
      expect(w.find('[data-test="backtest-draft"]').exists()).toBe(false);
      await w.get('[data-test="rule-json"]').setValue(editorText(w).replace('"value": 50', '"value": 45'));
      await w.get('[data-test="backtest-range"]').setValue('6');
      await w.get('[data-test="backtest-draft"]').trigger('click');
      await flushPromises();

      const body = sent(seen, 'POST')[0]?.body as { rule: Rule; from: number; to: number };
      expect(body.from).toBe(T0 - 6 * 3_600_000);
      expect(body.to).toBe(T0);
      expect(body.rule).toMatchObject({ id: 'grid-waterlogging', params: { levels: [{}, { value: 45 }] } });
      expect(w.get('[data-test="backtest-none"]').text()).toBe('该时段内不会产生告警');
    });

    it('says when to try again when backtests are busy', async () => {
      const { w } = await openRule({
        'POST /api/v1/rules/backtest': () =>
          respond({ error: { code: 'overloaded', message: 'two backtests are running', details: [] } }, 503, {
            'retry-after': '5',
          }),
      });
      await w.get('[data-test="backtest-stored"]').trigger('click');
      await flushPromises();
      expect(w.get('[data-test="rule-backtest"] [data-test="problem-hint"]').text()).toBe(
        '回测繁忙，请 5 秒后重试',
      );
      expect(w.get('[data-test="rule-backtest"] [data-test="problem-message"]').text()).toBe(
        'two backtests are running',
      );
    });
  });
});
