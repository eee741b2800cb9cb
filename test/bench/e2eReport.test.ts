import { describe, expect, it } from 'vitest';
import type { ReferenceRow } from './brokerReference';
import {
  compare,
  endToEndTable,
  latencyText,
  ratio,
  referenceTable,
  rowTitle,
  shareText,
  targetLines,
  targetsTable,
  timesText,
} from './e2eReport';
import type { E2eRow, Transport } from './endToEnd';
import type { ProcDelta } from './procStats';
import { resultsTable, targetText, verdictOf } from './report';
import type { RowResult } from './rows';
import { distribution, percentile } from './stats';

const PROC: ProcDelta = {
  wallSec: 10,
  rssBeforeMb: 200,
  rssAfterMb: 210,
  cpuSec: 5,
  cpuPct: 50,
  mainPct: 30,
  busiestOtherPct: 15,
  benchPct: 40,
  othersPct: 3,
};

const lat = (p50: number, p99: number, count = 1000) => ({ count, p50, p95: p99, p99, max: p99, mean: p50 });

function ref(
  over: Partial<ReferenceRow> & Pick<ReferenceRow, 'broker' | 'shape' | 'offeredPerSec'>,
): ReferenceRow {
  return {
    brokerVersion: '1',
    readingsPerSec: over.offeredPerSec ?? 150_000,
    messagesPerSec: 0,
    latencyMs: lat(0.5, 2),
    load: {
      sent: 1,
      skipped: 0,
      acked: 1,
      failed: 0,
      unfinished: 0,
      readingsAcked: 1,
      elapsedMs: 5000,
      firstFailure: null,
    },
    sendLateMs: lat(0, 0),
    unmatched: 0,
    durationMs: 5000,
    proc: PROC,
    warnings: [],
    ...over,
  };
}

function row(transport: Transport, offeredPerSec: number, over: Partial<E2eRow> = {}): E2eRow {
  return {
    id: `e2e-${transport}-${offeredPerSec / 1000}k`,
    transport,
    shape: transport === 'mqtt-single' ? 'single' : 'batched',
    offeredPerSec,
    achievedPerSec: offeredPerSec,
    durationMs: 10_000,
    counts: {
      published: 100,
      acknowledged: 100,
      skipped: 0,
      failed: 0,
      received: 100,
      accepted: 98,
      rejected: 2,
      duplicates: 0,
    },
    screenMs: { count: 5000, p50: 60, p99: 120, max: 150, mean: 62 },
    screenCoverage: 0.97,
    alertMs: lat(10, 30),
    alertSplit: { raisedMs: lat(4, 12), deliveredMs: lat(6, 18), firstDeliveredMs: lat(2, 5) },
    alerts: { injected: 20, expected: 1000, received: 1000, otherPerClient: 0 },
    loopLagMs: { windowSec: 10, samples: 990, p50Ms: 0.5, p99Ms: 8, maxMs: 20, meanMs: 1 },
    server: PROC,
    rssPeakMb: 300,
    dashboards: { cpuPct: 20, clients: 50, disconnects: 0, loopLagP99Ms: 3, early: 0 },
    sendLateMs: lat(0.2, 1),
    warnings: [],
    ...over,
  };
}

describe('percentile', () => {
  it('takes the nearest rank of an ascending sample', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarises an unsorted sample', () => {
    expect(distribution([5, 1, 4, 2, 3])).toMatchObject({ count: 5, p50: 3, p99: 5, max: 5, mean: 3 });
  });
});

describe('verdicts against a target', () => {
  const p99 = { kind: 'max', value: 50, unit: 'ms' } as const;
  const share = { kind: 'min', value: 75_000, unit: 'readings/s' } as const;

  it('lets a figure exactly at the limit meet it, either way', () => {
    expect(verdictOf(50, p99)).toBe('✓ at the limit');
    expect(verdictOf(75_000, share)).toBe('✓ at the limit');
  });

  it('says by how much a figure is inside or outside the limit', () => {
    expect(verdictOf(49.5, p99)).toBe('✓ 0.5 ms under');
    expect(verdictOf(52.5, p99)).toBe('✗ +2.5 ms over (+5 %)');
    expect(verdictOf(90_000, share)).toBe('✓ +20 %');
    expect(verdictOf(60_000, share)).toBe('✗ 20 % short (−15,000 readings/s)');
    expect(verdictOf(1, null)).toBe('—');
  });

  it('writes the comparison it makes: ≤ for a maximum, ≥ for a minimum', () => {
    expect(targetText(p99)).toBe('≤ 50 ms');
    expect(targetText(share)).toBe('≥ 75,000 readings/s');
    expect(targetText({ kind: 'min', value: Number.NaN, unit: 'readings/s' })).toBe('—');
    expect(targetText(null)).toBe('—');
    const text = resultsTable([
      { title: 'fan-out p99', value: 50, unit: 'ms', target: p99, work: 'w', warnings: [] },
    ] as unknown as RowResult[]);
    expect(text).toContain('| ≤ 50 ms ');
    expect(text).toContain('✓ at the limit');
  });
});

describe('ratios and their text', () => {
  it('divides by the reference, and gives none without one', () => {
    expect(ratio(30, 120)).toBe(0.25);
    expect(ratio(30, 0)).toBeNull();
    expect(ratio(30, undefined)).toBeNull();
    expect(ratio(Number.NaN, 10)).toBeNull();
    expect(ratio(null, 10)).toBeNull();
  });

  it('writes shares as percentages and factors with the digits that matter', () => {
    expect(shareText(0.431)).toBe('43 %');
    expect(shareText(1.02)).toBe('102 %');
    expect(shareText(0.004)).toBe('0.4 %');
    expect(shareText(null)).toBe('—');
    expect(timesText(45.2)).toBe('×45');
    expect(timesText(3.14)).toBe('×3.1');
    expect(timesText(0.42)).toBe('×0.42');
    expect(timesText(null)).toBe('—');
    expect(latencyText(lat(1.25, 40.04))).toBe('1.3 / 40.0 ms');
    expect(latencyText(lat(0, 0, 0))).toBe('—');
  });
});

describe('compare', () => {
  const refs = [
    ref({ broker: 'aedes', shape: 'batched', offeredPerSec: null, readingsPerSec: 200_000 }),
    ref({ broker: 'aedes', shape: 'batched', offeredPerSec: 10_000, latencyMs: lat(2, 6) }),
    ref({ broker: 'aedes', shape: 'single', offeredPerSec: 10_000, latencyMs: lat(0.5, 4) }),
  ];

  it('sets each row against the same shape at the same offered load, HTTP batches against MQTT batches', () => {
    const [batched, http, single] = compare(
      [
        row('mqtt-batched', 10_000),
        row('http-batched', 10_000, { achievedPerSec: 9_000 }),
        row('mqtt-single', 10_000),
      ],
      refs,
    );
    expect(batched).toMatchObject({ broker: 'aedes', ofOffered: 1, ofBrokerMax: 0.05 });
    expect(batched!.screen).toEqual({ p50: 30, p99: 20 });
    expect(batched!.alert).toEqual({ p50: 5, p99: 5 });
    expect(http).toMatchObject({ ofOffered: 0.9, ofBrokerMax: 0.045 });
    // No single-reading maximum was measured; the paced single reference was.
    expect(single).toMatchObject({ ofBrokerMax: null, screen: { p50: 120, p99: 30 } });
  });

  it('leaves the ratios empty where the reference lacks the load, or the row has no samples', () => {
    const [at1k, noAlerts] = compare(
      [row('mqtt-batched', 1_000), row('mqtt-batched', 10_000, { alertMs: distribution([]) })],
      refs,
    );
    expect(at1k!.screen).toEqual({ p50: null, p99: null });
    expect(noAlerts!.alert).toEqual({ p50: null, p99: null });
  });

  it('makes one comparison per broker measured', () => {
    const both = [
      ...refs,
      ref({ broker: 'mosquitto', shape: 'batched', offeredPerSec: null, readingsPerSec: 400_000 }),
    ];
    const out = compare([row('mqtt-batched', 10_000)], both);
    expect(out.map((c) => [c.broker, c.ofBrokerMax])).toEqual([
      ['aedes', 0.05],
      ['mosquitto', 0.025],
    ]);
  });
});

describe('targetLines', () => {
  const refs = [ref({ broker: 'aedes', shape: 'batched', offeredPerSec: null, readingsPerSec: 150_000 })];

  it('judges alert and screen p99 at 10k readings/s per transport, saying by how much a miss misses', () => {
    const lines = targetLines(
      [
        row('mqtt-batched', 10_000, {
          alertMs: lat(20, 40),
          screenMs: { count: 9, p50: 100, p99: 262.5, max: 300, mean: 101 },
        }),
        row('mqtt-batched', 50_000, { alertMs: lat(20, 400) }),
      ],
      [],
      [],
    );
    expect(lines.map((l) => [l.target, l.measured, l.verdict])).toEqual([
      ['Alert latency p99 at 10k readings/s, MQTT batched (500/msg)', 40, '✓ 10.0 ms under'],
      ['Reading → screen p99 at 10k readings/s, MQTT batched (500/msg)', 262.5, '✗ +12.5 ms over (+5 %)'],
    ]);
  });

  it('passes a p99 exactly at its limit', () => {
    const [alert, screen] = targetLines(
      [
        row('mqtt-batched', 10_000, {
          alertMs: lat(20, 50),
          screenMs: { count: 9, p50: 100, p99: 250, max: 300, mean: 101 },
        }),
      ],
      [],
      [],
    );
    expect([alert!.verdict, screen!.verdict]).toEqual(['✓ at the limit', '✓ at the limit']);
  });

  it('says "not measured" when no alert arrived or no row ran at 10k', () => {
    const lines = targetLines(
      [row('mqtt-single', 10_000, { alertMs: distribution([]) }), row('http-batched', 1_000)],
      [],
      [],
    );
    const verdicts = Object.fromEntries(lines.map((l) => [l.target, [l.verdict, l.source]]));
    expect(verdicts['Alert latency p99 at 10k readings/s, MQTT single (1/msg)']![0]).toBe('— not measured');
    expect(verdicts['Alert latency p99 at 10k readings/s, HTTP batched (500/request)']).toEqual([
      '— not measured',
      'no http-batched row at 10k/s in this run',
    ]);
  });

  it('holds the closed-loop batched maximum to half the broker pass-through, in readings/s', () => {
    const [line] = targetLines([], refs, [{ row: 'mqtt-batched', shape: 'batched', readingsPerSec: 60_000 }]);
    expect(line).toMatchObject({
      target: 'Batched throughput ≥ 50 % of aedes pass-through (150,000 readings/s)',
      measured: 60_000,
      threshold: { kind: 'min', value: 75_000, unit: 'readings/s' },
      verdict: '✗ 20 % short (−15,000 readings/s)',
    });
    expect(line!.source).toContain('40 % of it');
  });

  it('prefers the end-to-end closed-loop batched row to the server row', () => {
    const lines = targetLines(
      [
        row('mqtt-batched', 10_000),
        row('mqtt-batched', 10_000, {
          id: 'e2e-mqtt-batched-max',
          offeredPerSec: null,
          achievedPerSec: 90_000,
        }),
      ],
      refs,
      [{ row: 'mqtt-batched', shape: 'batched', readingsPerSec: 2_000 }],
    );
    const line = lines.find((l) => l.target.startsWith('Batched throughput'))!;
    expect(line).toMatchObject({ measured: 90_000, verdict: '✓ +20 %' });
    expect(line.source).toBe('e2e-mqtt-batched-max (closed loop, 4 × 4 × 500 in flight): 60 % of it');
  });

  it('falls back to the best paced batched row as a lower bound without the closed-loop row', () => {
    const lines = targetLines(
      [row('mqtt-batched', 10_000), row('mqtt-batched', 50_000, { achievedPerSec: 80_000 })],
      refs,
      [],
    );
    const line = lines.find((l) => l.target.startsWith('Batched throughput'))!;
    expect(line.measured).toBe(80_000);
    expect(line.source).toMatch(/^e2e-mqtt-batched-50k \(paced: a lower bound/);
    expect(line.verdict).toBe('✓ +7 %');
  });
});

describe('tables', () => {
  it('names a row by its transport and load', () => {
    expect(rowTitle({ transport: 'http-batched', offeredPerSec: 50_000 })).toBe(
      'HTTP batched (500/request) at 50k/s',
    );
    expect(rowTitle({ transport: 'mqtt-batched', offeredPerSec: null })).toBe(
      'MQTT batched (500/msg) at max (closed loop)',
    );
    expect(rowTitle({ transport: 'mqtt-single', offeredPerSec: 2_500 })).toBe(
      'MQTT single (1/msg) at 2500/s',
    );
  });

  it('shows the count check, the share of the offered load, and the warnings under their row', () => {
    const text = endToEndTable([
      row('mqtt-batched', 10_000, { achievedPerSec: 9_500, warnings: ['the server rejected 2 readings'] }),
      row('mqtt-single', 1_000, {
        counts: {
          published: 10,
          acknowledged: 9,
          skipped: 0,
          failed: 1,
          received: 9,
          accepted: 9,
          rejected: 0,
          duplicates: 0,
        },
      }),
    ]);
    expect(text).toContain('| 9,500 (95 %)');
    expect(text).toContain('100 = 98 + 2 ✓');
    expect(text).toContain('10 = 9 + 0 ✗');
    expect(text).toMatch(/\| ⚠ +\| the server rejected 2 readings/);
  });

  it('shows the reference load as the closed loop or the paced rate', () => {
    const text = referenceTable([
      ref({ broker: 'mosquitto', shape: 'single', offeredPerSec: null }),
      ref({ broker: 'aedes', shape: 'batched', offeredPerSec: 50_000 }),
    ]);
    expect(text).toContain('single 1/msg, max (closed loop)');
    expect(text).toContain('batched 500/msg, 50k readings/s paced');
  });

  it('writes the thresholds as the issue does', () => {
    const text = targetsTable(targetLines([row('mqtt-batched', 10_000)], [], []));
    expect(text).toContain('≤ 50 ms');
    expect(text).toContain('≤ 250 ms');
  });
});
