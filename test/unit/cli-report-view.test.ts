/** The report for people, from a report as the runner returns it: grouping, order, verdict, location, colour. */
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../src/cli/report-view.js';
import { styleFor } from '../../src/cli/style.js';
import type { Report } from '../../src/pmc/types.js';
import { checkOnlyReport, entry } from '../helpers/reports.js';

const check = entry;

const blocked = checkOnlyReport({
  domain: { name: 'vm1', uuid: '4a1b9c2e-0f8e-4a62-9d43-8c1c1b6f0a01' },
  source: { uri: 'qemu+tcp://h1/system', hostname: 'h1' },
  destination: { uri: 'qemu+tcp://h2/system', hostname: 'h2' },
  checks: [
    check('cpu.compatible', 'critical', 'pass', 'host CPU runs the guest CPU'),
    check('network.present', 'warning', 'skipped', 'skipped by the caller'),
    check('storage.reachable', 'critical', 'fail', 'disk /var/lib/x.qcow2 is not on h2'),
    check('memory.free', 'critical', 'error', 'could not read free memory'),
  ],
  verdict: 'blocked',
});

const plain = { isTTY: false } as NodeJS.WriteStream;

describe('renderReport', () => {
  it('puts failed and errored checks first, one line each, then the verdict and the location', () => {
    const text = renderReport(blocked, styleFor(plain, undefined), { mode: 'migrate', withChecks: true });
    const lines = text.split('\n');
    const order = ['storage.reachable', 'memory.free', 'cpu.compatible', 'network.present'].map((n) =>
      lines.findIndex((l) => l.includes(n)),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(text).toContain('  FAIL   critical  storage.reachable  disk /var/lib/x.qcow2 is not on h2');
    expect(text).toContain('  ERROR  critical  memory.free        could not read free memory');
    expect(text).toMatch(/^Verdict: BLOCKED by storage\.reachable, memory\.free; nothing was migrated$/m);
    expect(text).toMatch(/^Guest runs on: the source, h1 \(qemu\+tcp:\/\/h1\/system\)$/m);
    expect(text).not.toContain('\u001b[');
  });

  it('says where the guest runs after a migration, and colours a terminal', () => {
    const moved: Report = {
      ...blocked,
      checks: [check('cpu.compatible', 'critical', 'pass', 'ok')],
      verdict: 'allowed',
      migration: { attempted: true, succeeded: true, durationMs: 2900, error: null },
      domainLocation: 'destination',
    };
    const terminal = { isTTY: true, hasColors: () => true } as unknown as NodeJS.WriteStream;
    const saved = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    try {
      const text = renderReport(moved, styleFor(terminal, undefined), { mode: 'migrate', withChecks: true });
      expect(text).toContain('\u001b[32mPASS');
      expect(text).toContain('Migration: succeeded in 2.9 s');
      expect(text).toContain('Guest runs on: the destination, h2 (qemu+tcp://h2/system)');
    } finally {
      if (saved !== undefined) process.env.NO_COLOR = saved;
    }
  });

  it('gives an interrupted run no verdict', () => {
    const text = renderReport({ ...blocked, cancelled: true }, styleFor(plain, undefined), {
      mode: 'check',
      withChecks: true,
    });
    expect(text).toMatch(/^Verdict: none \(interrupted before the checks finished\)/m);
  });
});
