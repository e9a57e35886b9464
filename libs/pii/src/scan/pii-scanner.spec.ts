import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { PiiError } from '../pii.error.js';
import { KeyedHasher, maskValue } from './mask.js';
import { PiiScanner } from './pii-scanner.js';

const KEY = Buffer.alloc(32, 7);
const csv = readFileSync(new URL('../../../../test/fixtures/pii/customers.fixture.csv', import.meta.url));

function* bytewise(buf: Buffer, size: number): Generator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}
async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const chat = [
  { messages: [{ role: 'user', content: 'hi, I am Priya Raman, mail priya.raman@example.com' }, { role: 'assistant', content: 'Thanks!' }] },
  { prompt: 'card 4111 1111 1111 1111 please', completion: 'ok' },
  'not json',
  { messages: [{ role: 'user', content: '😀 ssn 536-90-5721' }] },
]
  .map((r) => (typeof r === 'string' ? r : JSON.stringify(r)))
  .join('\n');

describe('PiiScanner span mode', () => {
  it('yields one item per record with field paths and code point offsets', async () => {
    const scanner = new PiiScanner({ format: 'jsonl', hashKey: KEY });
    const lines = await collect(scanner.spans(bytewise(Buffer.from(chat), 7)));
    expect(lines.map((l) => l.line)).toEqual([1, 2, 3, 4]);
    expect(lines[0]!.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'messages[0].content', entity: 'PERSON', start: 9, end: 20 }),
        expect.objectContaining({ field: 'messages[0].content', entity: 'EMAIL', start: 27, end: 50 }),
      ]),
    );
    expect(lines[1]!.findings).toEqual([expect.objectContaining({ field: 'prompt', entity: 'CREDIT_CARD', start: 5, end: 24 })]);
    expect(lines[2]).toEqual({ line: 3, findings: [], error: 'record_invalid_json' });
    expect(lines[3]!.findings).toEqual([expect.objectContaining({ field: 'messages[0].content', entity: 'US_SSN', start: 6, end: 17 })]);
  });

  it('counts a field that repeats its previous text as often as it occurs, with the same findings', async () => {
    const record = (content: string): string => JSON.stringify({ messages: [{ role: 'system', content: 'Escalate to Priya Raman, priya.raman@example.com' }, { role: 'user', content }] });
    const jsonl = [record('call +1 415-555-0110'), record('hi'), record('call +1 415-555-0110')].join('\n');
    const report = await new PiiScanner({ format: 'jsonl', hashKey: KEY }).scan([jsonl]);
    const system = report.fields.find((f) => f.field === 'messages[0].content')!;
    expect(system).toMatchObject({ records: 3, recordsWithFindings: 3 });
    expect(system.entities).toEqual(expect.arrayContaining([expect.objectContaining({ entity: 'EMAIL', count: 3, records: 3 }), expect.objectContaining({ entity: 'PERSON', count: 3, records: 3 })]));
    expect(report.fields.find((f) => f.field === 'messages[1].content')).toMatchObject({ records: 3, recordsWithFindings: 2 });
    const spans = await collect(new PiiScanner({ format: 'jsonl', hashKey: KEY }).spans([jsonl]));
    expect(spans[2]!.findings).toEqual(spans[0]!.findings);
  });

  it('restricts the scan to --text-field names', async () => {
    const scanner = new PiiScanner({ format: 'jsonl', hashKey: KEY, textFields: ['completion'] });
    const lines = await collect(scanner.spans([chat]));
    expect(lines.flatMap((l) => l.findings)).toEqual([]);
  });

  it('refuses invalid UTF-8 with a typed error', async () => {
    const scanner = new PiiScanner({ format: 'jsonl', hashKey: KEY });
    await expect(collect(scanner.spans([Buffer.from([0x7b, 0xff, 0x7d, 0x0a])]))).rejects.toThrow(PiiError);
  });

  it('reports over-long lines without buffering them', async () => {
    const scanner = new PiiScanner({ format: 'jsonl', hashKey: KEY, maxRecordChars: 100 });
    const big = JSON.stringify({ prompt: 'x'.repeat(500) });
    const lines = await collect(scanner.spans(bytewise(Buffer.from(`${big}\n{"prompt":"a@b.io"}\n`), 16)));
    expect(lines[0]).toMatchObject({ line: 1, error: 'record_too_long' });
    expect(lines[1]).toMatchObject({ line: 2, findings: [expect.objectContaining({ entity: 'EMAIL' })] });
  });
});

describe('PiiScanner CSV', () => {
  it('parses quoted fields with commas, doubled quotes and newlines across any chunking', async () => {
    for (const size of [1, 3, 64, 100000]) {
      const scanner = new PiiScanner({ format: 'csv', hashKey: KEY });
      const lines = await collect(scanner.spans(bytewise(csv, size)));
      expect(lines.map((l) => l.line)).toEqual([2, 3, 4]);
      expect(lines.every((l) => l.error === undefined)).toBe(true);
      const fields = new Set(lines.flatMap((l) => l.findings.map((f) => `${f.field}:${f.entity}`)));
      for (const want of ['first_name:PERSON', 'last_name:PERSON', 'email:EMAIL', 'phone:PHONE', 'dob:DATE_OF_BIRTH', 'address:ADDRESS']) {
        expect(fields).toContain(want);
      }
      expect([...fields].filter((f) => f.startsWith('notes:'))).toEqual([]);
      expect([...fields].filter((f) => f.startsWith('id:'))).toEqual([]);
    }
  });

  it('flags rows whose column count does not match the header', async () => {
    const scanner = new PiiScanner({ format: 'csv', hashKey: KEY });
    const lines = await collect(scanner.spans(['a,b\n1,2\n1,2,3\n"x"y,2\n']));
    expect(lines.map((l) => l.error)).toEqual([undefined, 'csv_malformed', 'csv_malformed']);
  });
});

describe('PiiScanner report', () => {
  it('summarises per field with counts, scores, masked sample and keyed hash, never raw values', async () => {
    const scanner = new PiiScanner({ format: 'csv', hashKey: KEY });
    const report = await scanner.scan(bytewise(csv, 5));
    expect(report.records).toBe(3);
    expect(report.invalidRecords).toBe(0);
    const email = report.fields.find((f) => f.field === 'email')!;
    expect(email.records).toBe(3);
    expect(email.entities).toEqual([
      expect.objectContaining({
        entity: 'EMAIL',
        count: 3,
        records: 3,
        maskedSample: 'i***@***.no',
        sampleHash: new KeyedHasher(KEY).hash('EMAIL', 'Ingrid.Solberg@example.no'),
      }),
    ]);
    expect(email.entities[0]!.maxScore).toBeGreaterThanOrEqual(email.entities[0]!.meanScore);
    const serialised = JSON.stringify(report);
    for (const raw of ['ingrid.solberg', 'Solberg', '912 34 567', '1984-02-29', 'Storgata', 'Mensah']) expect(serialised).not.toContain(raw);
  });

  it('keys the hash: another key gives another hash, the same key the same one', () => {
    const a = new KeyedHasher(KEY);
    expect(a.hash('PHONE', '+47 912 34 567')).toBe(a.hash('PHONE', '+4791234567'));
    expect(new KeyedHasher(Buffer.alloc(32, 8)).hash('PHONE', '+4791234567')).not.toBe(a.hash('PHONE', '+4791234567'));
    expect(() => new KeyedHasher(Buffer.alloc(8))).toThrow(PiiError);
  });

  it('masks by entity', () => {
    expect(maskValue('CREDIT_CARD', '4111 1111 1111 1111')).toBe('**** **** **** 1111');
    expect(maskValue('SECRET', 'sk_live_abc')).toBe('********');
    expect(maskValue('PERSON', 'Ama Mensah')).toBe('A** M*****');
    expect(maskValue('US_SSN', '536-90-5721')).toBe('***-**-**21');
  });
});
