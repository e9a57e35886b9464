export * from './merkle/merkle.js';
export * from './checkpoint/signed-note.js';
export * from './log/audit-entry.js';
export * from './log/audit-keys.js';
export * from './log/audit-log.js';
export * from './verify/log-verifier.js';
