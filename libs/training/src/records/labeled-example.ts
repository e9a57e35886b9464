import { TrainingError } from '../training.error.js';

/** One training example for a classifier: the input text and its label. */
export interface LabeledExample {
  readonly text: string;
  readonly label: string;
}

export type RecordShape =
  /** `{"messages":[…]}`: the last assistant turn is the label, the turns before it the text (or `labelField`). */
  | { readonly kind: 'chat'; readonly labelField?: string }
  /** `{"prompt":…, "completion":…}`: the completion is the label. */
  | { readonly kind: 'prompt_completion' }
  /** A CSV row as a header→value object. */
  | { readonly kind: 'csv'; readonly textColumn: string; readonly labelColumn: string };

interface ChatMessage {
  readonly role?: unknown;
  readonly content?: unknown;
}

/**
 * Maps an already-parsed, already-validated dataset record to a labeled example. For chat, the text is the
 * contents of every turn before the last assistant turn (system, user, earlier assistant turns), joined by newlines;
 * with `labelField`, the label comes from that top-level field instead and the text is all turns. Labels are
 * trimmed. Errors name the record number, never its content.
 */
export function labeledExampleFromRecord(record: unknown, shape: RecordShape, recordNumber = 0): LabeledExample {
  const fail = (why: string): never => {
    throw new TrainingError('invalid_example', `record ${recordNumber}: ${why}`, `record[${recordNumber}]`);
  };
  if (typeof record !== 'object' || record === null) return fail('not an object');
  const r = record as Record<string, unknown>;
  switch (shape.kind) {
    case 'chat': {
      const messages = r['messages'];
      if (!Array.isArray(messages)) return fail('no messages list');
      const contents = (messages as ChatMessage[]).map((m) => (typeof m?.content === 'string' ? m.content : null));
      if (shape.labelField !== undefined) {
        const label = r[shape.labelField];
        if (typeof label !== 'string' && typeof label !== 'number') return fail('no label field');
        return finish(contents.filter((c): c is string => c !== null).join('\n'), String(label), fail);
      }
      let last = -1;
      (messages as ChatMessage[]).forEach((m, i) => m?.role === 'assistant' && typeof m.content === 'string' && (last = i));
      if (last < 0) return fail('no assistant turn');
      const text = contents.slice(0, last).filter((c): c is string => c !== null).join('\n');
      return finish(text, contents[last]!, fail);
    }
    case 'prompt_completion': {
      const { prompt, completion } = r;
      if (typeof prompt !== 'string' || typeof completion !== 'string') return fail('prompt or completion missing');
      return finish(prompt, completion, fail);
    }
    case 'csv': {
      const text = r[shape.textColumn];
      const label = r[shape.labelColumn];
      if (typeof text !== 'string' || typeof label !== 'string') return fail('text or label column missing');
      return finish(text, label, fail);
    }
  }
}

function finish(text: string, rawLabel: string, fail: (why: string) => never): LabeledExample {
  const label = rawLabel.trim();
  if (label.length === 0) fail('empty label');
  return { text, label };
}

/** Maps a stream of parsed records (any async or sync iterable) to labeled examples. */
export async function* labeledExamples(
  records: AsyncIterable<unknown> | Iterable<unknown>,
  shape: RecordShape,
): AsyncGenerator<LabeledExample> {
  let n = 0;
  for await (const record of records) yield labeledExampleFromRecord(record, shape, ++n);
}
