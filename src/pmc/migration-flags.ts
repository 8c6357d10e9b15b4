/** Turns virsh-style migration options into virDomainMigrate3's flags and typed parameters. */
import { constants } from '../binding/native.js';
import type { MigrateParams } from '../binding/native-types.js';
import type { MigrationOptions } from './types.js';

const flagOf: [keyof MigrationOptions, string][] = [
  ['live', 'VIR_MIGRATE_LIVE'],
  ['offline', 'VIR_MIGRATE_OFFLINE'],
  ['p2p', 'VIR_MIGRATE_PEER2PEER'],
  ['tunnelled', 'VIR_MIGRATE_TUNNELLED'],
  ['persistent', 'VIR_MIGRATE_PERSIST_DEST'],
  ['undefineSource', 'VIR_MIGRATE_UNDEFINE_SOURCE'],
  ['suspend', 'VIR_MIGRATE_PAUSED'],
  ['copyStorageAll', 'VIR_MIGRATE_NON_SHARED_DISK'],
  ['copyStorageInc', 'VIR_MIGRATE_NON_SHARED_INC'],
  ['changeProtection', 'VIR_MIGRATE_CHANGE_PROTECTION'],
  ['unsafe', 'VIR_MIGRATE_UNSAFE'],
  ['compressed', 'VIR_MIGRATE_COMPRESSED'],
  ['abortOnError', 'VIR_MIGRATE_ABORT_ON_ERROR'],
  ['autoConverge', 'VIR_MIGRATE_AUTO_CONVERGE'],
  ['postcopy', 'VIR_MIGRATE_POSTCOPY'],
  ['parallel', 'VIR_MIGRATE_PARALLEL'],
];

export function migrateFlags(options: MigrationOptions): number {
  let flags = 0;
  for (const [option, name] of flagOf) {
    if (options[option]) flags |= constants[name]!;
  }
  // Parallel connections only mean something with VIR_MIGRATE_PARALLEL.
  if (options.parallelConnections !== undefined) flags |= constants.VIR_MIGRATE_PARALLEL!;
  return flags >>> 0;
}

export function migrateParams(options: MigrationOptions): MigrateParams {
  const params: MigrateParams = {};
  if (options.migrateUri !== undefined) params.uri = options.migrateUri;
  if (options.destName !== undefined) params.destName = options.destName;
  if (options.destXml !== undefined) params.destXml = options.destXml;
  if (options.persistentXml !== undefined) params.persistentXml = options.persistentXml;
  if (options.bandwidth !== undefined) params.bandwidth = options.bandwidth;
  if (options.listenAddress !== undefined) params.listenAddress = options.listenAddress;
  if (options.migrateDisks !== undefined) params.migrateDisks = options.migrateDisks;
  if (options.disksPort !== undefined) params.disksPort = options.disksPort;
  if (options.compression !== undefined) params.compression = options.compression;
  if (options.parallelConnections !== undefined) params.parallelConnections = options.parallelConnections;
  if (options.autoConvergeInitial !== undefined) params.autoConvergeInitial = options.autoConvergeInitial;
  if (options.autoConvergeIncrement !== undefined) params.autoConvergeIncrement = options.autoConvergeIncrement;
  return params;
}
