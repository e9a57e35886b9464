import { parseCsvRecords, splitLines, type DatasetFormat } from '@confide/datasets';
import type { FeatureRow } from '@confide/fhe';

/**
 * Reads the protected output of the dataset pipeline back as flat rows for featurisation, keeping only the fields
 * the FHE spec names. CSV: columns by header. Prompt/completion JSONL: top-level scalars. Chat JSONL: `user`,
 * `system` (turns joined) and `assistant` (the last assistant turn) plus top-level scalars.
 */
export async function collectFheRows(output: AsyncIterable<Uint8Array>, format: () => DatasetFormat | null, fields: readonly string[]): Promise<FeatureRow[]> {
  const wanted = new Set(fields);
  const rows: FeatureRow[] = [];
  const pick = (all: Record<string, unknown>): FeatureRow => {
    const row: Record<string, string | number | null> = {};
    for (const f of wanted) {
      const v = all[f];
      row[f] = typeof v === 'string' || typeof v === 'number' ? v : null;
    }
    return row;
  };
  const lines = splitLines(output, 64 * 1024 * 1024);
  if (format() === 'csv') {
    let header: string[] | undefined;
    for await (const rec of parseCsvRecords(lines, 64 * 1024 * 1024, ',')) {
      if (header === undefined) {
        header = rec.values;
        continue;
      }
      if (rec.values.length !== header.length) continue;
      rows.push(pick(Object.fromEntries(header.map((h, i) => [h, rec.values[i]]))));
    }
    return rows;
  }
  for await (const l of lines) {
    if (l.text.trim() === '') continue;
    const value = JSON.parse(l.text) as Record<string, unknown>;
    if (Array.isArray(value.messages)) {
      const turns = value.messages as { role?: unknown; content?: unknown }[];
      const text = (role: string) => turns.filter((t) => t.role === role && typeof t.content === 'string').map((t) => t.content as string);
      rows.push(pick({ ...value, user: text('user').join('\n'), system: text('system').join('\n'), assistant: text('assistant').at(-1) ?? null }));
    } else rows.push(pick(value));
  }
  return rows;
}
