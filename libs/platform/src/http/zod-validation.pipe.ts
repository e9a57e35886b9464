import { Injectable, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { RequestError } from './request.error.js';

/**
 * Validates a body, query or param against a zod schema (strict objects reject unknown fields). Errors name each
 * field by path and never echo the rejected value.
 */
@Injectable()
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(
    private readonly schema: S,
    private readonly where: 'body' | 'query' | 'params' = 'body',
  ) {}

  transform(value: unknown): z.infer<S> {
    const r = this.schema.safeParse(value);
    if (r.success) return r.data;
    const fieldErrors = r.error.issues.map((i) => ({
      field: [this.where, ...i.path.map(String)].join('.'),
      message: i.code === 'unrecognized_keys' ? `unknown field(s): ${(i as { keys: string[] }).keys.join(', ')}` : i.message,
    }));
    throw new RequestError('validation_failed', `Invalid request ${this.where}: ${fieldErrors.map((f) => f.field).join(', ')}`, fieldErrors[0]?.field, fieldErrors);
  }
}
