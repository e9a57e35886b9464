const SEGMENT = /^[A-Za-z0-9_-]*$/;

/**
 * Refuses a compact JWS/JWE whose segments are not canonical unpadded base64url. `jose` decodes leniently (spaces,
 * padding and stray bits are ignored), so without this check several distinct strings verify as the same token —
 * harmless for the signature but not for anything that keys on the token text (replay caches, logs, audit hashes).
 */
export function isCanonicalCompact(token: string, segments: 3 | 5): boolean {
  const parts = token.split('.');
  if (parts.length !== segments) return false;
  return parts.every((p) => SEGMENT.test(p) && Buffer.from(p, 'base64url').toString('base64url') === p);
}
