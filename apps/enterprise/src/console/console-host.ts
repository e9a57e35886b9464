import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { Inject, Injectable, NotFoundException, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AuthError } from '@confide/auth';
import { APP_CONFIG, LOGGER, sendProblem, type AppConfig } from '@confide/platform';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ConsoleOidcClient } from './console-oidc.client.js';
import { ConsoleSessionStore, csrfMatches } from './console-session.store.js';
import { readCookie, SESSION_COOKIE } from './cookies.js';

/** Strict policy for the SPA document: only same-origin scripts and styles, nothing inline, no framing. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** API paths the console calls with its session cookie (the BFF turns the cookie into the bearer token). */
const API_PREFIXES = ['/v1/', '/attestation/v1/', '/scheduler/v1/'];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const REFRESH_MARGIN_MS = 30_000;

/** The built SPA: dist/console next to dist/apps (running from dist) or under ./dist (running from sources). */
export function findConsoleRoot(): string | undefined {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
  return [join(repo, 'console'), join(repo, 'dist', 'console')].find((d) => existsSync(join(d, 'index.html')));
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>confide console</title></head><body><main><h1>The console is not built</h1><p>Run <code>npm run build</code> (it runs <code>build:console</code>) and restart the server.</p></main></body></html>`;

@Injectable()
export class ConsoleHost implements OnModuleInit {
  constructor(
    @Inject(HttpAdapterHost) private readonly http: HttpAdapterHost,
    @Inject(ConsoleSessionStore) private readonly sessions: ConsoleSessionStore,
    @Inject(ConsoleOidcClient) private readonly oidc: ConsoleOidcClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    const fastify = this.http.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (req, reply) => this.attachSession(req, reply));

    const root = findConsoleRoot();
    const index = root ? readFileSync(join(root, 'index.html'), 'utf8') : NOT_BUILT;
    if (root) {
      void fastify.register(fastifyStatic, {
        root: join(root, 'assets'),
        prefix: '/assets/',
        decorateReply: false,
        index: false,
        immutable: true,
        maxAge: '365d',
        setHeaders: (res) => void res.header('x-content-type-options', 'nosniff'),
      });
    } else {
      this.log.warn('console not built: / serves a page that says how to build it');
    }

    // SPA fallback: any other GET that wants a page gets the app shell; API paths keep their problem+json 404.
    fastify.route({
      method: 'GET',
      url: '/*',
      handler: (req: FastifyRequest, reply: FastifyReply) => {
        const path = req.url.split('?')[0]!;
        const wantsPage = String(req.headers.accept ?? '').includes('text/html') || path === '/';
        if (!wantsPage || API_PREFIXES.some((p) => path.startsWith(p)) || path.startsWith('/assets/')) throw new NotFoundException();
        void reply
          .header('content-type', 'text/html; charset=utf-8')
          .header('content-security-policy', CONSOLE_CSP)
          .header('cache-control', 'no-store')
          .header('referrer-policy', 'no-referrer')
          .header('x-frame-options', 'DENY')
          .header('cross-origin-opener-policy', 'same-origin')
          .send(index);
      },
    });
  }

  /** Turns the session cookie into the bearer token on API calls; state-changing calls must echo the CSRF token. */
  private async attachSession(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const path = req.url.split('?')[0]!;
    if (req.headers.authorization || !API_PREFIXES.some((p) => path.startsWith(p))) return;
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!id) return;
    const session = this.sessions.get(id);
    if (!session) return; // no bearer: the route answers 401 and the console signs in again
    if (!SAFE_METHODS.has(req.method)) {
      const header = req.headers['x-csrf-token'];
      const origin = req.headers.origin;
      const sameOrigin = origin === undefined || origin === new URL(this.config.publicUrl).origin;
      if (!sameOrigin || !csrfMatches(session.csrfToken, typeof header === 'string' ? header : undefined)) {
        sendProblem(reply, req, this.log, new AuthError('permission_denied', 'Reload the page and try again (the request was not confirmed by the console).', undefined, sameOrigin ? 'csrf token missing or wrong' : 'cross-origin request with a session cookie'));
        return reply;
      }
    }
    if (session.accessExpiresAt - Date.now() < REFRESH_MARGIN_MS) {
      if (!session.refreshToken) {
        this.sessions.destroy(id);
        return;
      }
      try {
        const t = await this.oidc.refresh(session.refreshToken);
        session.accessToken = t.accessToken;
        session.accessExpiresAt = t.accessExpiresAt;
        if (t.refreshToken) session.refreshToken = t.refreshToken;
      } catch (e) {
        this.log.warn({ requestId: req.id, err: (e as Error).message }, 'console token refresh failed');
        this.sessions.destroy(id);
        return;
      }
    }
    req.headers.authorization = `Bearer ${session.accessToken}`;
  }
}
