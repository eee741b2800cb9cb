import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** The repository root: CLIs run from here as `npm run …` would. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run a command from the repository root and collect its output. Killed (and the
 * promise rejected) after `timeoutMs`, so a hanging CLI fails its test instead of the run.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${command} ${args.join(' ')} did not finish in ${options.timeoutMs} ms\n${stdout}\n${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A command refused its arguments as our commands do: exit 2, nothing on stdout, and on stderr one
 * line naming the problem (`firstLine`), a blank line and the usage (starting `usageLine`), never
 * a stack trace.
 */
export function expectArgumentError(run: ProcessRun, firstLine: string, usageLine: string): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  const [first, blank, usage] = run.stderr.split('\n');
  expect(first).toBe(firstLine);
  expect(blank).toBe('');
  expect(usage).toBe(usageLine);
  expect(run.stderr).not.toMatch(/ERR_PARSE_ARGS|\bat .+:\d+:\d+/);
}
