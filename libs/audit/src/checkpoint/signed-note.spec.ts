import { createHash } from 'node:crypto';
import { NoteSigner, checkpointVerifier } from './signed-note.js';

const cp = { origin: 'confide.test/audit', size: 42, root: createHash('sha256').update('x').digest(), time: new Date('2026-11-25T12:00:00Z') };

describe('signed checkpoints', () => {
  const { signer } = NoteSigner.generate('confide-audit');

  it('round-trips through the published verifier key', () => {
    const note = signer.signCheckpoint(cp);
    expect(note.split('\n').slice(0, 4)).toEqual(['confide.test/audit', '42', cp.root.toString('base64'), 'time 2026-11-25T12:00:00.000Z']);
    expect(checkpointVerifier(signer.verifierKey)(note)).toEqual(cp);
  });

  it('rejects a changed size, root or time', () => {
    const note = signer.signCheckpoint(cp);
    const open = checkpointVerifier(signer.verifierKey);
    expect(() => open(note.replace('\n42\n', '\n43\n'))).toThrow(/signature/);
    expect(() => open(note.replace('12:00:00', '12:00:01'))).toThrow(/signature/);
    const flipped = Buffer.from(cp.root);
    flipped[0]! ^= 1;
    expect(() => open(note.replace(cp.root.toString('base64'), flipped.toString('base64')))).toThrow(/signature/);
  });

  it('rejects a note signed by another key with the same name', () => {
    const other = NoteSigner.generate('confide-audit').signer;
    expect(() => checkpointVerifier(signer.verifierKey)(other.signCheckpoint(cp))).toThrow(/no signature/);
  });
});
