import { DomainError } from '@confide/domain';

export const CANARY_ERROR_CODES = ['canary_plan_invalid'] as const;
export type CanaryErrorCode = (typeof CANARY_ERROR_CODES)[number];

/** A canary plan or check that cannot be carried out; messages carry counts, never a trigger or a label. */
export class CanaryError extends DomainError<CanaryErrorCode> {
  readonly area = 'canary';
}
