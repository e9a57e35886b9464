import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthError } from '../auth.error.js';
import { AccessTokenVerifier } from '../token/access-token.verifier.js';
import { PERMISSION_KEY, type AuthenticatedRequest, type RouteAccess } from './permission.decorator.js';

/**
 * Global guard: every route must declare its access (permission, authenticated or public); undeclared routes are
 * denied. Bearer tokens are verified with the configured issuer's keys; the tenant comes from the token only.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AccessTokenVerifier) private readonly verifier: AccessTokenVerifier,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const access = this.reflector.getAllAndOverride<RouteAccess | undefined>(PERMISSION_KEY, [ctx.getHandler(), ctx.getClass()]);
    if (access === 'public') return true;
    if (access === undefined) {
      throw new AuthError('route_without_permission', 'This route is not available.', undefined, `${ctx.getClass().name}.${ctx.getHandler().name} declares no permission`);
    }
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest & { headers: Record<string, string | string[] | undefined> }>();
    const principal = await this.verifier.verify(bearer(req.headers.authorization));
    req.principal = principal;
    if (access !== 'authenticated' && !principal.permissions.has(access)) {
      throw new AuthError('permission_denied', 'You do not have permission to do this.', undefined, `needs ${access}; roles ${principal.roles.join(',') || 'none'}`);
    }
    return true;
  }
}

function bearer(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer ([A-Za-z0-9\-_.~+/]+=*)$/i.exec(header.trim());
  if (!m) throw new AuthError('token_malformed', 'Invalid access token.', undefined, 'authorization header is not a bearer token');
  return m[1];
}
