export { Connection } from './binding/connection.js';
export type { CloseReason, CpuCompareResult, HypervisorTarget, OpenOptions } from './binding/connection.js';
export { Domain } from './binding/domain.js';
export { LibvirtError, XmlError } from './errors.js';
export type { LibvirtErrorFields, XmlErrorCode, XmlErrorFields } from './errors.js';
export { constants } from './binding/native.js';
export { XmlDocument, XmlNode, XPathExpression, DEFAULT_MAX_XML_BYTES } from './binding/xml.js';
export type { EvaluateOptions, ParseOptions, XPathValue, XPathVariable, XPathVariables } from './binding/xml.js';
export { decodeVersion, formatVersion } from './binding/version.js';
export type { Version } from './binding/version.js';
export type * from './binding/native-types.js';
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
export type { NativeFactSpec } from './binding/native-types.js';
