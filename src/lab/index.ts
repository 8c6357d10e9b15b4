export { labUp, labStatus, labDown, MAX_IDLE_GUESTS } from './lab.js';
export type { LabHostInfo, LabHostStatus, LabInfo, LabOptions, LabStatus, LabUpOptions } from './lab.js';
export {
  LAB_VM,
  LAB_VM_DISK,
  IDLE_GUEST_MIB,
  guestXml,
  idleGuestName,
  buildDirtier,
  dirtierXml,
  startDirtier,
} from './guests.js';
export type { DirtierGuest } from './guests.js';
export { LOCAL_POOL, SHARED_POOL } from './storage.js';
export type { SaslCredentials } from './sasl.js';
