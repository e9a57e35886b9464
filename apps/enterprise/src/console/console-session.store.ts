import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';

/** What the console shows about the signed-in user; never the tokens. */
export interface ConsoleUser {
  readonly subject: string;
  readonly name: string | null;
  readonly email: string | null;
  readonly tenantId: string;
  readonly roles: readonly string[];
  readonly permissions: readonly string[];
}

export interface ConsoleSession {
  readonly user: ConsoleUser;
  accessToken: string;
  refreshToken: string | null;
  /** Epoch ms when the access token expires. */
  accessExpiresAt: number;
  readonly csrfToken: string;
  /** Epoch ms; the session ends here whatever refreshes happen. */
  readonly absoluteExpiresAt: number;
  lastSeenAt: number;
}

export interface PendingLogin {
  readonly codeVerifier: string;
  readonly nonce: string;
  readonly returnTo: string;
  readonly createdAt: number;
}

const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
const SESSION_ABSOLUTE_MS = 12 * 60 * 60 * 1000;
const LOGIN_TTL_MS = 10 * 60 * 1000;
const MAX_SESSIONS = 10_000;
const MAX_PENDING = 10_000;

const digest = (id: string): string => createHash('sha256').update(id).digest('base64url');

/**
 * Server-side token storage for the console's backend-for-frontend. The browser holds only an opaque random session
 * id (httpOnly cookie); the map is keyed by its SHA-256, so a dump of the map cannot be replayed as cookies.
 * In-process: with several enterprise replicas behind a load balancer, use sticky sessions (or move this map to
 * the database).
 */
@Injectable()
export class ConsoleSessionStore {
  private readonly sessions = new Map<string, ConsoleSession>();
  private readonly pending = new Map<string, PendingLogin>();

  beginLogin(returnTo: string, now = Date.now()): { state: string; login: PendingLogin } {
    this.sweep(now);
    if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
    const state = randomBytes(24).toString('base64url');
    const login: PendingLogin = { codeVerifier: randomBytes(32).toString('base64url'), nonce: randomBytes(16).toString('base64url'), returnTo, createdAt: now };
    this.pending.set(digest(state), login);
    return { state, login };
  }

  /** Single use: the state is forgotten whether or not the login then succeeds. */
  takeLogin(state: string, now = Date.now()): PendingLogin | undefined {
    const key = digest(state);
    const login = this.pending.get(key);
    this.pending.delete(key);
    return login && now - login.createdAt <= LOGIN_TTL_MS ? login : undefined;
  }

  create(user: ConsoleUser, tokens: { accessToken: string; refreshToken: string | null; accessExpiresAt: number }, now = Date.now()): { id: string; session: ConsoleSession } {
    this.sweep(now);
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    const session: ConsoleSession = { user, ...tokens, csrfToken: randomBytes(24).toString('base64url'), absoluteExpiresAt: now + SESSION_ABSOLUTE_MS, lastSeenAt: now };
    this.sessions.set(digest(id), session);
    return { id, session };
  }

  get(id: string | undefined, now = Date.now()): ConsoleSession | undefined {
    if (!id) return undefined;
    const key = digest(id);
    const s = this.sessions.get(key);
    if (!s) return undefined;
    if (now > s.absoluteExpiresAt || now - s.lastSeenAt > SESSION_IDLE_MS) {
      this.sessions.delete(key);
      return undefined;
    }
    s.lastSeenAt = now;
    return s;
  }

  destroy(id: string | undefined): void {
    if (id) this.sessions.delete(digest(id));
  }

  private sweep(now: number): void {
    for (const [k, l] of this.pending) if (now - l.createdAt > LOGIN_TTL_MS) this.pending.delete(k);
    for (const [k, s] of this.sessions) if (now > s.absoluteExpiresAt || now - s.lastSeenAt > SESSION_IDLE_MS) this.sessions.delete(k);
  }
}

/** Constant-time comparison of the CSRF header with the session's token. */
export function csrfMatches(expected: string, given: string | undefined): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}
