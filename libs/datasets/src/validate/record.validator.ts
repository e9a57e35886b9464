import { issue, type ValidationIssue } from './issue-codes.js';

export type JsonlKind = 'chat' | 'prompt_completion';

const CHAT_TOP_KEYS = new Set(['messages', 'tools', 'parallel_tool_calls', 'functions']);
const MESSAGE_KEYS = new Set(['role', 'content', 'name', 'weight', 'tool_calls', 'tool_call_id', 'function_call', 'refusal']);
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const PC_KEYS = new Set(['prompt', 'completion']);
const SAFE_KEY = /^[A-Za-z0-9_-]{1,64}$/;

/** A key name as it may appear in a report: only plain identifiers are echoed. */
export function safeKey(key: string): string {
  return SAFE_KEY.test(key) ? key : '<key>';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Which JSONL shape a record looks like, for auto-detection from the first record. */
export function detectJsonlKind(value: unknown): JsonlKind {
  return isObject(value) && !('messages' in value) && ('prompt' in value || 'completion' in value) ? 'prompt_completion' : 'chat';
}

/** Checks one parsed JSONL record against its shape; returns every problem found (empty when valid). */
export function validateRecord(value: unknown, kind: JsonlKind, line: number): ValidationIssue[] {
  if (!isObject(value)) return [issue('not_an_object', line)];
  return kind === 'chat' ? validateChat(value, line) : validatePromptCompletion(value, line);
}

function validateChat(rec: Record<string, unknown>, line: number): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  if (!('messages' in rec)) {
    out.push(issue('prompt' in rec || 'completion' in rec ? 'format_mismatch' : 'missing_messages', line, 'messages'));
    return out;
  }
  for (const k of Object.keys(rec)) if (!CHAT_TOP_KEYS.has(k)) out.push(issue('unknown_field', line, safeKey(k)));
  const messages = rec.messages;
  if (!Array.isArray(messages)) return [...out, issue('messages_not_array', line, 'messages')];
  if (messages.length === 0) return [...out, issue('empty_messages', line, 'messages')];
  let assistant = false;
  messages.forEach((m, i) => {
    const path = `messages[${i}]`;
    if (!isObject(m)) {
      out.push(issue('invalid_message', line, path));
      return;
    }
    for (const k of Object.keys(m)) if (!MESSAGE_KEYS.has(k)) out.push(issue('unknown_field', line, `${path}.${safeKey(k)}`));
    if (!('role' in m)) out.push(issue('missing_role', line, `${path}.role`));
    else if (typeof m.role !== 'string' || !ROLES.has(m.role)) out.push(issue('unknown_role', line, `${path}.role`));
    else if (m.role === 'assistant') assistant = true;
    if ('weight' in m && m.weight !== 0 && m.weight !== 1) out.push(issue('invalid_weight', line, `${path}.weight`));
    const hasCalls = m.tool_calls !== undefined || m.function_call !== undefined;
    if (!('content' in m) || (m.content === null && !hasCalls)) {
      if (!hasCalls) out.push(issue('missing_content', line, `${path}.content`));
    } else if (typeof m.content === 'string') {
      if (m.content.trim() === '' && !hasCalls) out.push(issue('empty_content', line, `${path}.content`));
    } else if (Array.isArray(m.content)) {
      if (m.content.length === 0) out.push(issue('empty_content', line, `${path}.content`));
      m.content.forEach((part, j) => {
        const pp = `${path}.content[${j}]`;
        if (!isObject(part) || part.type !== 'text' || typeof part.text !== 'string') out.push(issue('invalid_content_type', line, pp));
        else if (part.text.trim() === '') out.push(issue('empty_content', line, `${pp}.text`));
      });
    } else if (m.content !== null) {
      out.push(issue('invalid_content_type', line, `${path}.content`));
    }
  });
  if (!assistant) out.push(issue('missing_assistant_turn', line, 'messages'));
  return out;
}

function validatePromptCompletion(rec: Record<string, unknown>, line: number): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  if ('messages' in rec) return [issue('format_mismatch', line, 'messages')];
  for (const k of Object.keys(rec)) if (!PC_KEYS.has(k)) out.push(issue('unknown_field', line, safeKey(k)));
  for (const [k, missing] of [
    ['prompt', 'missing_prompt'],
    ['completion', 'missing_completion'],
  ] as const) {
    if (!(k in rec)) out.push(issue(missing, line, k));
    else if (typeof rec[k] !== 'string') out.push(issue('invalid_content_type', line, k));
    else if (k === 'completion' && (rec[k] as string).trim() === '') out.push(issue('empty_content', line, k));
  }
  return out;
}
