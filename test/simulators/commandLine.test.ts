import { describe, expect, it } from 'vitest';
import { readCommandLine } from '../../simulators/src/commandLine';

const USAGE = 'Usage: tool [options]\n';
const config = {
  allowPositionals: true,
  options: { speed: { type: 'string' }, load: { type: 'boolean', default: false } },
} as const;
const read = (...args: string[]) => readCommandLine(USAGE, config, args);

describe('readCommandLine (the commands’ --help and argument errors)', () => {
  it('returns the values and positionals, without a help flag among them', () => {
    const line = read('--speed', '60', 'a.yaml');
    expect(line).toEqual({
      ok: true,
      parsed: { values: { speed: '60', load: false }, positionals: ['a.yaml'] },
    });
  });

  it('asks for the usage and exit 0 on --help or -h, even beside a mistake', () => {
    for (const args of [
      ['--help'],
      ['-h'],
      ['--speed', '60', '-h'],
      ['--nope', '--help'],
      ['--speed', '--help'],
    ])
      expect(read(...args), args.join(' ')).toEqual({ ok: false, code: 0, text: USAGE });
    // After `--` it is a file name, not a flag.
    expect(read('--', '--help')).toMatchObject({ ok: true, parsed: { positionals: ['--help'] } });
  });

  it('names the unknown option, the missing value or the stray argument on one line before the usage, exit 2', () => {
    expect(read('--nope')).toEqual({ ok: false, code: 2, text: `--nope: unknown option\n\n${USAGE}` });
    expect(read('-x')).toEqual({ ok: false, code: 2, text: `-x: unknown option\n\n${USAGE}` });
    expect(read('--speed')).toEqual({ ok: false, code: 2, text: `--speed: needs a value\n\n${USAGE}` });
    expect(read('--load=yes')).toEqual({ ok: false, code: 2, text: `--load: takes no value\n\n${USAGE}` });
    const noPositionals = readCommandLine(USAGE, { options: config.options }, ['stray']);
    expect(noPositionals).toEqual({ ok: false, code: 2, text: `stray: unexpected argument\n\n${USAGE}` });
  });
});
