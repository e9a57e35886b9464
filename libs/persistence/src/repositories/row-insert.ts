/**
 * One row to insert, built by a repository from its own table and column names (never from input), so that another
 * statement can write it conditionally: see `SchedulerRepository.commitIfLeaseHeld`, which writes a key release and
 * its audit record in the same single statement that checks and share-locks the lease.
 */
export interface RowInsert {
  readonly table: string;
  readonly columns: readonly string[];
  readonly values: readonly unknown[];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/**
 * `INSERT INTO table (columns) SELECT $n, … FROM source RETURNING 1`, with the row's values appended to `params`
 * (placeholders numbered after those already there). One row is written per row of `source`.
 */
export function insertSelectSql(row: RowInsert, source: string, params: unknown[]): string {
  if (!IDENTIFIER.test(row.table) || !row.columns.every((c) => IDENTIFIER.test(c))) throw new Error(`not an identifier in an insert into ${row.table}`);
  if (row.columns.length === 0 || row.columns.length !== row.values.length) throw new Error(`insert into ${row.table}: ${row.columns.length} columns, ${row.values.length} values`);
  const placeholders = row.values.map((v) => `$${params.push(v)}`);
  return `INSERT INTO ${row.table} (${row.columns.join(', ')}) SELECT ${placeholders.join(', ')} FROM ${source} RETURNING 1`;
}
