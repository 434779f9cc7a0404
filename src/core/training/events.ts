// The run event union is part of the API contract (the UI receives these events), so it lives in
// src/shared; core code keeps importing it from here.
export type { BestSoFar, EpochMetrics, RunEvent, RunEventName, WithoutTime } from '../../shared/run-events.js';
