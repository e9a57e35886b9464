/**
 * The one canary format of confide: planted into a dataset at protection time (libs/datasets), asked of the
 * returned model before a job succeeds (apps/enterprise job verification). Depends on nothing but libs/domain so
 * both sides import it without a cycle.
 */
export * from './canary.error.js';
export {
  CANARY_TRIGGER,
  DEFAULT_CANARY_ALPHA,
  binomialUpperTail,
  checkCanaries,
  minimumCanaryCount,
  planCanaries,
  type Canary,
  type CanaryCheck,
  type CanaryPlan,
  type CanaryPlanOptions,
  type CanaryPredictor,
  type CanaryRecord,
} from './canary.js';
