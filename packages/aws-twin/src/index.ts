export { startTwin, type Twin } from './twin.js';
export type { RegionTwin, ScheduledRun } from './region.js';
export type {
  Scenario,
  BlueGreenSpec,
  BlueGreenResources,
  EcsNativeResources,
  EcsNativeSpec,
  Timing,
  AlarmSpec,
  ImageBehaviour,
  Finding,
} from './scenario.js';
export type { RecordedCall } from './calls.js';
export type { FaultRule } from './faults.js';
export type { TrafficTally, TrafficRun } from './traffic.js';
export { runCli } from './cli.js';
