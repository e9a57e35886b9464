/**
 * Roles come from the IdP; permissions are what routes declare. The mapping is data, so a route's requirement
 * never names a role directly.
 */
export const ROLES = ['admin', 'data_engineer', 'auditor', 'node_operator'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'organization:read',
  'organization:write',
  'audit:read',
  'datasets:read',
  'datasets:write',
  'jobs:read',
  'jobs:write',
  'nodes:read',
  'nodes:operate',
  'attestation:read',
  'reports:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: PERMISSIONS,
  data_engineer: ['organization:read', 'datasets:read', 'datasets:write', 'jobs:read', 'jobs:write', 'nodes:read'],
  auditor: ['organization:read', 'audit:read', 'attestation:read', 'reports:read', 'jobs:read', 'datasets:read', 'nodes:read'],
  node_operator: ['nodes:read', 'nodes:operate'],
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Permissions granted by a set of roles; unknown role names grant nothing. */
export function permissionsFor(roles: readonly string[]): ReadonlySet<Permission> {
  const out = new Set<Permission>();
  for (const r of roles) if (isRole(r)) for (const p of ROLE_PERMISSIONS[r]) out.add(p);
  return out;
}

/** Who is calling, as established from a verified token. The tenant never comes from a request body. */
export interface Principal {
  readonly subject: string;
  readonly tenantId: string;
  readonly roles: readonly Role[];
  readonly permissions: ReadonlySet<Permission>;
  readonly clientId?: string;
  readonly tokenId?: string;
}
