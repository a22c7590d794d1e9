export { DrbdParseError, isDrbdParseError } from './errors.js';
export {
  parseDrbdmanageTable,
  parseListNodes,
  parseListVolumes,
  parseListAssignments,
  parseDrbdmanageState,
  parseSizeMiB,
  type DrbdmanageTable,
  type DrbdmanageState,
  type DrbdmanageNode,
  type DrbdmanageVolume,
  type DrbdmanageAssignment,
} from './drbdmanage-table.js';
export {
  parseMachineReadable,
  parseMachineReadableNodes,
  parseMachineReadableVolumes,
  parseMachineReadableAssignments,
  type MachineReadableNode,
  type MachineReadableVolume,
  type MachineReadableAssignment,
} from './drbdmanage-machine-readable.js';
export {
  parseDrbdmanageResult,
  onlyNotReady,
  NOT_READY_ERRORS,
  DrbdmanageError,
  parseJoinCommand,
  redactSecret,
  type DrbdmanageResult,
  type JoinCommand,
} from './drbdmanage-result.js';
export {
  parseDrbdsetupStatus,
  type DrbdResourceStatus,
  type DrbdVolumeStatus,
  type DrbdPeerStatus,
  type DrbdPeerVolumeStatus,
} from './drbdsetup-status.js';
export {
  parseProcDrbd,
  drbdVersion,
  type ProcDrbd,
  type ProcDrbdMinor,
  type ProcDrbdSync,
  type DrbdVersion,
} from './proc-drbd.js';
export {
  parseEvents2,
  parseEvents2Line,
  events2ToStatus,
  type DrbdEvent,
  type Events2Action,
  type ResourceEvent,
  type DeviceEvent,
  type ConnectionEvent,
  type PeerDeviceEvent,
  type PathEvent,
  type HelperEvent,
  type InitialStateDoneEvent,
  type SkippedEvent,
} from './events2.js';
export { isUpToDateEverywhere, syncProgress, describe, describeAll, isConnected, isEstablished } from './state.js';
