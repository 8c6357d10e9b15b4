import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Connection,
  InvalidArgumentError,
  builtinChecks,
  constants,
  type CheckDefinition,
  type Domain,
  type MigrationOptions,
} from '../../src/index.js';
import { decodeRawMigration } from '../../src/options/index.js';
import { fixtureUri } from '../helpers/fixtures.js';

describe('decoding raw flags and parameters', () => {
  it('turns known bits and parameters into named options and keeps the rest apart', () => {
    const raw = decodeRawMigration(
      (constants.VIR_MIGRATE_LIVE |
        constants.VIR_MIGRATE_PERSIST_DEST |
        constants.VIR_MIGRATE_PARALLEL |
        0x80000000) >>>
        0,
      { bandwidth: 100, 'vendor.knob': { type: 'int', value: 3 } },
      constants,
    );
    expect(raw.options).toEqual({ live: true, persistent: true, parallel: true, bandwidth: 100 });
    expect(raw.unknownFlags).toBe(0x80000000);
    expect(raw.passFlags).toBe(0x80000000);
    expect(raw.passParams).toEqual([['vendor.knob', 'int', 3, 'vendor.knob']]);
  });

  it('refuses an unknown parameter without a type, and flags outside 32 bits', () => {
    expect(() => decodeRawMigration(0, { 'vendor.knob': 3 }, constants)).toThrow(/vendor\.knob.*\{ type, value \}/);
    expect(() => decodeRawMigration(2 ** 32, {}, constants)).toThrow(InvalidArgumentError);
    expect(() => decodeRawMigration(-1, {}, constants)).toThrow(
      'rawMigrateFlags must be an unsigned 32-bit integer, not -1',
    );
  });
});

describe('the escape hatch in a run', () => {
  let source: Connection;
  let destination: Connection;
  let domain: Domain;
  beforeAll(async () => {
    source = await Connection.open(fixtureUri('host-a'));
    destination = await Connection.open(fixtureUri('host-b'));
    domain = await source.lookupDomainByName('guest1');
  });
  afterAll(async () => {
    await Promise.all([source.close(), destination.close()]);
  });

  it('lets the checks see decoded options, validates them, and warns about unknown ones', async () => {
    let seen: Readonly<MigrationOptions> | undefined;
    const spy: CheckDefinition = {
      name: 'test.spy',
      severity: 'warning',
      description: 'sees the options',
      run: ({ options }) => {
        seen = options;
        return true;
      },
    };
    const rawCheck = builtinChecks.filter((c) => c.name === 'migration.raw-options');
    const report = await domain.checkPMC(destination, {
      noBuiltins: true,
      checks: [...rawCheck, spy],
      rawMigrateFlags: constants.VIR_MIGRATE_LIVE | 0x40000000,
      rawMigrateParams: { bandwidth: 50, 'vendor.knob': { type: 'string', value: 'x' } },
    });
    expect(seen).toMatchObject({ live: true, bandwidth: 50 });
    const entry = report.checks.find((c) => c.name === 'migration.raw-options')!;
    expect(entry.status).toBe('fail');
    expect(entry.message).toContain('flag bits 0x40000000');
    expect(entry.message).toContain('vendor.knob');
    expect(report.verdict).toBe('allowed-with-warnings');

    const clean = await domain.checkPMC(destination, {
      noBuiltins: true,
      checks: rawCheck,
      rawMigrateFlags: constants.VIR_MIGRATE_LIVE,
    });
    expect(clean.checks[0]!.status).toBe('pass');
    // Decoded values meet the same bounds as named ones.
    await expect(
      domain.checkPMC(destination, { noBuiltins: true, rawMigrateParams: { bandwidth: -1 } }),
    ).rejects.toThrow(/bandwidth/);
  });
});
