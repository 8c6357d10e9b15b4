/**
 * The shape of one migration option: what it becomes for libvirt, its type,
 * how `pmc` spells it, and who sees it. A leaf module (no imports): the
 * binding packs `domain.migrate3`'s params through the table too.
 */

/** The libvirt typed-parameter types a migration parameter can have (VIR_TYPED_PARAM_*). */
export type ParamType = 'string' | 'string-list' | 'int' | 'ullong';

/** What an option's value is: a switch, or one of the typed-parameter types. */
export type ValueType = 'boolean' | ParamType;

/** One typed parameter as the native packer takes it: libvirt's field name, its type, the value, and a name for errors. */
export type ParamEntry = readonly [field: string, type: ParamType, value: unknown, label?: string];

export interface OptionRow {
  /** What the value is; the TypeScript type derives from it (`string-list` is `string[]`, `int`/`ullong` are numbers). */
  readonly type: ValueType;
  /**
   * A `VIR_MIGRATE_*` flag, by name, set when the option is true (a boolean) or
   * given (any other type, e.g. parallel connections imply VIR_MIGRATE_PARALLEL).
   */
  readonly flag?: `VIR_MIGRATE_${string}`;
  /** The string value of a `VIR_MIGRATE_PARAM_*` (e.g. `"disks_port"`): the value is packed as a typed parameter of `type`. */
  readonly param?: string;
  /** The key in `domain.migrate3`'s params, when it differs from the option's name. */
  readonly paramKey?: string;
  /** Neither flag nor parameter: what the client does with it (e.g. feed the convergence forecast). */
  readonly action?: string;
  /** Only the `pmc` command performs this action (virsh's `--timeout`); the API has no such option. */
  readonly cliOnly?: true;
  /** How `pmc migrate` / `pmc check` take it, in virsh's spelling; absent: API only. */
  readonly cli?: {
    /** commander's flags, e.g. `--disks-port <port>`. */
    readonly flags: string;
    /** Bounds of a whole number (`int`/`ullong`), inclusive. */
    readonly min?: number;
    readonly max?: number;
    /** The values a string or list item may take; anything else is refused before connecting. */
    readonly choices?: readonly string[];
    /** The command line names a file whose contents are the value (virsh's `--xml`). */
    readonly file?: true;
  };
  /** One line, for `--help` and the docs. */
  readonly help: string;
  /**
   * What the option is particular to, beyond the migration itself: one
   * destination (where the source daemon sends the guest, the addresses it
   * listens on, its certificate's name), one guest (its new name and
   * definitions), or the one running migration `pmc migrate` drives (its
   * --timeout, its switches to post-copy). Fleet work, which checks one guest
   * against several hosts or moves many guests, refuses them
   * (`refusedFleetOption`); absent: the option means the same for every guest
   * and host.
   */
  readonly scope?: 'destination' | 'guest' | 'running-migration';
  /**
   * Only a live migration has it: the offline migration of a shut-off guest
   * drops it (so does every option that needs only such options).
   */
  readonly liveOnly?: true;
  /** Options this one cannot be combined with (names of rows). */
  readonly conflicts?: readonly string[];
  /** This option needs one of these (names of rows). */
  readonly needs?: readonly string[];
  /**
   * Check files see it in `$options`. An allow-list: leave it out for anything
   * that may carry a secret (a domain XML may hold a graphics password).
   */
  readonly checkFiles?: true;
}

export type OptionTable = Readonly<Record<string, OptionRow>>;

/**
 * The largest value each whole-number type can carry to its consumer: a C
 * `int` for libvirt's VIR_TYPED_PARAM_INT, a double that stays exact for
 * `ullong` (JS numbers). A row's `cli.max` may be lower.
 */
export const MAX_OF_TYPE = { int: 2_147_483_647, ullong: Number.MAX_SAFE_INTEGER } as const;

/** What an option becomes, for the docs. */
export function optionKind(row: OptionRow): 'flag' | 'param' | 'action' {
  if (row.param !== undefined) return 'param';
  if (row.flag !== undefined) return 'flag';
  return 'action';
}

type ValueOf<T extends ValueType> = T extends 'boolean'
  ? boolean
  : T extends 'string'
    ? string
    : T extends 'string-list'
      ? string[]
      : number;

/**
 * The options object a table describes: every row but the command-only
 * ones, optional, typed by its `type`. Homomorphic, so each field keeps the
 * TSDoc of its row.
 */
export type OptionsOf<T extends OptionTable> = {
  -readonly [K in keyof T as T[K] extends { cliOnly: true } ? never : K]?: ValueOf<T[K]['type']>;
};

/** `domain.migrate3`'s params a table describes: its typed-parameter rows, by `paramKey` or name. */
export type MigrateParamsOf<T extends OptionTable> = {
  // Rows keeping their name: a filter only, so each field keeps its row's TSDoc.
  -readonly [
    K in keyof T as T[K] extends { param: string } ? (T[K] extends { paramKey: string } ? never : K) : never
  ]?: ValueOf<T[K]['type']>;
} & {
  -readonly [K in keyof T as T[K] extends { param: string; paramKey: infer P extends string } ? P : never]?: ValueOf<
    T[K]['type']
  >;
};
