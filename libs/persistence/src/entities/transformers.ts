import type { ValueTransformer } from 'typeorm';

/** bigint columns come back from pg as strings; confide's counters stay far below 2^53. */
export const bigintNumber: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null ? null : Number(v)),
};

/** Postgres (pg) returns bytea as Buffer, PGlite as Uint8Array; everything above persistence sees Buffer. */
export function toBuffer(v: Uint8Array): Buffer {
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export const bytes: ValueTransformer = {
  to: (v: Buffer | null | undefined) => v,
  from: (v: Uint8Array | null) => (v === null ? null : toBuffer(v)),
};
