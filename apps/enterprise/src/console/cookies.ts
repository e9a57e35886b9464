/** Minimal cookie handling for the console session (no other cookies are read by the API). */
export const SESSION_COOKIE = 'confide_session';
export const LOGIN_COOKIE = 'confide_login';

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const v = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{16,128}$/.test(v) ? v : undefined;
    }
  }
  return undefined;
}

export function serializeCookie(name: string, value: string, o: { secure: boolean; maxAgeSec?: number; path?: string }): string {
  const parts = [`${name}=${value}`, `Path=${o.path ?? '/'}`, 'HttpOnly', 'SameSite=Lax'];
  if (o.secure) parts.push('Secure');
  if (o.maxAgeSec !== undefined) parts.push(`Max-Age=${o.maxAgeSec}`);
  return parts.join('; ');
}
