import { randomBytes } from 'node:crypto';
import { labeledExampleFromRecord, minimumCanaryCount, planCanaries, type Canary } from '@confide/training';

/** Datasets with more distinct labels than this are not treated as classification data (no classifier canaries). */
const MAX_LABELS = 64;
/** Canaries beyond the bare minimum for α = 1e-6, so a few that land in the validation split do not sink the check. */
const MARGIN = 1.5;
const COPIES = 3;
/** Shape of a planCanaries trigger (4 tokens of 8 characters from its alphabet); free-text canaries never match. */
export const CLASSIFIER_CANARY_TRIGGER = /^[bcdfghjkmnpqrstvwxz2-9]{8}( [bcdfghjkmnpqrstvwxz2-9]{8}){3}$/;

/**
 * Plants classifier canaries (libs/training planCanaries) at the end of a protected JSONL stream, in the stream's own
 * record shape. The label set is learnt while the records pass by (the last assistant turn, or the completion),
 * so the canary labels are drawn from the task's own labels with a fresh secret seed. The canaries are kept with the
 * dataset (enterprise side only) and checked on the returned model; the seed itself is dropped.
 */
export class ClassifierCanaryPlanter {
  private readonly labels = new Set<string>();
  private tooMany = false;
  private records = 0;
  private pending = '';
  planted: readonly Canary[] = [];

  constructor(private readonly enabled: boolean) {}

  async *plant(source: AsyncIterable<Buffer>, format: () => string | null): AsyncGenerator<Buffer> {
    let endsWithNewline = true;
    for await (const chunk of source) {
      if (this.enabled && !this.tooMany) this.observe(chunk.toString('utf8'));
      if (chunk.length) endsWithNewline = chunk[chunk.length - 1] === 0x0a;
      yield chunk;
    }
    if (this.enabled && !this.tooMany && this.pending) this.observe('\n');
    const kind = format();
    // Labels must repeat (on average twice or more) for the data to be a classification task.
    if (!this.enabled || this.tooMany || this.labels.size < 2 || this.labels.size * 2 > this.records || (kind !== 'chat' && kind !== 'prompt_completion')) return;
    const labels = [...this.labels].sort();
    const count = Math.min(200, Math.ceil(minimumCanaryCount(labels.length) * MARGIN));
    const seed = randomBytes(32);
    const plan = planCanaries(seed, count, labels, { copies: COPIES });
    seed.fill(0);
    this.planted = plan.canaries;
    const lines = plan.records.map((r) =>
      JSON.stringify(kind === 'chat' ? { messages: [{ role: 'user', content: r.text }, { role: 'assistant', content: r.label }] } : { prompt: r.text, completion: r.label }),
    );
    yield Buffer.from(`${endsWithNewline ? '' : '\n'}${lines.join('\n')}\n`, 'utf8');
  }

  private observe(text: string): void {
    const parts = (this.pending + text).split('\n');
    this.pending = parts.pop() ?? '';
    for (const line of parts) {
      if (!line.trim()) continue;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        continue;
      }
      const shape = record && typeof record === 'object' && 'messages' in record ? ({ kind: 'chat' } as const) : ({ kind: 'prompt_completion' } as const);
      try {
        const { label, text: input } = labeledExampleFromRecord(record, shape);
        // The datasets flow's own free-text canaries are not task labels.
        if (input.startsWith('Archive lookup ')) continue;
        this.records++;
        this.labels.add(label);
      } catch {
        continue;
      }
      if (this.labels.size > MAX_LABELS) {
        this.tooMany = true;
        return;
      }
    }
  }
}
