import { DomainError } from './domain.error.js';

class SampleError extends DomainError<'bad_thing'> {
  readonly area = 'sample';
}

describe('DomainError', () => {
  it('keeps code, target and internal reason apart from the client message', () => {
    const e = new SampleError('bad_thing', 'The thing is bad.', 'body.thing', 'row 7 had x');
    expect(e.code).toBe('bad_thing');
    expect(e.target).toBe('body.thing');
    expect(e.internalReason).toBe('row 7 had x');
    expect(e.message).not.toContain('row 7');
    expect(e.name).toBe('SampleError');
  });
});
