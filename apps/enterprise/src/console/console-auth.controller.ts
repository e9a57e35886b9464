import { Controller, Get, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AccessTokenVerifier, AuthError, Public } from '@confide/auth';
import { APP_CONFIG, LOGGER, sendProblem, type AppConfig } from '@confide/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ConsoleOidcClient } from './console-oidc.client.js';
import { ConsoleSessionStore, csrfMatches, type ConsoleSession } from './console-session.store.js';
import { LOGIN_COOKIE, readCookie, serializeCookie, SESSION_COOKIE } from './cookies.js';

/** Where the SPA may ask to come back to after sign-in: a same-origin path only. */
export function safeReturnTo(v: unknown): string {
  return typeof v === 'string' && /^\/(?![/\\])[A-Za-z0-9\-._~/%?=&]*$/.test(v) && v.length <= 512 ? v : '/';
}

/**
 * The console's backend-for-frontend: sign-in with authorization code + PKCE, an httpOnly SameSite session cookie,
 * and a CSRF token the SPA echoes on state-changing calls. The browser never receives an access or refresh token.
 */
@ApiExcludeController()
@Controller('auth')
export class ConsoleAuthController {
  private readonly secure: boolean;

  constructor(
    @Inject(ConsoleSessionStore) private readonly sessions: ConsoleSessionStore,
    @Inject(ConsoleOidcClient) private readonly oidc: ConsoleOidcClient,
    @Inject(AccessTokenVerifier) private readonly verifier: AccessTokenVerifier,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.secure = config.publicUrl.startsWith('https://');
  }

  @Get('login')
  @Public()
  async login(@Query('return_to') returnTo: unknown, @Res() reply: FastifyReply): Promise<void> {
    const { state, login } = this.sessions.beginLogin(safeReturnTo(returnTo));
    const to = await this.oidc.authorizationUrl(state, login.codeVerifier, login.nonce);
    void reply
      .header('cache-control', 'no-store')
      .header('set-cookie', serializeCookie(LOGIN_COOKIE, state, { secure: this.secure, maxAgeSec: 600, path: '/auth' }))
      .redirect(to, 302);
  }

  @Get('callback')
  @Public()
  async callback(@Query() q: Record<string, unknown>, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const clearLogin = serializeCookie(LOGIN_COOKIE, '', { secure: this.secure, maxAgeSec: 0, path: '/auth' });
    const fail = (reason: string, detail?: string): void => {
      this.log.warn({ requestId: req.id, reason, ...(detail ? { detail } : {}) }, 'console sign-in failed');
      void reply.header('cache-control', 'no-store').header('set-cookie', clearLogin).redirect(`/?login_error=${encodeURIComponent(reason)}`, 302);
    };
    if (typeof q.error === 'string') return fail('idp_error', q.error.slice(0, 64));
    const state = typeof q.state === 'string' ? q.state : '';
    const code = typeof q.code === 'string' ? q.code : '';
    // The state must be the one this browser started with (login CSRF), and is single use.
    const bound = readCookie(req.headers.cookie, LOGIN_COOKIE);
    if (!state || !code || !bound || !csrfMatches(bound, state)) return fail('state_mismatch');
    const pending = this.sessions.takeLogin(state);
    if (!pending) return fail('login_expired');
    try {
      const tokens = await this.oidc.exchangeCode(code, pending.codeVerifier, pending.nonce);
      const principal = await this.verifier.verify(tokens.accessToken);
      const profile = await this.oidc.idTokenProfile(tokens.idToken, pending.nonce);
      const { id } = this.sessions.create(
        { subject: principal.subject, tenantId: principal.tenantId, roles: [...principal.roles], permissions: [...principal.permissions].sort(), ...profile },
        { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, accessExpiresAt: tokens.accessExpiresAt },
      );
      this.log.info({ requestId: req.id, subject: principal.subject, tenant: principal.tenantId }, 'console session started');
      void reply
        .header('cache-control', 'no-store')
        .header('set-cookie', [clearLogin, serializeCookie(SESSION_COOKIE, id, { secure: this.secure })])
        .redirect(pending.returnTo, 302);
    } catch (e) {
      fail(e instanceof AuthError ? e.code : 'exchange_failed', e instanceof AuthError ? e.internalReason : (e as Error).message);
    }
  }

  /** What the SPA may know: who is signed in, what they may do, and the CSRF token. Never a token. */
  @Get('session')
  @Public()
  session(@Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    const s = this.sessions.get(readCookie(req.headers.cookie, SESSION_COOKIE));
    void reply.header('cache-control', 'no-store').send(s ? sessionView(s) : { authenticated: false });
  }

  @Post('logout')
  @Public()
  logout(@Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    const s = this.sessions.get(id);
    const header = req.headers['x-csrf-token'];
    if (s && !csrfMatches(s.csrfToken, typeof header === 'string' ? header : undefined)) {
      return sendProblem(reply, req, this.log, new AuthError('permission_denied', 'Reload the page and try again (the request was not confirmed by the console).', undefined, 'csrf token missing or wrong'));
    }
    this.sessions.destroy(id);
    void reply.header('cache-control', 'no-store').header('set-cookie', serializeCookie(SESSION_COOKIE, '', { secure: this.secure, maxAgeSec: 0 })).status(204).send();
  }
}

function sessionView(s: ConsoleSession): Record<string, unknown> {
  return {
    authenticated: true,
    user: { subject: s.user.subject, name: s.user.name, email: s.user.email, tenant_id: s.user.tenantId, roles: s.user.roles, permissions: s.user.permissions },
    csrf_token: s.csrfToken,
    expires_at: Math.floor(s.absoluteExpiresAt / 1000),
  };
}
