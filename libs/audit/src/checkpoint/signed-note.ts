import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Checkpoints in the C2SP tlog-checkpoint format, signed as a C2SP signed note with Ed25519:
 *
 *   <origin>\n<size>\n<base64 root>\ntime <RFC 3339>\n\n— <key name> <base64(key id || signature)>\n
 *
 * The verifier key is published as `<name>+<hex key id>+<base64(0x01 || public key)>` (the Go `note` vkey form),
 * so Go/sigstore tooling can check our checkpoints too.
 */
const ED25519_ALG = 0x01;

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Buffer;
  readonly time: Date;
}

export class CheckpointError extends Error {}

export class NoteSigner {
  readonly keyId: Buffer;
  readonly verifierKey: string;
  private readonly publicRaw: Buffer;

  constructor(
    readonly name: string,
    private readonly privateKey: KeyObject,
  ) {
    if (!/^[^\s+]+$/.test(name)) throw new CheckpointError('key name must not contain spaces or +');
    this.publicRaw = rawEd25519Public(createPublicKey(privateKey));
    this.keyId = keyIdOf(name, this.publicRaw);
    this.verifierKey = `${name}+${this.keyId.toString('hex')}+${Buffer.concat([Buffer.from([ED25519_ALG]), this.publicRaw]).toString('base64')}`;
  }

  static generate(name: string): { signer: NoteSigner; pkcs8Pem: string } {
    const { privateKey } = generateKeyPairSync('ed25519');
    return { signer: new NoteSigner(name, privateKey), pkcs8Pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  }

  static fromPem(name: string, pem: string): NoteSigner {
    return new NoteSigner(name, createPrivateKey(pem));
  }

  signCheckpoint(cp: Checkpoint): string {
    const body = checkpointBody(cp);
    const sig = sign(null, Buffer.from(body, 'utf8'), this.privateKey);
    return `${body}\n\u2014 ${this.name} ${Buffer.concat([this.keyId, sig]).toString('base64')}\n`;
  }
}

function checkpointBody(cp: Checkpoint): string {
  if (!/^[\x21-\x7e]+(?: [\x21-\x7e]+)*$/.test(cp.origin)) throw new CheckpointError('origin must be printable ASCII');
  return `${cp.origin}\n${cp.size}\n${cp.root.toString('base64')}\ntime ${cp.time.toISOString()}\n`;
}

function rawEd25519Public(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || !jwk.x) throw new CheckpointError('checkpoint keys must be Ed25519');
  return Buffer.from(jwk.x, 'base64url');
}

function keyIdOf(name: string, publicRaw: Buffer): Buffer {
  return createHash('sha256')
    .update(Buffer.from(`${name}\n`, 'utf8'))
    .update(Buffer.from([ED25519_ALG]))
    .update(publicRaw)
    .digest()
    .subarray(0, 4);
}

/** Parses a verifier key string and returns a function that opens checkpoints signed by it. */
export function checkpointVerifier(verifierKey: string): (note: string) => Checkpoint {
  const m = /^([^\s+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(verifierKey.trim());
  if (!m) throw new CheckpointError('verifier key is not in <name>+<keyid>+<base64> form');
  const [, name, idHex, keyB64] = m as unknown as [string, string, string, string];
  const raw = Buffer.from(keyB64, 'base64');
  if (raw.length !== 33 || raw[0] !== ED25519_ALG) throw new CheckpointError('verifier key is not an Ed25519 note key');
  const publicRaw = raw.subarray(1);
  if (!keyIdOf(name, publicRaw).equals(Buffer.from(idHex, 'hex'))) throw new CheckpointError('verifier key id does not match the key');
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicRaw.toString('base64url') }, format: 'jwk' });
  const keyId = Buffer.from(idHex, 'hex');

  return (note: string): Checkpoint => {
    const split = note.indexOf('\n\n');
    if (split < 0) throw new CheckpointError('note has no signature block');
    const body = note.slice(0, split + 1);
    const sigLines = note.slice(split + 2).split('\n').filter(Boolean);
    const mine = sigLines
      .map((l) => /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(l))
      .find((x) => x && x[1] === name && Buffer.from(x[2]!, 'base64').subarray(0, 4).equals(keyId));
    if (!mine) throw new CheckpointError(`note carries no signature by ${name}`);
    const sig = Buffer.from(mine[2]!, 'base64').subarray(4);
    if (!verify(null, Buffer.from(body, 'utf8'), publicKey, sig)) throw new CheckpointError('checkpoint signature is invalid');
    const lines = body.split('\n');
    const [origin, sizeText, rootText, timeLine] = lines;
    if (!origin || !sizeText || !/^(0|[1-9][0-9]*)$/.test(sizeText) || !rootText || !timeLine?.startsWith('time ')) {
      throw new CheckpointError('checkpoint body is malformed');
    }
    const root = Buffer.from(rootText, 'base64');
    if (root.length !== 32) throw new CheckpointError('checkpoint root is not 32 bytes');
    const time = new Date(timeLine.slice(5));
    if (Number.isNaN(time.getTime())) throw new CheckpointError('checkpoint time is malformed');
    return { origin, size: Number(sizeText), root, time };
  };
}
