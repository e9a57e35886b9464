/**
 * `EntityManager.query` answers UPDATE/DELETE … RETURNING as `[rows, affected]` on pg and as plain rows elsewhere
 * (SELECT, INSERT, PGlite); this gives the rows either way.
 */
export function rowsOf(result: unknown): unknown[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as unknown[];
  return Array.isArray(result) ? result : [];
}
