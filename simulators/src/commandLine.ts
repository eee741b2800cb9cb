import { parseArgs, type ParseArgsConfig } from 'node:util';

/** What a command line asks for: run with these values, or show the usage and exit. */
export type CommandLine<T extends ParseArgsConfig> =
  | { ok: true; parsed: ReturnType<typeof parseArgs<T>> }
  | {
      ok: false;
      /** 0 for `--help`, 2 for an argument error (as the commands' other argument errors). */
      code: 0 | 2;
      /** What to print: the usage, after a one-line error for an argument error. */
      text: string;
    };

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** A one-line message for an error of `parseArgs`, or null for any other error. */
function argumentError(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return null;
  const message = (err as Error).message;
  const arg = /'([^']*)'/.exec(message)?.[1]?.split(' ')[0];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && arg) return `${arg}: unknown option`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && arg) return `${arg}: unexpected argument`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && arg) {
    if (/argument missing/.test(message)) return `${arg}: needs a value`;
    if (/does not take an argument/.test(message)) return `${arg}: takes no value`;
  }
  // Anything else (an ambiguous value such as `--scenario --speed`): node's own first sentence.
  return message.split(/\n|\. /)[0]!;
}

/**
 * `parseArgs` (strict) for a command, with `--help`/`-h`: the usage on `--help` (even beside a
 * mistake), and on an unknown option, an unexpected argument or a missing value, one line naming
 * it and then the usage — instead of parseArgs' uncaught stack trace.
 */
export function readCommandLine<T extends ParseArgsConfig>(
  usage: string,
  config: T,
  args: readonly string[] = process.argv.slice(2),
): CommandLine<T> {
  const upToDashes = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  const help = upToDashes.some((a) => a === '--help' || a === '-h');
  try {
    const parsed = parseArgs({ ...config, args: [...args], options: { ...config.options, ...HELP } });
    const values = parsed.values as Record<string, unknown>;
    if (help || values['help']) return { ok: false, code: 0, text: usage };
    delete values['help'];
    return { ok: true, parsed: parsed as unknown as ReturnType<typeof parseArgs<T>> };
  } catch (err) {
    if (help) return { ok: false, code: 0, text: usage };
    const message = argumentError(err);
    if (message === null) throw err;
    return { ok: false, code: 2, text: `${message}\n\n${usage}` };
  }
}

/**
 * {@link readCommandLine} for the running process: returns the parsed arguments, or prints the
 * usage (stdout, exit 0) or the error and the usage (stderr, exit 2) and exits.
 */
export function parseCommandLine<T extends ParseArgsConfig>(
  usage: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  const line = readCommandLine(usage, config);
  if (line.ok) return line.parsed;
  (line.code === 0 ? process.stdout : process.stderr).write(
    line.text.endsWith('\n') ? line.text : `${line.text}\n`,
  );
  process.exit(line.code);
}
