/**
 * `npm run dev`: the server in watch mode (restarts on change, demo feed on)
 * and the Vite dev server with hot reload, which proxies /api and /socket.io
 * to it (vite.config.ts). Ctrl-C stops both.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const bin = (name: string) => new URL(`../../node_modules/.bin/${name}`, import.meta.url).pathname;

const children: ChildProcess[] = [
  spawn(bin('tsx'), ['watch', 'server/src/main.ts', '--demo'], {
    stdio: 'inherit',
    env: { ...process.env, PORT: '8080' },
  }),
  spawn(bin('vite'), [], { stdio: 'inherit' }),
];

let stopping = false;
function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  process.exitCode = code;
}
for (const c of children) c.on('exit', (code) => stop(code ?? 0));
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
