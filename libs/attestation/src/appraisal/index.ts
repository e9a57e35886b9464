export * from './attestation-result.js';
export * from './attestation-policy.js';
export { appraise, verificationFailureResult } from './appraise.js';
export type { AppraisalInput } from './appraise.js';
export { parsePolicy, parseReferenceValues, loadPolicy, loadPolicyFile, loadPolicyById } from './policy-loader.js';
