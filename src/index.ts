export { Connection } from './connection.js';
export type { CloseReason, CpuCompareResult, HypervisorTarget, OpenOptions } from './connection.js';
export { Domain } from './domain.js';
export { LibvirtError, XmlError } from './errors.js';
export type { LibvirtErrorFields, XmlErrorCode, XmlErrorFields } from './errors.js';
export { constants } from './native.js';
export { XmlDocument, XmlNode, XPathExpression, DEFAULT_MAX_XML_BYTES } from './xml.js';
export type { EvaluateOptions, ParseOptions, XPathValue, XPathVariable, XPathVariables } from './xml.js';
export { decodeVersion, formatVersion } from './version.js';
export type { Version } from './version.js';
export type * from './native-types.js';
export type { MigrateParams } from './options/index.js';
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
export {
  CheckFile,
  CheckLoadError,
  CHECK_FILE_SCHEMA,
  DEFAULT_MAX_CHECK_FILE_BYTES,
  loadCheckFile,
  loadPlugin,
  nativeFactSpecs,
  Plugin,
} from './pmc/external.js';
export type { CheckLoadErrorCode, CheckLoadErrorFields, ExternalCheck, LoadCheckFileOptions } from './pmc/external.js';
export { listChecks } from './pmc/listing.js';
export type { CheckListing, ListChecksOptions } from './pmc/listing.js';
export type { NativeFactSpec } from './native-types.js';
