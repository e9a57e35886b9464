import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

/**
 * The one place that reads process.env. Everything else receives the frozen, typed AppConfig.
 * Defaults are safe: loopback only, embedded mode, no insecure switches.
 */
const csv = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const ALLOWED_JWT_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const EnvSchema = z
  .object({
    CONFIDE_MODE: z.enum(['embedded', 'production']).optional(),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    PUBLIC_URL: z.url().optional(),
    CONFIDE_DATA_DIR: z.string().min(1).default('.confide'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    OIDC_ISSUER: z.url().optional(),
    OIDC_AUDIENCE: z.string().min(1).default('urn:confide:api'),
    OIDC_ALGORITHMS: z
      .string()
      .default('RS256,PS256,ES256')
      .transform(csv)
      .pipe(z.array(z.enum(ALLOWED_JWT_ALGS)).min(1)),
    OIDC_ROLES_CLAIM: z.string().min(1).default('roles'),
    OIDC_TENANT_CLAIM: z.string().min(1).default('org_id'),
    OIDC_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(120).default(5),
    OIDC_JWKS_COOLDOWN_S: z.coerce.number().int().min(1).max(3600).default(30),
    OIDC_JWKS_CACHE_MAX_AGE_S: z.coerce.number().int().min(10).max(86400).default(600),
    OIDC_CLIENT_ID: z.string().min(1).optional(),
    OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    CONFIDE_MAX_UPLOAD_BYTES: z.coerce.number().int().min(1024).max(1024 ** 4).default(4 * 1024 ** 3),
    AUDIT_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(5000),
    // Scheduler timing. Lease and node liveness are decided by the database clock; these are only durations.
    SCHEDULER_LEASE_TTL_S: z.coerce.number().int().min(2).max(86_400).default(60),
    SCHEDULER_NODE_TTL_S: z.coerce.number().int().min(2).max(86_400).default(45),
    SCHEDULER_HEARTBEAT_INTERVAL_S: z.coerce.number().int().min(1).max(3600).default(15),
    SCHEDULER_PLACEMENT_INTERVAL_MS: z.coerce.number().int().min(10).max(600_000).default(250),
    SCHEDULER_SWEEP_INTERVAL_MS: z.coerce.number().int().min(10).max(600_000).default(1000),
  })
  .superRefine((env, ctx) => {
    if (env.CONFIDE_MODE === 'production') {
      if (!env.DATABASE_URL) ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'required in production mode' });
      if (!env.OIDC_ISSUER) ctx.addIssue({ code: 'custom', path: ['OIDC_ISSUER'], message: 'required in production mode (the company IdP)' });
    }
    // A node renews its leases and its own liveness once per heartbeat: a TTL shorter than two heartbeats would let
    // healthy leases expire between beats.
    for (const ttl of ['SCHEDULER_LEASE_TTL_S', 'SCHEDULER_NODE_TTL_S'] as const) {
      if (env[ttl] < 2 * env.SCHEDULER_HEARTBEAT_INTERVAL_S) {
        ctx.addIssue({ code: 'custom', path: [ttl], message: `must be at least twice SCHEDULER_HEARTBEAT_INTERVAL_S (${env.SCHEDULER_HEARTBEAT_INTERVAL_S})` });
      }
    }
  });

export type Mode = 'embedded' | 'production';

export interface AppConfig {
  readonly mode: Mode;
  readonly host: string;
  readonly port: number;
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly database: { readonly kind: 'postgres'; readonly url: string; readonly poolSize: number } | { readonly kind: 'pglite'; readonly dir: string };
  readonly logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  readonly oidc: {
    /** Issuer URL; undefined in embedded mode until the dev issuer is mounted (it is then `${publicUrl}/oidc`). */
    readonly issuer: string;
    readonly devIssuer: boolean;
    readonly audience: string;
    readonly algorithms: readonly string[];
    readonly rolesClaim: string;
    readonly tenantClaim: string;
    readonly clockToleranceSec: number;
    readonly jwksCooldownSec: number;
    readonly jwksCacheMaxAgeSec: number;
    readonly clientId?: string;
    readonly clientSecret?: string;
  };
  readonly audit: { readonly checkpointIntervalMs: number };
  readonly datasets: { readonly maxUploadBytes: number };
  readonly scheduler: {
    readonly leaseTtlSeconds: number;
    readonly nodeTtlSeconds: number;
    readonly heartbeatIntervalSeconds: number;
    readonly placementIntervalMs: number;
    readonly sweepIntervalMs: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const SECRET_KEYS = /SECRET|PASSWORD|TOKEN|KEY|DATABASE_URL/;

/** Masks secret values (and the password inside a DATABASE_URL) for printing. */
export function maskValue(name: string, value: string): string {
  if (name === 'DATABASE_URL') return value.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:****@');
  return SECRET_KEYS.test(name) ? '****' : value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): AppConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '(env)');
        const raw = env[name];
        const shown = raw === undefined ? 'unset' : `"${maskValue(name, raw)}"`;
        return `${name}: ${issue.message} (got ${shown})`;
      }),
    );
  }
  const e = parsed.data;
  const mode: Mode = e.CONFIDE_MODE ?? 'embedded';
  const dataDir = isAbsolute(e.CONFIDE_DATA_DIR) ? e.CONFIDE_DATA_DIR : resolve(cwd, e.CONFIDE_DATA_DIR);
  const publicUrl = (e.PUBLIC_URL ?? `http://${e.HOST === '0.0.0.0' ? '127.0.0.1' : e.HOST}:${e.PORT}`).replace(/\/$/, '');
  const devIssuer = !e.OIDC_ISSUER;
  const config: AppConfig = {
    mode,
    host: e.HOST,
    port: e.PORT,
    publicUrl,
    dataDir,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE }
      : { kind: 'pglite', dir: resolve(dataDir, 'pgdata') },
    logLevel: e.LOG_LEVEL,
    oidc: {
      issuer: e.OIDC_ISSUER ?? `${publicUrl}/oidc`,
      devIssuer,
      audience: e.OIDC_AUDIENCE,
      algorithms: Object.freeze([...e.OIDC_ALGORITHMS]),
      rolesClaim: e.OIDC_ROLES_CLAIM,
      tenantClaim: e.OIDC_TENANT_CLAIM,
      clockToleranceSec: e.OIDC_CLOCK_TOLERANCE_S,
      jwksCooldownSec: e.OIDC_JWKS_COOLDOWN_S,
      jwksCacheMaxAgeSec: e.OIDC_JWKS_CACHE_MAX_AGE_S,
      ...(e.OIDC_CLIENT_ID ? { clientId: e.OIDC_CLIENT_ID } : {}),
      ...(e.OIDC_CLIENT_SECRET ? { clientSecret: e.OIDC_CLIENT_SECRET } : {}),
    },
    audit: { checkpointIntervalMs: e.AUDIT_CHECKPOINT_INTERVAL_MS },
    datasets: { maxUploadBytes: e.CONFIDE_MAX_UPLOAD_BYTES },
    scheduler: {
      leaseTtlSeconds: e.SCHEDULER_LEASE_TTL_S,
      nodeTtlSeconds: e.SCHEDULER_NODE_TTL_S,
      heartbeatIntervalSeconds: e.SCHEDULER_HEARTBEAT_INTERVAL_S,
      placementIntervalMs: e.SCHEDULER_PLACEMENT_INTERVAL_MS,
      sweepIntervalMs: e.SCHEDULER_SWEEP_INTERVAL_MS,
    },
  };
  return deepFreeze(config);
}

/** A printable summary with secrets masked. */
export function describeConfig(config: AppConfig): Record<string, string | number | boolean> {
  return {
    mode: config.mode,
    listen: `${config.host}:${config.port}`,
    publicUrl: config.publicUrl,
    dataDir: config.dataDir,
    database: config.database.kind === 'postgres' ? maskValue('DATABASE_URL', config.database.url) : `pglite:${config.database.dir}`,
    oidcIssuer: config.oidc.issuer,
    devIssuer: config.oidc.devIssuer,
  };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
