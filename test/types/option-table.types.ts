/**
 * The option table's types, asserted at compile time: a synthetic row shows
 * up in `OptionsOf` and `MigrateParamsOf` with its type, and the real types
 * are exactly the real table's. `test/unit/option-table.test.ts` compiles this
 * file with the TypeScript compiler (and a broken copy of it, which must not
 * compile), so `vitest run` proves it, not only `npm run typecheck`.
 */
import type {
  MigrateParams,
  MigrateParamsOf,
  MigrationOptions,
  OptionsOf,
  OptionTable,
} from '../../src/options/index.js';
import type { migrationOptionTable } from '../../src/options/table.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
type Has<T, K extends PropertyKey> = K extends keyof T ? true : false;

/** The real table plus two synthetic rows: a typed parameter and a flag carried by a value. */
type Synthetic = typeof migrationOptionTable & {
  readonly zzSyntheticPort: {
    readonly type: 'int';
    readonly param: 'pmc.synthetic_port';
    readonly flag: 'VIR_MIGRATE_ZEROCOPY';
    readonly help: 'a synthetic row';
  };
  readonly zzSyntheticSecret: { readonly type: 'string'; readonly param: 'pmc.synthetic_secret'; readonly help: 'x' };
};
type _SyntheticIsATable = Expect<Synthetic extends OptionTable ? true : false>;

export type OptionTableTypeChecks = [
  _SyntheticIsATable,
  // A synthetic row is a field of the options type and of migrate3's params, with its type.
  Expect<Equal<OptionsOf<Synthetic>['zzSyntheticPort'], number | undefined>>,
  Expect<Equal<OptionsOf<Synthetic>['zzSyntheticSecret'], string | undefined>>,
  Expect<Equal<MigrateParamsOf<Synthetic>['zzSyntheticPort'], number | undefined>>,
  // The real types are exactly the real table's.
  Expect<Equal<Has<MigrationOptions, 'zzSyntheticPort'>, false>>,
  Expect<Equal<MigrationOptions['disksPort'], number | undefined>>,
  Expect<Equal<MigrationOptions['migrateDisks'], string[] | undefined>>,
  Expect<Equal<MigrationOptions['live'], boolean | undefined>>,
  // Only `pmc migrate` does virsh's --timeout.
  Expect<Equal<Has<MigrationOptions, 'timeout'>, false>>,
  Expect<Equal<MigrateParams['uri'], string | undefined>>,
  Expect<Equal<Has<MigrateParams, 'migrateUri'>, false>>,
  Expect<Equal<Has<MigrateParams, 'live'>, false>>,
];
