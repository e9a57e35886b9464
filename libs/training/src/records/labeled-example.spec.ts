import { labeledExampleFromRecord, labeledExamples } from './labeled-example.js';

describe('labeled examples from dataset records', () => {
  it('takes the last assistant turn of a chat record as the label and the turns before it as the text', () => {
    const record = {
      messages: [
        { role: 'system', content: 'Classify the ticket.' },
        { role: 'user', content: 'I was charged twice.' },
        { role: 'assistant', content: ' billing ' },
      ],
    };
    expect(labeledExampleFromRecord(record, { kind: 'chat' })).toEqual({ text: 'Classify the ticket.\nI was charged twice.', label: 'billing' });
    expect(labeledExampleFromRecord({ ...record, intent: 'refund' }, { kind: 'chat', labelField: 'intent' })).toEqual({
      text: 'Classify the ticket.\nI was charged twice.\n billing ',
      label: 'refund',
    });
  });

  it('maps prompt/completion and CSV rows', () => {
    expect(labeledExampleFromRecord({ prompt: 'Where is my parcel?', completion: 'shipping' }, { kind: 'prompt_completion' })).toEqual({
      text: 'Where is my parcel?',
      label: 'shipping',
    });
    expect(labeledExampleFromRecord({ body: 'App crashes', intent: 'technical' }, { kind: 'csv', textColumn: 'body', labelColumn: 'intent' })).toEqual({
      text: 'App crashes',
      label: 'technical',
    });
  });

  it('refuses records without a label, naming the record and never its content', async () => {
    const secret = 'card 4111 1111 1111 1111';
    const records = [{ prompt: 'a', completion: 'x' }, { messages: [{ role: 'user', content: secret }] }];
    const collect = async (): Promise<unknown[]> => {
      const out: unknown[] = [];
      for await (const e of labeledExamples(records, { kind: 'chat' })) out.push(e);
      return out;
    };
    await expect(collect()).rejects.toMatchObject({ code: 'invalid_example', target: 'record[1]' });
    try {
      labeledExampleFromRecord(records[1], { kind: 'chat' }, 2);
    } catch (e) {
      expect((e as Error).message).toBe('record 2: no assistant turn');
    }
    expect(() => labeledExampleFromRecord({ prompt: 'a', completion: '  ' }, { kind: 'prompt_completion' })).toThrow(/empty label/);
  });
});
