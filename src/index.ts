export { Connection } from './connection.js';
export type { CloseReason, CpuCompareResult, HypervisorTarget, OpenOptions } from './connection.js';
export { Domain } from './domain.js';
export { LibvirtError } from './errors.js';
export type { LibvirtErrorFields } from './errors.js';
export { constants } from './native.js';
export { decodeVersion, formatVersion } from './version.js';
export type { Version } from './version.js';
export type * from './native-types.js';
export type {
  CheckContext,
  CheckDefinition,
  CheckOrigin,
  CheckOutcome,
  CheckResult,
  CheckStatus,
  MigrationOptions,
  MigrationOutcome,
  MigrationProgress,
  Report,
  RunOptions,
  Severity,
  Verdict,
} from './pmc/types.js';
export { Facts, HostFacts, DomainFacts } from './pmc/facts.js';
export { builtinChecks } from './checks/index.js';
