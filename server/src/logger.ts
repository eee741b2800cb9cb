import pino, { type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs (pino); pretty-printed for people when asked. */
export function createLogger(options: { level: string; pretty: boolean }): Logger {
  return pino({
    level: options.level,
    base: { app: 'cityops' },
    ...(options.pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } }
      : {}),
  });
}
