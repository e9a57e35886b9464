import type { Principal } from '@confide/domain';

/** What a caller records. Sensitive values are HMAC'd before they reach storage; details must not hold PII. */
export interface AuditInput {
  readonly tenantId: string | null;
  readonly actor: { readonly type: 'user' | 'service' | 'node' | 'system'; readonly id: string };
  readonly action: string;
  readonly resource?: { readonly type: string; readonly id: string };
  readonly outcome: 'success' | 'denied' | 'failure';
  /** Reason code for denials and failures (stable, machine-readable). */
  readonly reason?: string;
  readonly details?: Readonly<Record<string, string | number | boolean | null>>;
  /** Values that identify people or secrets; stored only as keyed hashes. */
  readonly sensitive?: Readonly<Record<string, string>>;
}

/** The canonical record that is hashed into the tree (version 1). */
export interface AuditRecord {
  readonly v: 1;
  readonly index: number;
  readonly time: string;
  readonly tenant: string | null;
  readonly actor: AuditInput['actor'];
  readonly action: string;
  readonly resource: AuditInput['resource'] | null;
  readonly outcome: AuditInput['outcome'];
  readonly reason: string | null;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
  readonly sensitive: Readonly<Record<string, string>>;
}

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

export function assertValidInput(input: AuditInput): void {
  if (!ACTION.test(input.action)) throw new TypeError(`audit action "${input.action}" must look like area.verb`);
}

/** The audit actor for a verified caller: a service account when the token's subject is its own client. */
export function auditActor(p: Principal): AuditInput['actor'] {
  return { type: p.clientId !== undefined && p.subject === p.clientId ? 'service' : 'user', id: p.subject };
}
