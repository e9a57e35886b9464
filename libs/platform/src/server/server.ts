import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AuditKeys, AuditLog } from '@confide/audit';
import { AccessTokenVerifier, DevIssuer, type DevCredentials, type LoginEvent } from '@confide/auth';
import { Keyring, LocalFileKekProvider } from '@confide/envelope';
import { AuditRepository, createDataSource, migrate } from '@confide/persistence';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { CoreModule } from '../core/core.module.js';
import { sendProblem } from '../http/problem.filter.js';
import { createLogger, PinoNestLogger } from '../logging/logger.js';

export interface ServerOptions {
  readonly config: AppConfig;
  /** Nest modules of the apps this process hosts (enterprise, scheduler, attestation or all three). */
  readonly modules: ReadonlyArray<Type | DynamicModule>;
  readonly name: string;
  readonly logDestination?: DestinationStream;
  /** Extra service accounts for the dev issuer (tests use a second tenant). */
  readonly devServiceAccounts?: DevCredentials['serviceAccounts'];
}

export interface RunningServer {
  readonly app: INestApplication;
  readonly url: string;
  readonly config: AppConfig;
  readonly dataSource: DataSource;
  readonly auditLog: AuditLog;
  readonly logger: Logger;
  readonly devIssuer?: DevIssuer;
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;
/** Records the audit integrator moves into the tree per transaction. */
const INTEGRATOR_BATCH = 5000;

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const { config } = o;
  const logger = createLogger(config.logLevel, o.logDestination);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const keysDir = join(config.dataDir, 'keys');

  const dataSource = createDataSource(config.database);
  await dataSource.initialize();
  const applied = await migrate(dataSource);
  if (applied.length) logger.info({ migrations: applied }, 'migrations applied');

  const auditLog = new AuditLog(new AuditRepository(dataSource), AuditKeys.loadOrCreate(keysDir, `${new URL(config.publicUrl).host}/confide/audit`));

  const keyring = new Keyring(await LocalFileKekProvider.loadOrCreate(join(keysDir, 'kek.json')));

  let devIssuer: DevIssuer | undefined;
  if (config.oidc.devIssuer) {
    if (config.mode === 'production') throw new Error('the development issuer is never used in production mode');
    devIssuer = await DevIssuer.create({
      issuer: config.oidc.issuer,
      audience: config.oidc.audience,
      keysDir,
      consoleRedirectUris: [`${config.publicUrl}/auth/callback`],
      ...(o.devServiceAccounts ? { extraServiceAccounts: o.devServiceAccounts } : {}),
      onLogin: (e) => recordLogin(dataSource, auditLog, e),
    });
  }
  const tokenVerifier = new AccessTokenVerifier({
    issuer: config.oidc.issuer,
    audience: config.oidc.audience,
    algorithms: config.oidc.algorithms,
    rolesClaim: config.oidc.rolesClaim,
    tenantClaim: config.oidc.tenantClaim,
    clockToleranceSec: config.oidc.clockToleranceSec,
    jwksCooldownSec: config.oidc.jwksCooldownSec,
    jwksCacheMaxAgeSec: config.oidc.jwksCacheMaxAgeSec,
    ...(devIssuer ? { jwksUri: `${config.oidc.issuer}/jwks` } : {}),
  });

  @Module({ imports: [CoreModule.forRoot({ config, dataSource, auditLog, tokenVerifier, logger, keyring }), ...o.modules] })
  class RootModule {}

  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    requestIdLogLabel: 'requestId',
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: 1024 * 1024,
    disableRequestLogging: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(RootModule, adapter, { logger: new PinoNestLogger(logger), abortOnError: false });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;

  fastify.addHook('onRequest', async (req, reply) => {
    void reply.header('x-request-id', req.id);
    void reply.header('x-content-type-options', 'nosniff');
    if (devIssuer && (req.url === devIssuer.mountPath || req.url.startsWith(`${devIssuer.mountPath}/`))) {
      reply.hijack();
      reply.raw.setHeader('x-request-id', String(req.id));
      devIssuer.handle(req.raw, reply.raw);
    }
  });
  fastify.setErrorHandler((err, req, reply) => sendProblem(reply, req, logger, err));

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(`confide ${o.name} API`)
      .setDescription('Privacy-preserving fine-tuning: datasets, jobs, attestation, key release and the audit log.')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .addServer(config.publicUrl)
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });

  await app.listen({ port: config.port, host: config.host });
  const address = fastify.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = config.port === 0 ? `http://${config.host}:${port}` : config.publicUrl;

  // The audit integrator: moves queued records into the Merkle tree shortly after their actions commit, and signs
  // the head now and then. One integrator runs per deployment (advisory lock), whatever the number of replicas.
  let stopping = false;
  let integrator: NodeJS.Timeout | undefined;
  let lastCheckpoint = Date.now();
  const integrate = async (): Promise<void> => {
    try {
      const n = await auditLog.integrate(INTEGRATOR_BATCH);
      if (Date.now() - lastCheckpoint >= config.audit.checkpointIntervalMs) {
        lastCheckpoint = Date.now();
        await auditLog.checkpoint();
      }
      // Straight on only while a backlog remains (a full batch); otherwise records gather for 50 ms, so a steady
      // stream of actions is integrated in batches of tens instead of one transaction per few records.
      if (!stopping) integrator = setTimeout(() => void integrate(), n >= INTEGRATOR_BATCH ? 0 : 50);
    } catch (err) {
      logger.error({ err }, 'audit integration failed');
      if (!stopping) integrator = setTimeout(() => void integrate(), 1000);
    }
  };
  integrator = setTimeout(() => void integrate(), 50);

  return {
    app,
    url,
    config,
    dataSource,
    auditLog,
    logger,
    ...(devIssuer ? { devIssuer } : {}),
    close: async () => {
      stopping = true;
      clearTimeout(integrator);
      await app.close();
      await auditLog.drain().catch((err: unknown) => logger.error({ err }, 'audit drain at shutdown failed'));
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  };
}

/** Sign-ins are audited in their own transaction; if the audit write fails, the sign-in fails. */
async function recordLogin(ds: DataSource, log: AuditLog, e: LoginEvent): Promise<void> {
  await ds.transaction((em) =>
    log.append(em, {
      tenantId: e.user?.tenantId ?? null,
      actor: e.user && e.outcome === 'success' ? { type: 'user', id: e.user.id } : { type: 'user', id: 'anonymous' },
      action: 'auth.login',
      outcome: e.outcome,
      ...(e.outcome === 'denied' ? { reason: 'bad_credentials' } : {}),
      details: { client: e.clientId },
      sensitive: { email: e.email },
    }),
  );
}
