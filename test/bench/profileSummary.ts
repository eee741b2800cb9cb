/**
 * Where a V8 CPU profile spent its time: self time per function and per file,
 * heaviest first. For the profiles `npm run bench -- --cpu-prof DIR` leaves
 * (one per thread of the server: the event loop, the SQLite writer, tsx's loader threads).
 *
 *   npx tsx test/bench/profileSummary.ts DIR/CPU.*.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** Microseconds since the previous sample. */
  timeDeltas: number[];
}

/** Shorten a script URL to the part that names it inside the repository or the package. */
function shortUrl(url: string): string {
  return url.replace(/^.*?\/(node_modules\/(?:@[^/]+\/)?[^/]+|server\/src|shared|simulators\/src)\//, '$1/');
}

function summarize(file: string, top: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const frame = nodes.get(id)?.callFrame;
    if (!frame) return;
    total += us;
    const where = shortUrl(frame.url);
    const fn = `${frame.functionName || '(anonymous)'}${where ? ` ${where}:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    const key = where || frame.functionName;
    byFile.set(key, (byFile.get(key) ?? 0) + us);
  });
  const lines = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, us]) =>
          `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`,
      )
      .join('\n');
  return `${file}: ${(total / 1000).toFixed(0)} ms sampled\n\nBy function (self time):\n${lines(byFunction)}\n\nBy file:\n${lines(byFile)}\n`;
}

const { values, positionals } = parseArgs({ options: { top: { type: 'string' } }, allowPositionals: true });
if (positionals.length === 0) {
  process.stderr.write('usage: tsx test/bench/profileSummary.ts FILE.cpuprofile… [--top N]\n');
  process.exit(2);
}
for (const file of positionals) process.stdout.write(`${summarize(file, Number(values.top ?? 25))}\n`);
