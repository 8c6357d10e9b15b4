/**
 * The migration option table is the one place an option is written: every
 * face of an option derives from its row. A synthetic row, added to a copy of
 * the table, must show up in each face; the real rows must agree with libvirt.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { addMigrationOptions, toRunOptions, type MigrationCliOptions } from '../../src/cli/migration-options.js';
import { constants, native } from '../../src/binding/native.js';
import {
  checkFileOptionsOf,
  flagsOf,
  migrateParamEntriesOf,
  migrationOptionTable,
  optionKind,
  paramEntriesOf,
  renderOptionsDoc,
  type MigrationOptions,
  type OptionTable,
} from '../../src/options/index.js';
import { optionsXml } from '../../src/pmc/native-facts.js';
import type { RunOptions } from '../../src/pmc/run-options.js';
import { libvirtMigrateFlags, libvirtMigrateParams } from '../helpers/libvirt-header.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The real table plus two synthetic rows: a typed parameter and a flag carried by a value. */
const synthetic = {
  ...migrationOptionTable,
  /** A synthetic parameter. */
  zzSyntheticPort: {
    type: 'int',
    param: 'pmc.synthetic_port',
    flag: 'VIR_MIGRATE_ZEROCOPY',
    cli: { flags: '--zz-synthetic-port <port>', min: 2, max: 9 },
    help: 'a synthetic row for the table test',
    needs: ['live'],
    checkFiles: true,
  },
  /** A synthetic secret: never in $options. */
  zzSyntheticSecret: {
    type: 'string',
    param: 'pmc.synthetic_secret',
    cli: { flags: '--zz-synthetic-secret <text>' },
    help: 'a synthetic secret',
  },
} as const satisfies OptionTable;

/** The compiler's errors for `file` (with `text` instead of its contents), under the project's options. */
function typeErrors(file: string, text?: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => {},
    },
  )!;
  const host = ts.createCompilerHost({ ...config.options, noEmit: true });
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    text !== undefined && path.resolve(name) === file
      ? ts.createSourceFile(name, text, language)
      : read(name, language, ...rest);
  const program = ts.createProgram([file], { ...config.options, noEmit: true }, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

/** Parses `args` as `pmc migrate` would with `table`, and translates them into RunOptions. */
function parse(table: OptionTable, args: string[]): RunOptions {
  const command = addMigrationOptions(
    new Command('migrate').exitOverride().configureOutput({ writeErr: () => {} }),
    table,
  );
  command.parse(args, { from: 'user' });
  return toRunOptions(command.opts<MigrationCliOptions>(), { withChecks: true, table });
}

describe('a synthetic row added to the table', () => {
  it("is a field of the options type and of migrate3's params, with its type (compiled)", () => {
    // test/types/option-table.types.ts asserts the types; the compiler must accept it,
    // and must refuse a copy whose assertion is wrong (so the check can fail).
    const file = path.join(root, 'test', 'types', 'option-table.types.ts');
    expect(typeErrors(file)).toEqual([]);
    const wrong = readFileSync(file, 'utf8').replace(
      "Expect<Equal<Has<MigrationOptions, 'timeout'>, false>>",
      "Expect<Equal<Has<MigrationOptions, 'timeout'>, true>>",
    );
    expect(typeErrors(file, wrong)).toEqual([expect.stringMatching(/does not satisfy the constraint 'true'/)]);
    // Runtime twin of the type: the keys the table produces.
    expect(Object.keys(synthetic)).toContain('zzSyntheticPort');
  });

  it('is packed through the real native packer, and its flag set', () => {
    const options = { live: true, zzSyntheticPort: 7 };
    expect(native.packTypedParams(paramEntriesOf(synthetic, options))).toEqual([['pmc.synthetic_port', 'int', 7]]);
    expect(native.packTypedParams(migrateParamEntriesOf(synthetic, { zzSyntheticPort: 7 }))).toEqual([
      ['pmc.synthetic_port', 'int', 7],
    ]);
    expect(flagsOf(synthetic, options, constants)).toBe(constants.VIR_MIGRATE_LIVE! | constants.VIR_MIGRATE_ZEROCOPY!);
    expect(flagsOf(synthetic, { live: true }, constants)).toBe(constants.VIR_MIGRATE_LIVE);
    // The real table knows nothing of it.
    expect(() => migrateParamEntriesOf(migrationOptionTable, { zzSyntheticPort: 7 })).toThrow(
      'unknown migration parameter: zzSyntheticPort',
    );
  });

  it('is an option of pmc migrate: in --help, parsed with its bounds and needs, in RunOptions', () => {
    const help = addMigrationOptions(
      new Command('migrate').configureHelp({ helpWidth: 500 }),
      synthetic,
    ).helpInformation();
    expect(help).toMatch(/--zz-synthetic-port <port> +a synthetic row for the table test \(needs --live\)/);
    expect(addMigrationOptions(new Command('migrate')).helpInformation()).not.toContain('--zz-synthetic-port');
    expect(parse(synthetic, ['--live', '--zz-synthetic-port', '7'])).toMatchObject({ live: true, zzSyntheticPort: 7 });
    expect(() => parse(synthetic, ['--live', '--zz-synthetic-port', '10'])).toThrow(
      /Expected a whole number from 2 to 9/,
    );
    expect(() => parse(synthetic, ['--zz-synthetic-port', '7'])).toThrow('--zz-synthetic-port needs --live');
    expect(() => parse(migrationOptionTable, ['--zz-synthetic-port', '7'])).toThrow(/unknown option/);
  });

  it('is in $options when its row allows it, and never when it does not', () => {
    const xml = optionsXml({ live: true, zzSyntheticPort: 7, zzSyntheticSecret: 'hunter2' } as RunOptions, synthetic);
    expect(xml).toBe('<options><live>true</live><zzSyntheticPort>7</zzSyntheticPort></options>');
    expect(optionsXml({ zzSyntheticPort: 7 } as RunOptions)).toBe('<options></options>');
  });

  it('is documented in the generated docs', () => {
    const doc = renderOptionsDoc(synthetic);
    expect(doc).toContain(
      '| `zzSyntheticPort` | `--zz-synthetic-port <port>` (≥ 2, ≤ 9) | typed parameter `pmc.synthetic_port` (int) and flag `VIR_MIGRATE_ZEROCOPY` | yes | a synthetic row for the table test; needs `live` |',
    );
    expect(doc).toMatch(/^\| `zzSyntheticSecret` .* \| no \| a synthetic secret \|$/m);
  });
});

describe('the real table', () => {
  const rows = Object.entries(migrationOptionTable) as [
    string,
    (typeof migrationOptionTable)[keyof typeof migrationOptionTable],
  ][];

  it('names only VIR_MIGRATE_* flags libvirt has, as the addon exports them', () => {
    const header = libvirtMigrateFlags();
    for (const [name, row] of rows) {
      if (!('flag' in row)) continue;
      expect(header.get(row.flag), `${name}: ${row.flag}`).toBeDefined();
      expect(constants[row.flag], `${name}: ${row.flag}`).toBe(header.get(row.flag));
    }
  });

  it('names only typed parameters libvirt documents, with its type', () => {
    const header = libvirtMigrateParams();
    for (const [name, row] of rows) {
      if (!('param' in row)) continue;
      const documented = header.get(row.param);
      expect(documented, `${name}: ${row.param}`).toBeDefined();
      expect(row.type === 'string-list', `${name} is a list exactly when libvirt takes it several times`).toBe(
        documented!.repeatable,
      );
      const expected = { INT: ['int'], ULLONG: ['ullong'], STRING: ['string', 'string-list'] }[
        documented!.type ?? 'STRING'
      ];
      expect(expected, `${name}: ${row.type} vs VIR_TYPED_PARAM_${documented!.type}`).toContain(row.type);
    }
  });

  it('is consistent: each row is a flag, a parameter or an action; references name rows; CLI spellings are unique', () => {
    const spellings = new Set<string>();
    const fields = new Set<string>();
    for (const [name, row] of rows) {
      expect(name, 'an XML element name for $options').toMatch(/^[A-Za-z_]\w*$/);
      const r = row as Record<string, unknown> & {
        needs?: readonly string[];
        conflicts?: readonly string[];
        cli?: { flags: string };
      };
      expect(optionKind(row) === 'action', `${name}: an action says what it does`).toBe(typeof r.action === 'string');
      if (optionKind(row) === 'flag') expect(row.type, name).toBe('boolean');
      if ('param' in row) {
        expect(fields.has(row.param), `${name}: ${row.param} packed by two rows`).toBe(false);
        fields.add(row.param);
      }
      for (const other of [...(r.needs ?? []), ...(r.conflicts ?? [])])
        expect(Object.keys(migrationOptionTable), `${name} → ${other}`).toContain(other);
      if (r.cli) {
        const long = r.cli.flags.split(' ')[0]!;
        expect(spellings.has(long), long).toBe(false);
        spellings.add(long);
      }
    }
  });

  it('hides the domain XMLs from check files (a graphics password may be in them)', () => {
    const xml = optionsXml({
      destXml: '<domain><passwd>s3cret</passwd></domain>',
      persistentXml: 'x',
      live: true,
      strict: true,
      checks: [],
    });
    expect(xml).toBe('<options><live>true</live></options>');
  });

  it('packs the options of a run into flags and parameters in table order', () => {
    const options: MigrationOptions = {
      live: true,
      p2p: true,
      parallelConnections: 4,
      migrateDisks: ['vda'],
      disksPort: 49153,
      linkSpeed: 100,
    };
    expect(flagsOf(migrationOptionTable, options, constants)).toBe(
      constants.VIR_MIGRATE_LIVE! | constants.VIR_MIGRATE_PEER2PEER! | constants.VIR_MIGRATE_PARALLEL!,
    );
    expect(native.packTypedParams(paramEntriesOf(migrationOptionTable, options))).toEqual([
      ['parallel.connections', 'int', 4],
      ['migrate_disks', 'string', 'vda'],
      ['disks_port', 'int', 49153],
    ]);
    expect(checkFileOptionsOf(migrationOptionTable, { live: false, linkSpeed: 100 })).toEqual([
      ['live', false],
      ['linkSpeed', 100],
    ]);
  });
});

/**
 * virsh migrate's options as virsh-domain.c (libvirt 9.x) hands them to
 * virDomainMigrate3: the flag or the VIR_MIGRATE_PARAM_* macro, read from
 * libvirt's header, and the value. Each parsed by `pmc migrate`'s options,
 * translated into RunOptions and packed by the real packer.
 */
const virshOptions: [
  args: string[],
  expected: { flags?: string[]; params?: [macro: string, value: number | string][] },
][] = [
  [['--tls'], { flags: ['VIR_MIGRATE_TLS'] }],
  [
    ['--tls', '--tls-destination', 'host2.example.org'],
    { flags: ['VIR_MIGRATE_TLS'], params: [['VIR_MIGRATE_PARAM_TLS_DESTINATION', 'host2.example.org']] },
  ],
  [['--zerocopy', '--parallel'], { flags: ['VIR_MIGRATE_ZEROCOPY', 'VIR_MIGRATE_PARALLEL'] }],
  [['--rdma-pin-all'], { flags: ['VIR_MIGRATE_RDMA_PIN_ALL'] }],
  [
    ['--copy-storage-all', '--copy-storage-synchronous-writes'],
    { flags: ['VIR_MIGRATE_NON_SHARED_DISK', 'VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES'] },
  ],
  [
    ['--postcopy', '--postcopy-bandwidth', '50'],
    { flags: ['VIR_MIGRATE_POSTCOPY'], params: [['VIR_MIGRATE_PARAM_BANDWIDTH_POSTCOPY', 50]] },
  ],
  [['--postcopy', '--postcopy-resume'], { flags: ['VIR_MIGRATE_POSTCOPY', 'VIR_MIGRATE_POSTCOPY_RESUME'] }],
  [['--disks-uri', 'unix:///run/nbd.sock'], { params: [['VIR_MIGRATE_PARAM_DISKS_URI', 'unix:///run/nbd.sock']] }],
  [['--graphicsuri', 'spice://host2:5900'], { params: [['VIR_MIGRATE_PARAM_GRAPHICS_URI', 'spice://host2:5900']] }],
  [
    [
      '--compressed',
      '--comp-methods',
      'mt',
      '--comp-mt-level',
      '9',
      '--comp-mt-threads',
      '4',
      '--comp-mt-dthreads',
      '2',
    ],
    {
      flags: ['VIR_MIGRATE_COMPRESSED'],
      params: [
        ['VIR_MIGRATE_PARAM_COMPRESSION', 'mt'],
        ['VIR_MIGRATE_PARAM_COMPRESSION_MT_LEVEL', 9],
        ['VIR_MIGRATE_PARAM_COMPRESSION_MT_THREADS', 4],
        ['VIR_MIGRATE_PARAM_COMPRESSION_MT_DTHREADS', 2],
      ],
    },
  ],
  [
    ['--compressed', '--comp-methods', 'xbzrle', '--comp-xbzrle-cache', '67108864'],
    {
      flags: ['VIR_MIGRATE_COMPRESSED'],
      params: [
        ['VIR_MIGRATE_PARAM_COMPRESSION', 'xbzrle'],
        ['VIR_MIGRATE_PARAM_COMPRESSION_XBZRLE_CACHE', 67108864],
      ],
    },
  ],
  [
    ['--copy-storage-inc', '--migrate-disks', 'vda,vdb', '--disks-port', '49153'],
    {
      flags: ['VIR_MIGRATE_NON_SHARED_INC'],
      params: [
        ['VIR_MIGRATE_PARAM_MIGRATE_DISKS', 'vda'],
        ['VIR_MIGRATE_PARAM_MIGRATE_DISKS', 'vdb'],
        ['VIR_MIGRATE_PARAM_DISKS_PORT', 49153],
      ],
    },
  ],
  [['--live', '--timeout', '30', '--timeout-suspend'], { flags: ['VIR_MIGRATE_LIVE'] }], // the timeout is pmc's own action, not libvirt's
  // The post-copy switches are pmc's own actions too (virDomainMigrateStartPostCopy during the job).
  [['--live', '--postcopy', '--postcopy-after-precopy'], { flags: ['VIR_MIGRATE_LIVE', 'VIR_MIGRATE_POSTCOPY'] }],
  [
    ['--live', '--postcopy', '--timeout', '30', '--timeout-postcopy'],
    { flags: ['VIR_MIGRATE_LIVE', 'VIR_MIGRATE_POSTCOPY'] },
  ],
];

describe("virsh migrate's options reach libvirt as virsh passes them", () => {
  const headerParams = [...libvirtMigrateParams().values()];
  const headerFlags = libvirtMigrateFlags();

  it.each(virshOptions)('%j', (args, expected) => {
    const run = parse(migrationOptionTable, args);
    const flags = (expected.flags ?? []).reduce((bits, name) => bits | headerFlags.get(name)!, 0);
    expect(flagsOf(migrationOptionTable, run, constants)).toBe(flags);
    const params = (expected.params ?? []).map(([macro, value]) => {
      const documented = headerParams.find((p) => p.macro === macro)!;
      return [
        documented.field,
        typeof value === 'string' ? 'string' : documented.type === 'ULLONG' ? 'ullong' : 'int',
        value,
      ];
    });
    expect(native.packTypedParams(paramEntriesOf(migrationOptionTable, run))).toEqual(params);
  });

  it.each([
    [
      ['--copy-storage-synchronous-writes'],
      '--copy-storage-synchronous-writes needs --copy-storage-all or --copy-storage-inc',
    ],
    [['--live', '--timeout-suspend'], '--timeout-suspend needs --timeout'],
    [['--live', '--postcopy-after-precopy'], '--postcopy-after-precopy needs --postcopy'],
    [['--live', '--postcopy', '--timeout-postcopy'], '--timeout-postcopy needs --timeout'],
    [['--live', '--timeout', '30', '--timeout-postcopy'], '--timeout-postcopy needs --postcopy'],
    [
      ['--live', '--postcopy', '--timeout', '30', '--timeout-suspend', '--timeout-postcopy'],
      /--timeout-(suspend|postcopy) and --timeout-(suspend|postcopy) are mutually exclusive/,
    ],
    [['--comp-mt-level', '10'], /Expected a whole number from 0 to 9/],
  ])('refuses %j as virsh does', (args, message) => {
    expect(() => parse(migrationOptionTable, args)).toThrow(message);
  });
});

describe('docs/migration-options.md', () => {
  it('is up to date with the option table (run `npm run docs:options`)', () => {
    expect(readFileSync(path.join(root, 'docs/migration-options.md'), 'utf8')).toBe(
      renderOptionsDoc(migrationOptionTable),
    );
  });
});
