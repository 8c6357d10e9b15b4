// The package entry point: re-exports only. Loading ./api.js attaches
// domain.checkPMC / domain.migratePMC (docs/architecture.md).
export { Connection } from './binding/connection.js';
export type {
  CloseReason,
  ConnectionEvents,
  CpuCompareResult,
  HypervisorTarget,
  OnceOptions,
  OpenOptions,
} from './binding/connection.js';
export { Domain } from './binding/domain.js';
export { CheckLoadError, InvalidArgumentError, isLibvirtError, LibvirtError, PmcError, XmlError } from './errors.js';
export type {
  CheckLoadErrorCode,
  CheckLoadErrorFields,
  LibvirtErrorFields,
  XmlErrorCode,
  XmlErrorFields,
} from './errors.js';
export { libvirtConstantNames, libvirtErrorCodes, libvirtErrorDomains } from './libvirt-names.js';
export type { LibvirtConstantName, LibvirtErrorCode, LibvirtErrorDomain } from './libvirt-names.js';
export { constants } from './binding/native.js';
export { XmlDocument, XmlNode, XPathExpression, DEFAULT_MAX_XML_BYTES } from './binding/xml.js';
export type { EvaluateOptions, ParseOptions, XPathValue, XPathVariable, XPathVariables } from './binding/xml.js';
export { decodeVersion, formatVersion } from './binding/version.js';
export type { Version } from './binding/version.js';
export type * from './binding/native-types.js';
export type { MigrateParams } from './options/index.js';
export type {
  CheckContext,
  CheckDefinition,
  CheckOrigin,
  CheckOutcome,
  CheckReportEntry,
  CheckResult,
  CheckStatus,
  ExternalCheck,
  MigrationOptions,
  MigrationOutcome,
  MigrationProgress,
  Report,
  Severity,
  Verdict,
} from './pmc/types.js';
export type { RunOptions } from './pmc/run-options.js';
export { Facts, HostFacts, DomainFacts } from './pmc/facts.js';
export type { SharedFacts } from './pmc/facts.js';
export { ServiceFactCache } from './pmc/service-facts.js';
export type { ServiceFactCacheOptions } from './pmc/service-facts.js';
export type { SecretRef } from './model/libvirt-xml.js';
export { builtinChecks } from './checks/index.js';
export { CheckFile, CHECK_FILE_SCHEMA, DEFAULT_MAX_CHECK_FILE_BYTES, loadCheckFile } from './pmc/check-file.js';
export type { LoadCheckFileOptions } from './pmc/check-file.js';
export { loadPlugin, Plugin } from './pmc/plugin.js';
export { nativeFactSpecs } from './pmc/native-facts.js';
export { listChecks } from './api.js';
export { placeDomain } from './fleet/place.js';
export { planEvacuation } from './fleet/plan.js';
export { DEFAULT_MAX_PARALLEL, evacuate, MAX_PARALLEL } from './fleet/evacuate.js';
export { parseEvacuation, type ParseEvacuationOptions } from './fleet/plan-file.js';
export { returnPlans } from './fleet/return-trip.js';
export type { EvacuateOptions, EvacuationProgress } from './fleet/evacuate.js';
export type {
  CandidateAssessment,
  DomainLocation,
  Evacuation,
  EvacuationGuest,
  EvacuationPlan,
  EvacuationReport,
  FleetConnection,
  Placement,
  PlaceOptions,
  PlanOptions,
  SavedOptions,
} from './fleet/types.js';
export type { CheckListing, ListChecksOptions } from './pmc/listing.js';
export type { NativeFactSpec } from './binding/native-types.js';
