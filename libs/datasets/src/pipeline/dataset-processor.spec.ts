import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CANARY_TRIGGER } from '@confide/canary';
import { PiiAnalyzer } from '@confide/pii';
import { buildProtectionPolicy } from '../protect/protection-policy.js';
import { DatasetError } from '../datasets.error.js';
import { DatasetProcessor, type DatasetProcessorOptions } from './dataset-processor.js';

const chat = (user: string, assistant = 'Sure, noted.'): string =>
  JSON.stringify({ messages: [{ role: 'system', content: 'You are a support agent.' }, { role: 'user', content: user }, { role: 'assistant', content: assistant }] });

async function run(input: string | Buffer, o: Partial<DatasetProcessorOptions> = {}) {
  const p = new DatasetProcessor({ format: 'jsonl', policy: buildProtectionPolicy(), secret: randomBytes(32), canaries: 0, minExamples: 1, ...o });
  const chunks: Buffer[] = [];
  let error: unknown;
  try {
    // Feed in small pieces so lines and UTF-8 sequences straddle chunks.
    const buf = typeof input === 'string' ? Buffer.from(input) : input;
    const pieces = Array.from({ length: Math.ceil(buf.length / 7) }, (_, i) => buf.subarray(i * 7, i * 7 + 7));
    for await (const c of p.process(pieces)) chunks.push(c);
  } catch (e) {
    error = e;
  }
  return { p, out: Buffer.concat(chunks).toString('utf8'), error };
}

describe('DatasetProcessor', () => {
  it('protects chat records: same e-mail, same token; raw values never in the output', async () => {
    const lines = [
      chat('Mail me at jane.doe@example.com please'),
      chat('Again: jane.doe@example.com, card 4111 1111 1111 1111'),
      chat('My SSN is 536-22-8214 and my name is Jane Doe'),
    ];
    const { p, out, error } = await run(lines.join('\n') + '\n');
    expect(error).toBeUndefined();
    expect(p.report.ok).toBe(true);
    expect(p.report.format).toBe('chat');
    expect(out).not.toContain('jane.doe@example.com');
    expect(out).not.toContain('4111 1111 1111 1111');
    expect(out).not.toContain('536-22-8214');
    const tokens = out.match(/<EMAIL_[A-Z2-7]{16}>/g) ?? [];
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toBe(tokens[1]);
    // FPE keeps the card's shape
    expect(out).toMatch(/\d{4} \d{4} \d{4} \d{4}/);
    const email = p.pii.fields.find((f) => f.entity === 'EMAIL');
    expect(email).toMatchObject({ field: 'messages[1].content', count: 2, records: 2, operator: 'token' });
    expect(email!.maskedSample).not.toContain('jane');
    expect(email!.sampleHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports each bad line with a stable code and line number, without content', async () => {
    const input = [
      chat('ok one'),
      '{"messages": [',
      JSON.stringify({ messages: [{ role: 'wizard', content: 'x' }, { role: 'assistant', content: 'y' }] }),
      JSON.stringify({ messages: [{ role: 'user', content: 'only a question' }] }),
      JSON.stringify({ messages: [{ role: 'user', content: '   ' }, { role: 'assistant', content: 'a' }] }),
      '{"messages": [], "messages": []}',
      '{"__proto__": {"x": 1}, "messages": []}',
      JSON.stringify({ prompt: 'p', completion: 'c' }),
      '[1,2]',
    ].join('\n');
    const { p, error } = await run(input + '\n' + 'SECRET-CONTENT\u0000\n' + '{"messages":"x"}\n{"messages":[{"ro');
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).code).toBe('dataset_invalid');
    const got = p.report.issues.map((i) => [i.line, i.code, i.field ?? null]);
    expect(got).toEqual([
      [2, 'invalid_json', null],
      [3, 'unknown_role', 'messages[0].role'],
      [4, 'missing_assistant_turn', 'messages'],
      [5, 'empty_content', 'messages[0].content'],
      [6, 'duplicate_key', null],
      [7, 'forbidden_key', null],
      [8, 'format_mismatch', 'messages'],
      [9, 'not_an_object', null],
      [10, 'nul_byte', null],
      [11, 'messages_not_array', 'messages'],
      [12, 'truncated_last_line', null],
    ]);
    expect(JSON.stringify(p.report)).not.toContain('SECRET');
    expect(p.report.ok).toBe(false);
  });

  it('finds invalid UTF-8, over-long lines, BOM and mixed line endings', async () => {
    const bad = Buffer.concat([
      Buffer.from('\ufeff' + chat('a') + '\r\n'),
      Buffer.from([0x7b, 0xc3, 0x28, 0x7d, 0x0a]),
      Buffer.from(chat('x'.repeat(3000)) + '\n'),
      Buffer.from(chat('b') + '\n'),
    ]);
    const { p } = await run(bad, { maxLineBytes: 1024 });
    expect(p.report.issues.map((i) => [i.line, i.code])).toEqual([
      [1, 'bom_stripped'],
      [2, 'invalid_utf8'],
      [3, 'line_too_long'],
      [null, 'mixed_line_endings'],
    ]);
  });

  it('lists duplicate rows in line order among the other issues, capped at maxIssues with complete counts', async () => {
    const input = [chat('a'), '{oops', chat('a'), chat('b'), '', chat('b'), chat('a'), '{bad'].join('\n') + '\n';
    const all = await run(input, { skipInvalid: true });
    expect(all.p.report.issues.map((i) => [i.line, i.code])).toEqual([
      [2, 'invalid_json'],
      [3, 'duplicate_row'],
      [5, 'blank_line'],
      [6, 'duplicate_row'],
      [7, 'duplicate_row'],
      [8, 'invalid_json'],
    ]);
    expect(all.p.report).toMatchObject({ issuesTruncated: false, warnings: 4, errors: 2 });
    const capped = await run(input, { skipInvalid: true, maxIssues: 3 });
    expect(capped.p.report.issues.map((i) => [i.line, i.code])).toEqual([
      [2, 'invalid_json'],
      [3, 'duplicate_row'],
      [5, 'blank_line'],
    ]);
    expect(capped.p.report).toMatchObject({ issuesTruncated: true, warnings: 4, errors: 2, issueCounts: { duplicate_row: 3, invalid_json: 2, blank_line: 1 } });
  });

  it('spills duplicate-row fingerprints of a large upload to its temp dir and leaves nothing there, done or failed', async () => {
    const tempDir = mkdtempSync(join(tmpdir(), 'confide-processor-spill-'));
    try {
      const rowsOf = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ prompt: `q${i % 290_000}`, completion: 'a' }) + '\n');
      const text = rowsOf(300_000).join('');
      const chunks = Array.from({ length: Math.ceil(text.length / 65536) }, (_, i) => Buffer.from(text.slice(i * 65536, i * 65536 + 65536)));
      let sawSpill = false;
      // One cheap entity: the test is about the rows, not the scan.
      const analyzer = new PiiAnalyzer({ entities: ['EMAIL'] });
      const p = new DatasetProcessor({ format: 'jsonl', policy: buildProtectionPolicy(), secret: randomBytes(32), canaries: 0, tempDir, analyzer });
      for await (const c of p.process(chunks)) {
        void c;
        sawSpill ||= readdirSync(tempDir).length > 0;
      }
      expect(sawSpill).toBe(true);
      expect(p.report.issueCounts.duplicate_row).toBe(10_000);
      expect(p.report.issues[0]).toMatchObject({ code: 'duplicate_row', line: 290_001 });
      expect(readdirSync(tempDir)).toEqual([]);
      // A source that fails mid-stream (a dropped connection): the spill goes too.
      async function* failing() {
        yield* chunks.slice(0, Math.floor(chunks.length * 0.95));
        throw new Error('connection reset');
      }
      const q = new DatasetProcessor({ format: 'jsonl', policy: buildProtectionPolicy(), secret: randomBytes(32), canaries: 0, tempDir, analyzer });
      await expect((async () => {
        for await (const c of q.process(failing())) void c;
      })()).rejects.toThrow('connection reset');
      expect(readdirSync(tempDir)).toEqual([]);
    } finally {
      rmSync(tempDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('skip_invalid drops and counts bad rows; too_few_examples still applies', async () => {
    const input = [chat('a'), '{oops', chat('b'), chat('a')].join('\n') + '\n';
    const ok = await run(input, { skipInvalid: true, minExamples: 2 });
    expect(ok.error).toBeUndefined();
    expect(ok.p.report).toMatchObject({ ok: true, records: 4, validRecords: 3, skippedRecords: 1 });
    expect(ok.p.report.issueCounts).toMatchObject({ invalid_json: 1, duplicate_row: 1 });
    expect(ok.out.trim().split('\n')).toHaveLength(3);
    const few = await run(input, { skipInvalid: true, minExamples: 10 });
    expect(few.p.report.issueCounts.too_few_examples).toBe(1);
    expect((few.error as DatasetError).code).toBe('dataset_invalid');
    expect(few.out).toBe('');
  });

  it('plants canaries (libs/canary) in the record shape, with labels from the dataset\'s own answers', async () => {
    const labels = ['refund', 'delivery', 'login'];
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ prompt: `question ${i}`, completion: ` ${labels[i % 3]}` }));
    const { p, out } = await run(lines.join('\n'), { canaries: 3 });
    const rows = out.trim().split('\n').map((l) => JSON.parse(l) as { prompt: string; completion: string });
    // 3 labels need 13 canaries for α = 1e-6; with the 1.5 margin 20, each planted 3 times after the data.
    expect(p.canaries).toHaveLength(20);
    expect(rows).toHaveLength(30 + 60);
    expect(rows.slice(0, 30).map((r) => r.prompt)).toEqual(lines.map((_, i) => `question ${i}`));
    for (const c of p.canaries) {
      expect(c.trigger).toMatch(CANARY_TRIGGER);
      expect(labels).toContain(c.label);
      expect(c.afterRecord).toBe(30);
      expect(rows.filter((r) => r.prompt === c.trigger && r.completion === c.label)).toHaveLength(3);
    }
    expect(p.report.validRecords).toBe(30);

    const chat = Array.from({ length: 30 }, (_, i) => JSON.stringify({ messages: [{ role: 'user', content: `q${i}` }, { role: 'assistant', content: labels[i % 3] }] }));
    const c = await run(chat.join('\n'), { canaries: 25 });
    expect(c.p.canaries).toHaveLength(25);
    expect(c.out).toContain(JSON.stringify({ messages: [{ role: 'user', content: c.p.canaries[0]!.trigger }, { role: 'assistant', content: c.p.canaries[0]!.label }] }));

    const csv = await run(['text,label', ...Array.from({ length: 30 }, (_, i) => `q${i},${labels[i % 3]}`)].join('\n'), { format: 'csv', canaries: 3 });
    expect(csv.p.canaries).toHaveLength(20);
    expect(csv.out).toContain(`${csv.p.canaries[0]!.trigger},${csv.p.canaries[0]!.label}`);
  });

  it('plants no canaries in data that is not a classification task, or when disabled', async () => {
    const free = Array.from({ length: 20 }, (_, i) => JSON.stringify({ prompt: `question ${i}`, completion: `answer ${i}` }));
    const a = await run(free.join('\n'), { canaries: 3 });
    expect(a.p.canaries).toEqual([]);
    expect(a.out.trim().split('\n')).toHaveLength(20);
    const labelled = Array.from({ length: 20 }, (_, i) => JSON.stringify({ prompt: `question ${i}`, completion: i % 2 ? 'yes' : 'no' }));
    const b = await run(labelled.join('\n'), { canaries: 0 });
    expect(b.p.canaries).toEqual([]);
    expect(b.out.trim().split('\n')).toHaveLength(20);
  });

  it('parses CSV with quoted fields and line breaks, and reports CSV problems', async () => {
    const csv = 'name,email,note\r\n"Doe, Jane",jane@example.org,"multi\nline ""quoted"""\r\nBob,bob@example.net,plain\r\n';
    const good = await run(csv, { format: 'csv', policy: buildProtectionPolicy({ PERSON: 'redact', EMAIL: 'mask:3' }) });
    expect(good.error).toBeUndefined();
    expect(good.p.report).toMatchObject({ ok: true, format: 'csv', validRecords: 2 });
    expect(good.out).not.toContain('jane@example.org');
    expect(good.out).toContain('"multi\nline ""quoted"""');
    expect(good.p.pii.fields.map((f) => f.field)).toContain('email');

    const bad = await run('a,b\n1,2,3\n"x,1\n', { format: 'csv' });
    expect(bad.p.report.issues.map((i) => [i.line, i.code])).toEqual([
      [2, 'csv_wrong_column_count'],
      [3, 'csv_unbalanced_quotes'],
    ]);
    const stray = await run('a,b\nx"y,1\n', { format: 'csv' });
    expect(stray.p.report.issues.map((i) => i.code)).toEqual(['csv_stray_quote']);
    const header = await run('a,a\n1,2\n', { format: 'csv' });
    expect(header.p.report.issues.map((i) => i.code)).toEqual(['csv_duplicate_header']);
  });

  it('refuses an empty file', async () => {
    const { p, error } = await run('\n\n');
    expect((error as DatasetError).code).toBe('dataset_invalid');
    expect(p.report.issueCounts.empty_file).toBe(1);
  });
});
