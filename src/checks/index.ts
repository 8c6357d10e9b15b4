/** The built-in checks, in report order. Each area lives in its own file. */
import type { CheckDefinition } from '../pmc/types.js';
import { connectionAlive } from './connection.js';
import { cpuCompatible, cpuCount, cpuMode, cpuPinning, cpuTsc } from './cpu.js';
import { devicesHostdev, devicesMigratable, devicesUsb, devicesVirtiofsVerifiable } from './devices.js';
import { domainJob, domainNameFree, domainSnapshots, domainState } from './domain.js';
import { hostDistinct } from './host.js';
import { hypervisorType, hypervisorVersion, libvirtVersion } from './hypervisor.js';
import { memoryAvailable } from './memory.js';
import { hostMigrationAddress } from './migration-address.js';
import { migrationConvergence, migrationFlags, migrationRawOptions, persistenceSafe } from './migration.js';
import { networkBridge, networkPresent } from './network.js';
import { hostPaths, hostPathsVerifiable } from './paths.js';
import { platformSupported } from './platform.js';
import { secretsPresent } from './secrets.js';
import { storageCache, storageCdrom, storageCopyTarget, storageShared } from './storage.js';

export const builtinChecks: readonly CheckDefinition[] = [
  connectionAlive,
  hostDistinct,
  hostMigrationAddress,
  hypervisorType,
  hypervisorVersion,
  libvirtVersion,
  migrationFlags,
  migrationRawOptions,
  persistenceSafe,
  domainState,
  domainJob,
  domainSnapshots,
  domainNameFree,
  platformSupported,
  cpuCompatible,
  cpuMode,
  cpuTsc,
  cpuCount,
  cpuPinning,
  memoryAvailable,
  storageShared,
  storageCopyTarget,
  storageCache,
  storageCdrom,
  hostPaths,
  hostPathsVerifiable,
  networkPresent,
  networkBridge,
  devicesHostdev,
  devicesUsb,
  devicesMigratable,
  devicesVirtiofsVerifiable,
  secretsPresent,
  migrationConvergence,
];
