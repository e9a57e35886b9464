import { ConfigError, describeConfig, loadConfig } from './app-config.js';

describe('loadConfig', () => {
  it('defaults to embedded mode on loopback with PGlite under .confide', () => {
    const c = loadConfig({}, '/srv/app');
    expect(c.mode).toBe('embedded');
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(3000);
    expect(c.database).toEqual({ kind: 'pglite', dir: '/srv/app/.confide/pgdata' });
    expect(c.oidc.devIssuer).toBe(true);
    expect(c.oidc.issuer).toBe('http://127.0.0.1:3000/oidc');
    expect(Object.isFrozen(c.oidc)).toBe(true);
  });

  it('uses Postgres when DATABASE_URL is set', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u:pw@db/confide' });
    expect(c.database).toMatchObject({ kind: 'postgres', url: 'postgres://u:pw@db/confide' });
  });

  it('names every bad variable and masks secrets', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://u:hunter2@db/x', OIDC_ALGORITHMS: 'HS256', OIDC_CLIENT_SECRET: '' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    expect(msg).toContain('PORT');
    expect(msg).toContain('DATABASE_URL');
    expect(msg).toContain('OIDC_ALGORITHMS');
    expect(msg).not.toContain('hunter2');
  });

  it('requires a database and an issuer in production', () => {
    expect(() => loadConfig({ CONFIDE_MODE: 'production' })).toThrow(/DATABASE_URL[\s\S]*OIDC_ISSUER/);
  });

  it('masks the database password when described', () => {
    const c = loadConfig({ DATABASE_URL: 'postgresql://svc:s3cret@db:5432/c' });
    expect(JSON.stringify(describeConfig(c))).not.toContain('s3cret');
  });

  it('reads the scheduler timing and refuses a TTL shorter than two heartbeats', () => {
    expect(loadConfig({}).scheduler).toEqual({ leaseTtlSeconds: 60, nodeTtlSeconds: 45, heartbeatIntervalSeconds: 15, placementIntervalMs: 250, sweepIntervalMs: 1000 });
    const c = loadConfig({ SCHEDULER_LEASE_TTL_S: '4', SCHEDULER_NODE_TTL_S: '3', SCHEDULER_HEARTBEAT_INTERVAL_S: '1', SCHEDULER_SWEEP_INTERVAL_MS: '100', SCHEDULER_PLACEMENT_INTERVAL_MS: '50' });
    expect(c.scheduler).toEqual({ leaseTtlSeconds: 4, nodeTtlSeconds: 3, heartbeatIntervalSeconds: 1, placementIntervalMs: 50, sweepIntervalMs: 100 });
    expect(() => loadConfig({ SCHEDULER_LEASE_TTL_S: '10', SCHEDULER_HEARTBEAT_INTERVAL_S: '6' })).toThrow(/SCHEDULER_LEASE_TTL_S: must be at least twice SCHEDULER_HEARTBEAT_INTERVAL_S \(6\)/);
    expect(() => loadConfig({ SCHEDULER_SWEEP_INTERVAL_MS: 'soon' })).toThrow(/SCHEDULER_SWEEP_INTERVAL_MS/);
  });
});
