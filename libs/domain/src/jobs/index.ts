export * from './job-state.js';
export * from './job-transition.js';
export * from './job-errors.js';
export * from './backoff.js';
export * from './placement.js';
