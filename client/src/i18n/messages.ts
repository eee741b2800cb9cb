/**
 * UI strings, Chinese first. `zh` is the complete dictionary and defines the
 * keys; `en` may lag behind, and a missing English string falls back to the
 * Chinese one rather than showing a raw key on the wall.
 *
 * Placeholders are `{name}` and are filled by {@link translate}.
 */
export const zh = {
  'app.platform': '城市运行一网统管',
  'app.brand': 'CityOps',
  'app.cityLoading': '城市加载中…',

  'auth.checking': '正在验证身份…',
  'auth.heading': '用户登录',
  'auth.username': '用户名',
  'auth.password': '密码',
  'auth.submit': '登录',
  'auth.pending': '登录中…',
  'auth.retryAfter': '请 {n} 秒后重试',
  'auth.error.unauthorized': '用户名或密码错误',
  'auth.error.forbidden': '账户已锁定',
  'auth.error.overloaded': '尝试次数过多',
  'auth.error.network': '无法连接服务器',
  'auth.error.failed': '登录失败',
  'auth.signOut': '退出',

  'conn.connecting': '连接中',
  'conn.connected': '已连接',
  'conn.reconnecting': '重连中',
  'conn.disconnected': '已断开',

  'fresh.none': '暂无数据',
  'fresh.justNow': '数据 刚刚',
  'fresh.seconds': '数据 {n} 秒前',
  'fresh.minutes': '数据 {n} 分钟前',
  'fresh.hours': '数据 {n} 小时前',
  'fresh.stale': '已过期 STALE',
  'fresh.notLive': '数据非实时',

  'badge.simulated': '模拟数据 · SIMULATED',

  'scope.label': '范围',
  'scope.city': '全市',
  'scope.pending': '切换中…',
  'scope.failed': '切换失败：{code}',

  'lang.toggle': 'EN',
  'lang.toggleTitle': 'Switch to English',

  'live.rate': '读数/秒',
  'live.rateHint': '全平台 · 近 10 秒均值 · 2 分钟走势',
  'live.sensors': '传感器',
  'live.reporting': '近 2 分钟上报',
  'live.alerts': '未关闭告警',
  'live.incidents': '事件',
  'live.escalated': '已升级',
  'live.escalatedHint': '红色告警超时未确认，已升级至值班长',
  'live.muted': '静默/抑制',
  'live.mutedHint': '被静默（维护窗口）或被抑制的告警，不计入上方数量',
  'live.connections': '在线连接',
  'live.rejected': '拒收读数',
  'live.accepted': '累计接收',
  'live.platformWide': '全平台',
  'live.recent': '最新读数',
  'live.recentEmpty': '等待数据…',
  'live.col.time': '时间',
  'live.col.sensor': '传感器',
  'live.col.kind': '类型',
  'live.col.values': '数值',

  'kind.traffic': '交通',
  'kind.air': '空气',
  'kind.weather': '气象',
  'kind.grid-event': '城市部件',
  'kind.unknown': '未知',

  'severity.red': '红色',
  'severity.orange': '橙色',
  'severity.yellow': '黄色',
  'severity.blue': '蓝色',

  'value.on': '是',
  'value.off': '否',
} as const;

/** Every UI string key. */
export type MessageKey = keyof typeof zh;

/** English strings; a key left out here shows its Chinese text. */
export const en: Partial<Record<MessageKey, string>> = {
  'app.platform': 'Unified City Operations',
  'app.brand': 'CityOps',
  'app.cityLoading': 'Loading city…',

  'auth.checking': 'Checking sign-in…',
  'auth.heading': 'Sign in',
  'auth.username': 'Username',
  'auth.password': 'Password',
  'auth.submit': 'Sign in',
  'auth.pending': 'Signing in…',
  'auth.retryAfter': 'Try again in {n} s',
  'auth.error.unauthorized': 'Wrong username or password',
  'auth.error.forbidden': 'Account locked',
  'auth.error.overloaded': 'Too many attempts',
  'auth.error.network': 'Cannot reach the server',
  'auth.error.failed': 'Sign-in failed',
  'auth.signOut': 'Sign out',

  'conn.connecting': 'Connecting',
  'conn.connected': 'Connected',
  'conn.reconnecting': 'Reconnecting',
  'conn.disconnected': 'Disconnected',

  'fresh.none': 'No data yet',
  'fresh.justNow': 'Data just now',
  'fresh.seconds': 'Data {n} s ago',
  'fresh.minutes': 'Data {n} min ago',
  'fresh.hours': 'Data {n} h ago',
  'fresh.stale': 'STALE',
  'fresh.notLive': 'Not live',

  'badge.simulated': 'SIMULATED · 模拟数据',

  'scope.label': 'Scope',
  'scope.city': 'Whole city',
  'scope.pending': 'Switching…',
  'scope.failed': 'Switch failed: {code}',

  'lang.toggle': '中文',
  'lang.toggleTitle': '切换到中文',

  'live.rate': 'Readings/s',
  'live.rateHint': 'platform-wide · 10 s avg · last 2 min',
  'live.sensors': 'Sensors',
  'live.reporting': 'reported in 2 min',
  'live.alerts': 'Open alerts',
  'live.incidents': 'Incidents',
  'live.escalated': 'Escalated',
  'live.escalatedHint': 'Red alerts not acknowledged in time, escalated to supervisors',
  'live.muted': 'Muted',
  'live.mutedHint': 'Alerts silenced (maintenance window) or inhibited; not counted above',
  'live.connections': 'Connections',
  'live.rejected': 'Rejected',
  'live.accepted': 'Accepted',
  'live.platformWide': 'platform-wide',
  'live.recent': 'Latest readings',
  'live.recentEmpty': 'Waiting for data…',
  'live.col.time': 'Time',
  'live.col.sensor': 'Sensor',
  'live.col.kind': 'Kind',
  'live.col.values': 'Values',

  'kind.traffic': 'Traffic',
  'kind.air': 'Air',
  'kind.weather': 'Weather',
  'kind.grid-event': 'Assets',
  'kind.unknown': 'Unknown',

  'severity.red': 'Red',
  'severity.orange': 'Orange',
  'severity.yellow': 'Yellow',
  'severity.blue': 'Blue',

  'value.on': 'on',
  'value.off': 'off',
};

export const LOCALES = ['zh', 'en'] as const;
/** UI language. */
export type Locale = (typeof LOCALES)[number];

/** Values for `{name}` placeholders. */
export type MessageParams = Record<string, string | number>;

/** The string for `key` in `locale` (Chinese when English lacks it), placeholders filled. */
export function translate(locale: Locale, key: MessageKey, params?: MessageParams): string {
  const template = (locale === 'en' ? en[key] : undefined) ?? zh[key];
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

export function isLocale(value: unknown): value is Locale {
  return value === 'zh' || value === 'en';
}
