import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Permission, Principal } from '@confide/domain';
import { AuthError } from '../auth.error.js';

export const PERMISSION_KEY = 'confide:permission';
export type RouteAccess = Permission | 'authenticated' | 'public';

/** The permission a route needs. A route without one of these decorators is denied to everyone. */
export const RequirePermission = (permission: Permission): MethodDecorator & ClassDecorator => SetMetadata(PERMISSION_KEY, permission);
/** Any caller with a valid token (e.g. "who am I"). */
export const Authenticated = (): MethodDecorator & ClassDecorator => SetMetadata(PERMISSION_KEY, 'authenticated' satisfies RouteAccess);
/** No token needed (health, readiness, published keys). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PERMISSION_KEY, 'public' satisfies RouteAccess);

export interface AuthenticatedRequest {
  principal?: Principal;
}

/** The verified caller; only on routes that are not public. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new AuthError('token_missing', 'Authentication required.');
  return principal;
});
