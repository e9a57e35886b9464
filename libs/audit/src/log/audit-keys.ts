import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NoteSigner } from '../checkpoint/signed-note.js';

/**
 * The audit log's two secrets: the Ed25519 checkpoint signing key and the HMAC key used for sensitive values.
 * Kept as 0600 files under `<dir>`; created on first start, refused if readable by group or others.
 */
export class AuditKeys {
  private constructor(
    readonly signer: NoteSigner,
    private readonly hmacKey: Buffer,
    readonly origin: string,
  ) {}

  static loadOrCreate(dir: string, origin: string): AuditKeys {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const signingPath = join(dir, 'audit-signing-key.pem');
    const hmacPath = join(dir, 'audit-hmac.key');
    if (!existsSync(signingPath)) {
      writeFileSync(signingPath, NoteSigner.generate('confide-audit').pkcs8Pem, { mode: 0o600, flag: 'wx' });
    }
    if (!existsSync(hmacPath)) writeFileSync(hmacPath, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    const pem = readPrivateFile(signingPath);
    const hmac = Buffer.from(readPrivateFile(hmacPath).trim(), 'base64');
    if (hmac.length < 32) throw new Error(`${hmacPath}: HMAC key must be at least 32 bytes`);
    return new AuditKeys(NoteSigner.fromPem('confide-audit', pem), hmac, origin);
  }

  /** For tests and benchmarks: keys that live only in memory. */
  static ephemeral(origin = 'confide.test/audit'): AuditKeys {
    return new AuditKeys(NoteSigner.generate('confide-audit').signer, randomBytes(32), origin);
  }

  /** Keyed hash of a sensitive value: equal values can be correlated by auditors, but never read back. */
  hmac(value: string): string {
    return `hmac-sha256:${createHmac('sha256', this.hmacKey).update(value, 'utf8').digest('hex')}`;
  }
}

function readPrivateFile(path: string): string {
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    try {
      chmodSync(path, 0o600);
    } catch {
      throw new Error(`${path} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
    }
  }
  return readFileSync(path, 'utf8');
}
